"""Shared by the site tests: build the documentation site once per test process."""

from __future__ import annotations

import atexit
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
MKDOCS_YML = ROOT / "mkdocs.yml"
MARKER = re.compile(r"<!--\s*(?P<kind>[a-z-]+):?\s*(?P<body>.*?)\s*-->", re.DOTALL)


@dataclass(frozen=True)
class Build:
    """A strict build of the site: where it went, what MkDocs printed, how long it took."""

    site: Path
    returncode: int
    output: str
    seconds: float


_built: list[Build] = []


def build_site() -> Build:
    """``python -m mkdocs build --strict`` into a temporary folder (once per process)."""
    if not _built:
        site = Path(tempfile.mkdtemp(prefix="warmcos-site-"))
        atexit.register(shutil.rmtree, site, ignore_errors=True)
        env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
        start = time.perf_counter()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "mkdocs",
                "build",
                "--strict",
                "--config-file",
                str(MKDOCS_YML),
                "--site-dir",
                str(site),
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        seconds = time.perf_counter() - start
        _built.append(Build(site, done.returncode, done.stdout + done.stderr, seconds))
    return _built[0]


def pages() -> list[Path]:
    """Every Markdown page of the site (files MkDocs excludes left out)."""
    return sorted(p for p in DOCS.rglob("*.md") if _is_page(p))


def _is_page(path: Path) -> bool:
    return path.relative_to(DOCS).parts[0] not in ("budget", "demo")


def markers(kind: str) -> list[tuple[Path, str]]:
    """(page, body) of every ``<!-- kind: body -->`` marker in the pages."""
    return [
        (page, m.group("body"))
        for page in pages()
        for m in MARKER.finditer(page.read_text(encoding="utf-8"))
        if m.group("kind") == kind
    ]


def built_page(build: Build, page: Path) -> Path:
    """The HTML file MkDocs made of `page` (``use_directory_urls: false``)."""
    return build.site / page.relative_to(DOCS).with_suffix(".html")
