"""The demo's text: standard-library source files that ship with every CPython 3.10+.

The corpus is a fixed, sorted list of module files (:data:`MODULES`) read from the running
interpreter's standard library (``sysconfig.get_paths()["stdlib"]``), so nothing is downloaded.
Each file is split at a line boundary: its first 90% goes to the training text, the rest to the
validation text. Characters outside ASCII are mapped to one symbol (:data:`OTHER`), so the
vocabulary is small and the same on every platform.

Example:
    >>> from warmcos.demo.data import load
    >>> corpus = load()
    >>> corpus.files[0].name, corpus.decode(corpus.train[:8])
    ('argparse.py', '# Author')
    >>> len(corpus.vocab) < 100
    True
"""

from __future__ import annotations

import sysconfig
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import torch

MODULES: tuple[str, ...] = (
    "argparse",
    "ast",
    "base64",
    "bisect",
    "calendar",
    "collections/__init__",
    "configparser",
    "contextlib",
    "copy",
    "csv",
    "dataclasses",
    "difflib",
    "enum",
    "fractions",
    "functools",
    "gettext",
    "heapq",
    "http/client",
    "inspect",
    "json/decoder",
    "json/encoder",
    "logging/__init__",
    "pickle",
    "pprint",
    "queue",
    "random",
    "shlex",
    "shutil",
    "statistics",
    "string",
    "subprocess",
    "tarfile",
    "textwrap",
    "threading",
    "tokenize",
    "traceback",
    "typing",
    "urllib/parse",
    "warnings",
    "weakref",
)
"""The standard-library modules read, sorted; each exists as ``<name>.py`` in CPython 3.10+."""

VALIDATION_FRACTION = 0.1
"""The share of each file (its last lines) that goes to the validation text."""

OTHER = "\ufffd"
"""The one symbol every non-ASCII character (and every undecodable byte) becomes."""


class DataError(RuntimeError):
    """The standard library's source files cannot be found or read."""


@dataclass(frozen=True)
class Corpus:
    """The encoded training and validation text.

    Attributes:
        vocab: The characters, sorted; a character's index is its token.
        train: The training text as a 1-D ``torch.long`` tensor of tokens.
        validation: The validation text, likewise.
        files: The source files read, in order.
    """

    vocab: str
    train: torch.Tensor
    validation: torch.Tensor
    files: tuple[Path, ...]

    def decode(self, tokens: torch.Tensor) -> str:
        """The text of a 1-D tensor of tokens."""
        return "".join(self.vocab[int(token)] for token in tokens)


def stdlib_files(root: Path | None = None) -> tuple[Path, ...]:
    """The files of :data:`MODULES` under `root` (default: this interpreter's standard library).

    Raises:
        DataError: A file is missing (a Python without its ``.py`` sources, for example).
    """
    root = Path(sysconfig.get_paths()["stdlib"]) if root is None else root
    files = tuple(root / f"{name}.py" for name in MODULES)
    missing = [str(path) for path in files if not path.is_file()]
    if missing:
        raise DataError(
            f"the demo reads the standard library's source files, but {len(missing)} of "
            f"{len(files)} are missing, such as {missing[0]}"
        )
    return files


def split(text: str, fraction: float = VALIDATION_FRACTION) -> tuple[str, str]:
    r"""Split one file's text at the first line boundary after ``(1 - fraction)`` of it.

    Example:
        >>> split("a\nb\nc\nd\n", 0.5)
        ('a\nb\n', 'c\nd\n')
    """
    cut = text.find("\n", int(len(text) * (1 - fraction)) - 1) + 1
    return (text[:cut], text[cut:]) if cut > 0 else (text, "")


def _ascii(text: str) -> str:
    return "".join(char if char < "\x80" else OTHER for char in text)


def load(root: Path | None = None) -> Corpus:
    """Read, split and encode the corpus.

    Args:
        root: The standard-library directory; default: this interpreter's.

    Raises:
        DataError: Source files missing or unreadable.
    """
    files = stdlib_files(root)
    train_parts, validation_parts = [], []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError as error:
            raise DataError(f"cannot read {path}: {error.strerror}") from None
        head, tail = split(_ascii(text))
        train_parts.append(head)
        validation_parts.append(tail)
    train_text, validation_text = "".join(train_parts), "".join(validation_parts)
    vocab = "".join(sorted(set(train_text) | set(validation_text)))
    index = {char: token for token, char in enumerate(vocab)}

    def encode(text: str) -> torch.Tensor:
        return torch.tensor([index[char] for char in text], dtype=torch.long)

    return Corpus(vocab, encode(train_text), encode(validation_text), files)


def batches(
    tokens: torch.Tensor, *, batch_size: int, context: int, seed: int
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Endless random batches of ``(inputs, targets)``, targets shifted by one character.

    The window starts come from a ``torch.Generator`` seeded with `seed`, so the sequence of
    batches depends on `seed` only (torch's global random state is not touched).

    Example:
        >>> tokens = torch.arange(100)
        >>> inputs, targets = next(batches(tokens, batch_size=2, context=4, seed=0))
        >>> inputs.shape, bool((targets == inputs + 1).all())
        (torch.Size([2, 4]), True)
    """
    generator = torch.Generator().manual_seed(seed)
    offsets = torch.arange(context + 1)
    while True:
        starts = torch.randint(0, len(tokens) - context, (batch_size,), generator=generator)
        windows = tokens[starts[:, None] + offsets]
        yield windows[:, :-1], windows[:, 1:]


def evaluation_windows(
    tokens: torch.Tensor, *, count: int, context: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """`count` windows evenly spaced over `tokens`: a fixed evaluation set, no randomness.

    Returns:
        ``(inputs, targets)`` of shape ``(count, context)``.
    """
    last = len(tokens) - context - 1
    starts = torch.linspace(0, last, count).round().long()
    windows = tokens[starts[:, None] + torch.arange(context + 1)]
    return windows[:, :-1], windows[:, 1:]
