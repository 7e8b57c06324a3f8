"""MkDocs hooks: what the warmcos site computes from the library when it is built.

Markers in a page (HTML comments, so a page still reads as plain Markdown) are replaced:

- ``<!-- figure: SPEC -->``: a figure of the schedule, drawn by :mod:`warmcos.plotting` from
  ``warmcos.parse(SPEC)`` and written into the site as SVG, so a picture cannot drift from the
  code. Several specs separated by ``;`` are overlaid; ``| steps=N`` sets the last step shown and
  ``| log`` a logarithmic axis.
- ``<!-- schedule: NAME -->``: the formula of the schedule with spec name ``NAME``, taken from
  its docstring (everything before ``Args:``), and a link to its API reference entry. Each
  schedule class in ``warmcos.__all__`` needs a page with this marker, or the build fails.
- ``<!-- peers: NAME -->``: how the schedule reads in each peer library (``docs_peers``).
- ``<!-- peers-of: PEER -->``: the table of one peer library, for the migration guide.
- ``<!-- schedule-list -->``: every schedule page with its one-line summary.
- ``<!-- cli-help: COMMAND -->``: ``warmcos COMMAND --help``, as the command prints it.
- ``<!-- factory-aliases -->``: the factories (``warmcos.cosine``) and the classes they are.
- ``<!-- api-schedule-classes -->``, ``<!-- api-rest -->``: API reference entries for every
  schedule class, and for every other name of ``warmcos.__all__`` the page does not list.

The site's name gets ``warmcos.__version__``, and ``docs_math`` (LaTeX to MathML at build time)
joins the Markdown extensions, for the pages and for the docstrings alike.
"""

from __future__ import annotations

import ast
import hashlib
import inspect
import logging
import os
import posixpath
import re
import sys
import tempfile
import typing
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def _importable() -> None:
    """Put this checkout's warmcos and the modules beside this one on ``sys.path``.

    MkDocs restores ``sys.path`` after importing a hook, so ``on_config`` calls this again for
    what is imported later (mkdocstrings loads ``docs_griffe`` by name).
    """
    for path in (HERE, ROOT / "src"):
        if str(path) not in sys.path:
            sys.path.insert(0, str(path))


_importable()

import docs_math  # noqa: E402
import docs_peers  # noqa: E402

import warmcos  # noqa: E402

log = logging.getLogger("mkdocs.hooks.warmcos")

MARKER = re.compile(r"<!--\s*(?P<kind>[a-z-]+):?\s*(?P<body>.*?)\s*-->", re.DOTALL)
SECTION = re.compile(
    r"^(Args|Arguments|Attributes|Example|Examples|Raises|Returns|Yields|Note|Notes|Warns):\s*$",
    re.MULTILINE,
)
ROLE = re.compile(r":(?:func|class|meth|attr|data|mod|obj|exc):`(~?)([\w.]+)(\(\))?`")
FIGURE_SIZE = (900, 460)
FIGURE_DIR = "figures"
NOT_FACTORIES = frozenset({"parse", "from_dict"})
"""Public functions that return a schedule but read one rather than build one."""

_figure_cache: dict[str, bytes] = {}  # across rebuilds of `mkdocs serve`
_figures: dict[str, str] = {}  # marker body -> the figure's URI in the site, for this build
_schedule_pages: dict[str, str] = {}  # spec name -> page URI


# Schedules and their pages -----------------------------------------------------------------


def schedule_factories() -> dict[str, Any]:
    """Spec name -> public factory, for every factory in ``warmcos.__all__`` that builds one.

    A class counts when it subclasses ``warmcos.Schedule`` (the base itself aside); a function
    when its return annotation is a schedule (aside from the readers in :data:`NOT_FACTORIES`).
    """
    found: dict[str, Any] = {}
    for public in warmcos.__all__:
        obj = getattr(warmcos, public)
        if inspect.isclass(obj):
            if issubclass(obj, warmcos.Schedule) and obj is not warmcos.Schedule:
                found.setdefault(obj.name, obj)
        elif inspect.isfunction(obj) and public not in NOT_FACTORIES:
            returned = typing.get_type_hints(obj).get("return")
            if inspect.isclass(returned) and issubclass(returned, warmcos.Schedule):
                found.setdefault(public, obj)
    return found


