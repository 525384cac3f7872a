"""Every error a person reads is raised with a ``message`` (issue 19).

An error raised with a plain string literal or f-string reaches the window and the CLI in
English whatever the language.  This walks the Qt-free code (``backends/``,
``desktop_app/core``, ``desktop_app/cli``) and finds each ``raise``/``return`` of an error
of a family that is shown to people, built from a literal sentence instead of a
``message(...)``.  The families: everything under ``BackendError`` and the core's own error
types that the window or the CLI prints.
"""

from __future__ import annotations

import ast
from pathlib import Path

from backends.base import BackendError

REPO = Path(__file__).resolve().parents[2]
FOLDERS = ("backends", "desktop_app/core", "desktop_app/cli")

#: (file, function) -> why its errors stay English.  Kept short and each one argued.
ENGLISH_ON_PURPOSE = {
    ("desktop_app/core/models/catalog.py", function): (
        "validates the catalog.json shipped inside the app: a malformed entry is a bug the "
        "tests catch (tests/unit/test_catalog.py), never something a person is shown"
    )
    for function in (
        "_require",
        "_optional_str",
        "_file",
        "_entry",
        "parse_catalog",
        "__post_init__",
    )
}


def _family(root: type[BaseException]) -> set[str]:
    found, pending = set(), [root]
    while pending:
        cls = pending.pop()
        found.add(cls.__name__)
        pending.extend(cls.__subclasses__())
    return found


def shown_errors() -> set[str]:
    from desktop_app.cli.common import CliError
    from desktop_app.core.chat.import_chat import ImportFailed
    from desktop_app.core.describe.output import OutputFileError
    from desktop_app.core.describe.run import DescribeError
    from desktop_app.core.downloads.errors import DownloadError
    from desktop_app.core.images import ImageError
    from desktop_app.core.models.catalog import CatalogError
    from desktop_app.core.store.errors import StoreError

    names: set[str] = set()
    for root in (
        BackendError,
        CliError,
        ImportFailed,
        OutputFileError,
        DescribeError,
        DownloadError,
        ImageError,
        CatalogError,
        StoreError,
    ):
        names |= _family(root)
    return names


def literal_sentence(node: ast.expr) -> bool:
    """A sentence written in place: "…", f"…", "…" + x, "…".format(…)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return any(c.isalpha() for c in node.value)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp):
        return literal_sentence(node.left) or literal_sentence(node.right)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr == "format" and literal_sentence(node.func.value)
    return False


def _calls_by_function(tree: ast.AST) -> list[tuple[str, ast.Call]]:
    """Every call with the name of the innermost function around it ("" at module level)."""
    found: list[tuple[str, ast.Call]] = []

    def visit(node: ast.AST, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                visit(child, child.name)
                continue
            if isinstance(child, ast.Call):
                found.append((function, child))
            visit(child, function)

    visit(tree, "")
    return found


def unmarked(path: Path, names: set[str]) -> list[str]:
    where = str(path.relative_to(REPO)) if path.is_relative_to(REPO) else path.name
    found = []
    for function, node in _calls_by_function(ast.parse(path.read_text(encoding="utf-8"))):
        if not node.args or (where, function) in ENGLISH_ON_PURPOSE:
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        if name in names and literal_sentence(node.args[0]):
            found.append(f"{where}:{node.lineno} {name}")
    return found


def test_every_shown_error_is_raised_with_a_message() -> None:
    names = shown_errors()
    offenders = [
        where
        for folder in FOLDERS
        for path in sorted((REPO / folder).rglob("*.py"))
        for where in unmarked(path, names)
    ]
    assert offenders == [], "\n".join(offenders)


def test_the_check_sees_a_literal_sentence(tmp_path: Path) -> None:
    """The walk itself: each way of writing a sentence in place is caught, a message is not."""
    sample = tmp_path / "sample.py"
    source = (
        "raise BackendError('plain')\n"
        "raise BackendError(f'at {host}')\n"
        "raise BackendError('a ' + x)\n"
        "raise BackendError('{x}'.format(x=1))\n"
        "raise BackendError(message('fine {x}', x=1))\n"
        "raise ValueError('internal, not shown')\n"
    )
    sample.write_text(source, encoding="utf-8")
    lines = [where.split(":")[1].split()[0] for where in unmarked(sample, shown_errors())]
    assert lines == ["1", "2", "3", "4"]
