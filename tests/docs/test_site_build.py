"""The documentation site builds in strict mode and shows what the library holds.

The site is built once (``python -m mkdocs build --strict`` into a temporary folder, about 20 s
here) and the tests read the HTML. The page-per-schedule check needs no build: it reads the
Markdown, so a factory added without a page fails fast.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import re
import typing
from html.parser import HTMLParser
from pathlib import Path

import pytest
from docs_site_helpers import (
    DOCS,
    MARKER,
    MKDOCS_YML,
    Build,
    build_site,
    built_page,
    markers,
    pages,
)

import warmcos

pytest.importorskip("mkdocs", reason="the site needs the docs extra: pip install -e '.[docs]'")
pytest.importorskip("material", reason="the site needs the docs extra: pip install -e '.[docs]'")

PEERS = ("PyTorch", "timm", "transformers", "Keras", "optax")
# Public functions that return a schedule but read one rather than build one.
READERS = {"parse", "from_dict"}


def schedule_factories() -> dict[str, str]:
    """Public name -> the name its page declares, for each factory in ``warmcos.__all__``."""
    found = {}
    for name in warmcos.__all__:
        obj = getattr(warmcos, name)
        if inspect.isclass(obj) and issubclass(obj, warmcos.Schedule):
            if obj is not warmcos.Schedule:
                found[name] = obj.name  # the spec name: cosine for both Cosine and cosine
        elif inspect.isfunction(obj) and name not in READERS:
            returned = typing.get_type_hints(obj).get("return")
            if inspect.isclass(returned) and issubclass(returned, warmcos.Schedule):
                found[name] = name
    return found


class Elements(HTMLParser):
    """The tags of an HTML page with their attributes, and its text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse_html(path: Path) -> Elements:
    parser = Elements()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


@pytest.fixture(scope="module")
def build() -> Build:
    return build_site()


# -- no build needed ---------------------------------------------------------------------------


def test_every_schedule_factory_has_a_page_in_the_nav() -> None:
    declared = {body: page for page, body in markers("schedule")}
    nav = MKDOCS_YML.read_text(encoding="utf-8")
    missing = {
        public: spec for public, spec in schedule_factories().items() if spec not in declared
    }
    assert not missing, (
        f"schedule factories without a page: {missing}; add docs/schedules/NAME.md holding "
        "<!-- schedule: NAME --> and list it in mkdocs.yml's nav"
    )
    for spec in set(schedule_factories().values()):
        page = declared[spec].relative_to(DOCS).as_posix()
        assert re.search(rf"^\s*-\s*(.*:\s*)?{re.escape(page)}\s*$", nav, re.MULTILINE), page


def test_the_factories_found_include_the_well_known_ones() -> None:
    found = set(schedule_factories())
    assert {"cosine", "Cosine", "cosine_restarts", "wsd", "join", "Product", "decay_now"} <= found
    assert not {"parse", "from_dict", "Schedule", "Segment"} & found


def test_every_schedule_page_has_a_figure_and_a_peer_table() -> None:
    for page in sorted((DOCS / "schedules").glob("*.md")):
        if page.name == "index.md":
            continue
        text = page.read_text(encoding="utf-8")
        assert "<!-- schedule:" in text, page
        assert "<!-- figure:" in text, page
        assert "<!-- peers:" in text, page


# -- on the built site -------------------------------------------------------------------------


@pytest.mark.slow
def test_strict_build_passes(build: Build) -> None:
    assert build.returncode == 0, build.output[-5000:]
    assert "WARNING" not in build.output, build.output[-5000:]
    assert (build.site / "index.html").is_file()


@pytest.mark.slow
def test_every_figure_marker_is_an_svg_drawn_by_the_library(build: Build) -> None:
    figures = markers("figure")
    assert len(figures) >= len(list((DOCS / "schedules").glob("*.md"))) - 1
    for page in {page for page, _ in figures}:
        html = built_page(build, page)
        wanted = sum(1 for p, _ in figures if p == page)
        sources = [
            attrs["src"]
            for tag, attrs in parse_html(html).tags
            if tag == "img" and "figures/" in attrs.get("src", "")
        ]
        assert len(sources) == wanted, (page, sources)
        for source in sources:
            svg = (html.parent / source).resolve()
            assert svg.is_file(), (page, source)
            text = svg.read_text(encoding="utf-8")
            assert text.lstrip().startswith("<?xml") and "<svg" in text, svg
            assert 'id="schedule-0"' in text, svg  # the first curve of warmcos.plotting.figure


@pytest.mark.slow
def test_schedule_pages_show_the_docstring_formula_as_mathml(build: Build) -> None:
    for page in sorted((DOCS / "schedules").glob("*.md")):
        if page.name == "index.md":
            continue
        html = built_page(build, page).read_text(encoding="utf-8")
        assert ".. math::" not in html and ":class:`" not in html, page
        assert "in the API reference" in html, page
    cosine = built_page(build, DOCS / "schedules" / "cosine.md").read_text(encoding="utf-8")
    assert re.search(r'<math [^>]*display="block"', cosine)
    assert "Loshchilov &amp; Hutter" in cosine  # the docstring's text


@pytest.mark.slow
def test_every_schedule_page_names_each_peer_library(build: Build) -> None:
    for page in sorted((DOCS / "schedules").glob("*.md")):
        if page.name == "index.md":
            continue
        text = " ".join(parse_html(built_page(build, page)).text)
        section = text.split("In other libraries", 1)[1]
        for peer in PEERS:
            assert peer in section, (page, peer)