def public_path(obj: Any) -> str:
    """``warmcos.Cosine`` for the class ``Cosine``: its public name, as the reference shows it."""
    names = [n for n in warmcos.__all__ if getattr(warmcos, n) is obj]
    capitalised = [n for n in names if n[:1].isupper()]
    return f"warmcos.{(capitalised or names)[0]}"


def describe(obj: Any) -> str:
    """The docstring of `obj` up to its first section (``Args:``...): summary and formula."""
    text = inspect.getdoc(obj) or ""
    description = SECTION.split(text, maxsplit=1)[0].rstrip()
    return ROLE.sub(_role_link, description)


def summary(obj: Any) -> str:
    """The first line of the docstring of `obj`, roles made links."""
    return ROLE.sub(_role_link, (inspect.getdoc(obj) or "").split("\n\n", 1)[0].replace("\n", " "))


def _role_link(match: re.Match[str]) -> str:
    short, target, call = match.group(1), match.group(2), match.group(3) or ""
    shown = (target.rsplit(".", 1)[-1] if short else target) + call
    name = target.removeprefix("warmcos.")
    if name in warmcos.__all__:
        target = public_path(getattr(warmcos, name))
    elif not target.startswith("warmcos."):
        return f"`{shown}`"
    return f'<autoref identifier="{target}" optional><code>{shown}</code></autoref>'


# Figures -----------------------------------------------------------------------------------


def build(spec: str) -> Any:
    """The schedule of `spec`: a spec string, or a call of a public function.

    A function such as ``decay_now(cosine(...), at=500, decay=100)`` is no spec name; its
    arguments are specs or literals.
    """
    call = ast.parse(spec, mode="eval").body
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)):
        return warmcos.parse(spec)
    function = getattr(warmcos, call.func.id, None)
    if call.func.id not in warmcos.__all__ or not inspect.isfunction(function):
        return warmcos.parse(spec)

    def value(node: ast.expr) -> Any:
        if isinstance(node, ast.Call | ast.BinOp):
            return warmcos.parse(ast.unparse(node))
        return ast.literal_eval(node)

    return function(
        *[value(a) for a in call.args], **{k.arg: value(k.value) for k in call.keywords if k.arg}
    )


def parse_figure(body: str) -> tuple[list[tuple[str, Any]], dict[str, Any]]:
    """The labelled schedules and the plotting options of a ``figure`` marker's body."""
    specs, _, options_text = body.partition("|")
    schedules = [(spec.strip(), build(spec.strip())) for spec in specs.split(";") if spec.strip()]
    if not schedules:
        raise ValueError(f"a figure marker names no schedule: {body!r}")
    options: dict[str, Any] = {}
    for option in options_text.split(","):
        key, _, value = option.strip().partition("=")
        if key == "steps":
            options["steps"] = float(value)
        elif key == "log":
            options["log"] = True
        elif key:
            raise ValueError(f"unknown figure option {key!r} in {body!r}")
    return schedules, options


def render_figure(body: str) -> bytes:
    """The SVG of a ``figure`` marker, drawn by warmcos.plotting (cached by its text)."""
    key = f"{warmcos.__version__}\n{body}"
    if key not in _figure_cache:
        import matplotlib

        from warmcos.plotting import figure, save

        matplotlib.rcParams["svg.hashsalt"] = "warmcos-docs"  # the same bytes on every build
        labelled, options = parse_figure(body)
        fig = figure(labelled, size=FIGURE_SIZE, title="", **options)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "figure.svg"
            save(fig, path)
            _figure_cache[key] = path.read_bytes()
    return _figure_cache[key]


