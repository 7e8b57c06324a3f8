r"""A Markdown extension: LaTeX formulas become MathML when the site is built.

Formulas are written as in the docstrings, reStructuredText style::

    .. math::

        v(t) = f + (p - f)\,\bigl(1 + \cos(\pi t / T)\bigr) / 2

and inline as ``:math:`p_k```. ``latex2mathml`` turns each into MathML at build time, which
browsers render natively: the page needs no script, font or stylesheet from anywhere. The same
extension runs for the pages and (through mkdocstrings) for the docstrings in the API reference.
"""

from __future__ import annotations

import re
import textwrap
from typing import Any

from latex2mathml.converter import convert
from markdown import Extension, Markdown  # type: ignore[import-untyped]
from markdown.preprocessors import Preprocessor  # type: ignore[import-untyped]

BLOCK_START = re.compile(r"^(?P<indent>[ \t]*)\.\. math::[ \t]*$")
INLINE = re.compile(r":math:`(?P<tex>[^`]+)`")


class MathError(ValueError):
    """A formula latex2mathml cannot convert (the build stops and names it)."""


def to_mathml(tex: str, *, display: str) -> str:
    """MathML for `tex`, ``display`` "block" or "inline"; raises :class:`MathError` if invalid."""
    try:
        mathml = convert(tex, display=display)
    except Exception as error:
        raise MathError(f"cannot convert the formula {tex!r} to MathML: {error}") from error
    if "<merror" in mathml:
        raise MathError(f"cannot convert the formula {tex!r} to MathML: {mathml}")
    return mathml


def _indent_of(line: str) -> int:
    return len(line) - len(line.lstrip())


class MathPreprocessor(Preprocessor):  # type: ignore[misc]
    """Replace ``.. math::`` blocks and ``:math:`...``` roles by stashed MathML."""

    def run(self, lines: list[str]) -> list[str]:
        """Return `lines` with every formula replaced by a placeholder for its MathML."""
        out: list[str] = []
        index = 0
        while index < len(lines):
            start = BLOCK_START.match(lines[index])
            if start is None:
                out.append(INLINE.sub(self._inline, lines[index]))
                index += 1
                continue
            indent = start.group("indent")
            index += 1
            body: list[str] = []
            while index < len(lines) and (
                not lines[index].strip() or _indent_of(lines[index]) > len(indent)
            ):
                body.append(lines[index])
                index += 1
            while body and not body[-1].strip():
                body.pop()
            tex = textwrap.dedent("\n".join(body)).strip()
            if not tex:
                raise MathError("a `.. math::` block holds no formula")
            mathml = to_mathml(tex, display="block")
            out.extend(["", indent + self.md.htmlStash.store(f'<div class="math">{mathml}</div>')])
            out.append("")
        return out

    def _inline(self, match: re.Match[str]) -> str:
        return str(self.md.htmlStash.store(to_mathml(match.group("tex"), display="inline")))


class MathExtension(Extension):  # type: ignore[misc]
    """Register :class:`MathPreprocessor` (after fenced code is set aside, so code stays code)."""

    def extendMarkdown(self, md: Markdown) -> None:  # noqa: N802 (Markdown's API name)
        """Add the preprocessor to `md`."""
        md.preprocessors.register(MathPreprocessor(md), "warmcos_math", 25)


def makeExtension(**kwargs: Any) -> MathExtension:  # noqa: N802 (Markdown's API name)
    """The entry point Markdown looks for when the extension is named by its module."""
    return MathExtension(**kwargs)