def public_names(module_name: str) -> list[str]:
    """``__all__``, or for a module without one its own functions, classes and constants."""
    module = importlib.import_module(module_name)
    if hasattr(module, "__all__"):
        return [n for n in module.__all__ if n != "__version__"]
    names = []
    for name, obj in vars(module).items():
        defined_here = (inspect.isfunction(obj) or inspect.isclass(obj)) and (
            obj.__module__ == module_name
        )
        constant = name.isupper() and name != "TYPE_CHECKING"
        if not name.startswith("_") and (defined_here or constant):
            names.append(name)
    return names


@pytest.mark.slow
@pytest.mark.parametrize(
    "module_name, page",
    [
        ("warmcos", "warmcos"),
        pytest.param(
            "warmcos.torch",
            "torch",
            marks=pytest.mark.skipif(
                importlib.util.find_spec("torch") is None, reason="needs torch"
            ),
        ),
        pytest.param(
            "warmcos.optax",
            "optax",
            marks=pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="needs jax"),
        ),
        ("warmcos.plotting", "plotting"),
    ],
)
def test_every_public_name_is_documented_once(build: Build, module_name: str, page: str) -> None:
    ids: list[str] = []
    for html in sorted((build.site / "reference").glob("*.html")):
        ids += [attrs["id"] for _, attrs in parse_html(html).tags if "id" in attrs]
    for name in public_names(module_name):
        path = f"{module_name}.{name}"
        assert ids.count(path) == 1, (path, ids.count(path))


@pytest.mark.slow
def test_keras_reference_needs_no_keras_at_build_time(build: Build) -> None:
    # warmcos.keras is read statically (griffe): its names are there without importing Keras.
    html = (build.site / "reference" / "keras.html").read_text(encoding="utf-8")
    text = Path(warmcos.__file__).with_name("keras.py").read_text(encoding="utf-8")
    names = re.search(r"__all__ = \[(.*?)\]", text, re.DOTALL)
    assert names is not None
    for name in re.findall(r'"(\w+)"', names.group(1)):
        assert f'id="warmcos.keras.{name}"' in html, name


@pytest.mark.slow
def test_the_site_needs_nothing_from_outside(build: Build) -> None:
    external = re.compile(r"^(https?:)?//")
    for html in sorted(build.site.rglob("*.html")):
        for tag, attrs in parse_html(html).tags:
            if tag in ("script", "img", "iframe", "source", "audio", "video"):
                assert not external.match(attrs.get("src", "")), (html, tag, attrs)
            if tag == "link" and attrs.get("rel") in ("stylesheet", "preconnect", "preload"):
                assert not external.match(attrs.get("href", "")), (html, attrs)
    for css in build.site.rglob("*.css"):
        assert not re.search(r"@import\s+url\(\s*['\"]?https?:", css.read_text("utf-8")), css
    # Search runs from files too: the offline plugin inlines the index into a script.
    assert (build.site / "search" / "search_index.js").is_file()


@pytest.mark.slow
def test_title_names_the_version_and_links_resolve(build: Build) -> None:
    title = re.search(r"<title>(.*?)</title>", (build.site / "index.html").read_text("utf-8"))
    assert title is not None and f"warmcos {warmcos.__version__}" in title.group(1)
    # Every relative link and image of every page points at a file of the site (404.html is
    # the server's page for any missing URL, with links from the site's root).
    for html in sorted(set(build.site.rglob("*.html")) - {build.site / "404.html"}):
        for tag, attrs in parse_html(html).tags:
            target = attrs.get("href" if tag in ("a", "link") else "src", "")
            if tag not in ("a", "link", "img", "script") or not target:
                continue
            if re.match(r"^([a-z]+:|//|#)", target):
                continue
            path = target.split("#", 1)[0].split("?", 1)[0]
            if path:
                assert (html.parent / path).resolve().exists(), (html, target)


def test_every_page_is_in_the_nav() -> None:
    nav = MKDOCS_YML.read_text(encoding="utf-8")
    for page in pages():
        assert page.relative_to(DOCS).as_posix() in nav, page


def test_markers_name_known_kinds() -> None:
    known = {
        "figure",
        "schedule",
        "peers",
        "peers-of",
        "schedule-list",
        "cli-help",
        "factory-aliases",
        "api-schedule-classes",
        "api-rest",
    }
    for page in pages():
        for marker in MARKER.finditer(page.read_text(encoding="utf-8")):
            assert marker.group("kind") in known, (page, marker.group(0))


@pytest.mark.slow
def test_docstring_cross_references_to_public_names_resolve(build: Build) -> None:
    # Sphinx roles in docstrings become optional links (tools/docs/docs_griffe.py): a target
    # the site documents nowhere stays code. A public name must always become a link.
    public = {f"warmcos.{n}" for n in warmcos.__all__}
    for module_name in ("warmcos.torch", "warmcos.optax", "warmcos.plotting"):
        if importlib.util.find_spec(module_name.split(".")[1]) or module_name.endswith("plotting"):
            public |= {f"{module_name}.{n}" for n in public_names(module_name)}
    unresolved = set()
    for html in sorted(build.site.rglob("*.html")):
        unresolved |= set(re.findall(r'<span title="(warmcos[\w.]*)">', html.read_text("utf-8")))
    assert not unresolved & public, sorted(unresolved & public)