def figure_uri(body: str) -> str:
    """Where the figure of a marker lives in the site."""
    digest = hashlib.sha256(body.encode()).hexdigest()[:12]
    name = re.sub(r"[^a-z0-9]+", "-", body.split("(", 1)[0].lower()).strip("-") or "figure"
    return f"{FIGURE_DIR}/{name}-{digest}.svg"


# Events ------------------------------------------------------------------------------------


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """Name the version and add the MathML extension (pages and docstrings)."""
    _importable()
    if not config.site_name.endswith(warmcos.__version__):
        config.site_name = f"{config.site_name} {warmcos.__version__}"
    if not any(isinstance(e, docs_math.MathExtension) for e in config.markdown_extensions):
        config.markdown_extensions.append(docs_math.MathExtension())
    return config


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Draw every figure the pages ask for, and check that every schedule has its page."""
    _figures.clear()
    _schedule_pages.clear()
    for file in files.documentation_pages():
        for marker in MARKER.finditer(file.content_string):
            kind, body = marker.group("kind"), marker.group("body")
            if kind == "figure" and body not in _figures:
                uri = figure_uri(body)
                _figures[body] = uri
                files.append(File.generated(config, uri, content=render_figure(body)))
            elif kind == "schedule":
                _schedule_pages[body] = file.src_uri
    missing = sorted(set(schedule_factories()) - set(_schedule_pages))
    if missing:
        log.warning(
            "no page for the schedule factories %s: add docs/schedules/NAME.md with "
            "<!-- schedule: NAME --> and list it in mkdocs.yml's nav",
            ", ".join(missing),
        )
    return files


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    """Replace the markers of one page."""
    here = posixpath.dirname(page.file.src_uri)

    def relative(uri: str) -> str:
        return posixpath.relpath(uri, here or ".")

    def expand(marker: re.Match[str]) -> str:
        kind, body = marker.group("kind"), marker.group("body")
        if kind == "figure":
            alt = body.split("|", 1)[0].strip().replace("[", "(").replace("]", ")")
            return f'![{alt}]({relative(_figures[body])}){{ loading="lazy" }}'
        if kind == "schedule":
            return schedule_section(body)
        if kind == "peers":
            return peers_of_schedule(body)
        if kind == "peers-of":
            return peer_table(body)
        if kind == "schedule-list":
            return schedule_list(relative)
        if kind == "cli-help":
            return cli_help(body)
        if kind == "factory-aliases":
            return factory_aliases()
        if kind == "api-schedule-classes":
            return api_schedule_classes()
        if kind == "api-rest":
            return api_rest(markdown)
        return marker.group(0)

    return MARKER.sub(expand, markdown)


# Generated Markdown ------------------------------------------------------------------------


def schedule_section(name: str) -> str:
    """The formula section of a schedule page."""
    factories = schedule_factories()
    if name not in factories:
        raise ValueError(f"<!-- schedule: {name} -->: warmcos has no public schedule {name!r}")
    obj = factories[name]
    path = public_path(obj)
    call = f"warmcos.{name}"
    return (
        f"{describe(obj)}\n\n"
        f"Arguments, defaults and checks: [`{call}`][{path}] in the API reference.\n"
    )


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def peers_of_schedule(name: str) -> str:
    """The table of how each peer library writes schedule `name`."""
    rows = docs_peers.rows_for_schedule(name)
    lines = ["| Library | Their call | warmcos | Note |", "| --- | --- | --- | --- |"]
    for peer in docs_peers.PEERS:
        mine = [row for row in rows if row.peer == peer]
        for row in mine:
            lines.append(
                f"| {peer} | {_cell(row.theirs)} | {_cell(row.ours)} | {_cell(row.note)} |"
            )
        if not mine:
            note = docs_peers.PEER_NOTES.get((name, peer), "no equivalent")
            lines.append(f"| {peer} | {_cell(note)} | | |")
    return "\n".join(lines) + "\n"


def peer_table(peer: str) -> str:
    """The table of one peer library: each call and its warmcos twin."""
    if peer not in docs_peers.PEERS:
        raise ValueError(f"<!-- peers-of: {peer} -->: not one of {docs_peers.PEERS}")
    lines = [f"| {peer} | warmcos | Note |", "| --- | --- | --- |"]
    for row in docs_peers.rows_for_peer(peer):
        lines.append(f"| {_cell(row.theirs)} | {_cell(row.ours)} | {_cell(row.note)} |")
    return "\n".join(lines) + "\n"


def schedule_list(relative: Any) -> str:
    """A table of every schedule page with the schedule's one-line summary."""
    factories = schedule_factories()
    lines = ["| Schedule | What it does |", "| --- | --- |"]
    for name in sorted(_schedule_pages, key=lambda n: list(factories).index(n)):
        link = relative(_schedule_pages[name])
        lines.append(f"| [`{name}`]({link}) | {_cell(summary(factories[name]))} |")
    return "\n".join(lines) + "\n"


