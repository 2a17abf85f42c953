"""The layout follows the flow: imports run one way, no circles, no oversized module.

The order is written down in ``docs/design.md``; a module may import from its
own layer and the layers before it, never after, lazy imports (inside
functions) included.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "skmammo"

#: The layers in the order of the flow (docs/design.md).
LAYERS = ("utils", "datasets", "preprocessing", "explain", "models", "scan", "pipeline",
          "evaluation", "model_file", "study", "reporting", "_templates", "workflow", "apply",
          "cli")

#: Most lines a module may have.
MAX_LINES = 400


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    templates = PACKAGE.parent / "reports" / "templates" / "__init__.py"
    if templates.exists():
        found["skmammo._templates"] = templates
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """Every skmammo module ``name`` imports, at the top or inside a function."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                full = f"{base}.{alias.name}"
                targets.add(full if full in MODULES else base)
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module"
              and node.args and isinstance(node.args[0], ast.Constant)):
            targets.add(str(node.args[0].value))
    return {t for t in targets if t in MODULES and t != name}


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _layer(module: str) -> int:
    parts = module.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 else -1


def test_every_module_belongs_to_a_layer():
    unplaced = [m for m in MODULES if m != "skmammo" and m.split(".")[1] not in LAYERS]
    assert unplaced == [], "add these to LAYERS and docs/design.md: " + ", ".join(unplaced)


def test_imports_run_one_way_along_the_flow():
    upward = [f"{a} imports {b}" for a, targets in GRAPH.items() if a != "skmammo"
              for b in targets if b != "skmammo" and _layer(b) > _layer(a)]
    assert upward == [], upward


def test_no_import_circle_between_modules():
    # Tarjan's strongly connected components over the module graph (lazy imports included;
    # a package's __init__ re-exporting its own modules is an edge like any other).
    index, low, stack, on_stack, circles = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for v in GRAPH:
        if v not in index:
            visit(v)
    assert circles == [], circles


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_is_oversized(name):
    lines = len(MODULES[name].read_text().splitlines())
    assert lines <= MAX_LINES, f"{name} has {lines} lines; split it by idea"
