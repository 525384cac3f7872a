"""The layers stay clean: no Qt below the window, no heavy native module at import time."""

from __future__ import annotations

import subprocess
import sys

from tests.helpers import REPO


def test_core_imports_are_light() -> None:
    code = (
        "import sys\n"
        "import backends.base, backends.llama_cpp, backends.llama_cpp.backend\n"
        "import desktop_app.core.images, desktop_app.core.settings, desktop_app.cli.app\n"
        "import desktop_app.__main__\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('llama_cpp', 'PySide6'))\n"
        "print(','.join(heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True
    )
    assert result.stdout.strip() == ""


def test_import_linter_contracts_hold() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "importlinter.cli", "--config", str(REPO / "pyproject.toml")],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    if "No module named" in result.stderr:
        result = subprocess.run(
            ["lint-imports"], capture_output=True, text=True, cwd=REPO, check=False
        )
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_import_cycles_anywhere() -> None:
    """No module of ``desktop_app`` or ``backends`` reaches itself through its imports
    (function-level imports included; ``TYPE_CHECKING`` ones are not imports at run time).
    The CLI's six flat modules had one, dodged by imports inside functions."""
    import grimp

    graph = grimp.build_graph("desktop_app", "backends", exclude_type_checking_imports=True)
    ours = {m for m in graph.modules if m.split(".")[0] in ("desktop_app", "backends")}
    edges = {m: graph.find_modules_directly_imported_by(m) & ours for m in ours}
    cycles = _cycles(edges)
    assert cycles == [], "\n".join(" -> ".join(cycle) for cycle in cycles)


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_controllers_never_reach_into_widgets_private_parts() -> None:
    """A controller talks to widgets through their public methods and signals; an
    underscore attribute of anything but itself is another object's internals."""
    import ast

    offences = []
    for path in sorted((REPO / "desktop_app" / "qt" / "controllers").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Attribute)
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
                and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))
            ):
                offences.append(f"{path.name}:{node.lineno} .{node.attr}")
    assert offences == []