def factory_aliases() -> str:
    """A table of the lowercase factories and the classes they are, each name an anchor."""
    lines = ["| Factory | Class | Page |", "| --- | --- | --- |"]
    for name, obj in schedule_factories().items():
        if not inspect.isclass(obj) or getattr(warmcos, name, None) is not obj:
            continue
        path = public_path(obj)
        page = _schedule_pages.get(name)
        link = f"[{name}](../{page})" if page else ""
        lines.append(
            f'| <span id="warmcos.{name}"></span>`warmcos.{name}` | [`{path}`][{path}] | {link} |'
        )
    return "\n".join(lines) + "\n"


def api_schedule_classes() -> str:
    """A mkdocstrings entry for every public schedule class, by name."""
    names = sorted(
        {public_path(obj) for obj in schedule_factories().values() if inspect.isclass(obj)},
        key=str.lower,
    )
    return "\n\n".join(f"::: {name}" for name in names) + "\n"


DIRECTIVE = re.compile(r"^::: warmcos\.(\w+)\s*$", re.MULTILINE)


def api_rest(markdown: str) -> str:
    """An entry for each name of ``warmcos.__all__`` that the page documents nowhere else.

    Names the page's own entries cover (its ``::: warmcos.X`` lines, the schedule classes and
    the factories that are those classes) are left out, so each public name shows once.
    """
    covered = set(DIRECTIVE.findall(markdown)) | {"__version__"}
    if "<!-- api-schedule-classes -->" in markdown:
        covered |= {public_path(o).split(".")[1] for o in schedule_factories().values()}
    if "<!-- factory-aliases -->" in markdown:
        covered |= {n for n, o in schedule_factories().items() if getattr(warmcos, n, None) is o}
    rest = [name for name in warmcos.__all__ if name not in covered]
    if not rest:
        return ""
    return "## Other public names\n\n" + "\n\n".join(f"::: warmcos.{n}" for n in rest) + "\n"


def cli_help(command: str) -> str:
    """``warmcos COMMAND --help`` as a text block, 100 columns wide, without colour."""
    from typer.testing import CliRunner

    from warmcos.cli.app import app

    args = [*command.split(), "--help"]
    env = {"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb", "_TYPER_FORCE_DISABLE_TERMINAL": "1"}
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        result = CliRunner().invoke(app, args, prog_name="warmcos", color=False)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    if result.exit_code != 0:
        raise ValueError(f"warmcos {' '.join(args)} failed: {result.output}")
    text = "\n".join(line.rstrip() for line in result.output.strip("\n").splitlines())
    return f"```text\n$ warmcos {' '.join(args)}\n{text}\n```\n"
