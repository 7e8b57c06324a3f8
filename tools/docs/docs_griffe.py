"""A Griffe extension: warmcos' docstrings as mkdocstrings reads them.

Two rewrites, both of the docstring text before it is parsed:

- An ``Example:`` section is read as Google style's ``Examples:``, so its doctest lines show as
  Python console code (as written, without it they would be read as Markdown prose).
- Sphinx roles become cross-references, as follows.

warmcos' docstrings refer to other objects the Sphinx way, ``:class:`LRScheduler```,
``:meth:`~warmcos.Schedule.to_dict```. mkdocstrings renders docstrings as Markdown, where such a
role would show as text. This extension resolves each role's target in the scope of the object
whose docstring holds it (as Python would: members, then the enclosing objects, then imports)
and writes an *optional* autorefs link: a link when the target is documented on the site, plain
code when it is not (a private helper, a module of the standard library). ``~`` shortens the
shown name to its last part, as in Sphinx.

mkdocstrings-python loads it by module name (``extensions: [docs_griffe]`` in mkdocs.yml); the
build hook puts this directory on ``sys.path`` first.
"""

from __future__ import annotations

import html
import re
from typing import Any

import griffe

EXAMPLE = re.compile(r"^(\s*)Example:[ \t]*$", re.MULTILINE)
ROLE = re.compile(r":(?:func|class|meth|attr|data|mod|obj|exc|const|py:\w+):`(~?)([\w.]+)(\(\))?`")


def resolve(obj: griffe.Object, target: str) -> str | None:
    """The full path of `target` as written in the docstring of `obj`, or None if unknown."""
    head, _, rest = target.partition(".")
    collection = obj.modules_collection
    if head in collection.members:  # already a full path: warmcos.parse
        return synonym(collection, target)
    try:
        path = obj.resolve(head)
    except griffe.NameResolutionError:
        return None
    return f"{path}.{rest}" if rest else synonym(collection, path)


def synonym(collection: griffe.ModulesCollection, path: str) -> str:
    """``warmcos.Cosine`` for ``warmcos.cosine``, and any `path` for itself.

    A module attribute bound to another name of the module (the factories are their classes)
    links where that name is documented.
    """
    try:
        target = collection[path]
    except KeyError:
        return path
    parent = target.parent
    value = getattr(target, "value", None) if target.is_attribute else None
    if parent is not None and isinstance(value, str | griffe.ExprName):
        name = str(value)
        if name in parent.members and name != target.name:
            return f"{parent.path}.{name}"
    return path


def link(obj: griffe.Object, match: re.Match[str]) -> str:
    """The HTML that replaces one role."""
    short, target, call = match.group(1), match.group(2), match.group(3) or ""
    shown = html.escape((target.rsplit(".", 1)[-1] if short else target) + call)
    path = resolve(obj, target)
    if path is None:
        return f"<code>{shown}</code>"
    return f'<autoref identifier="{html.escape(path)}" optional><code>{shown}</code></autoref>'


def rewrite(obj: griffe.Object) -> None:
    """Replace the roles in the docstring of `obj` and of everything it holds."""
    if obj.docstring is not None and ":" in obj.docstring.value:
        text = EXAMPLE.sub(r"\1Examples:", obj.docstring.value)
        obj.docstring.value = ROLE.sub(lambda m: link(obj, m), text)
    for member in obj.members.values():
        if not member.is_alias:
            rewrite(member)  # type: ignore[arg-type]


class WarmcosDocstrings(griffe.Extension):
    """Rewrite every docstring of a loaded package."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        """Rewrite the docstrings once the whole package is loaded."""
        rewrite(pkg)
