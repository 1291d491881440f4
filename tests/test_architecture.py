"""The layers of docs/ARCHITECTURE.md hold: no package imports one above it (lazy imports included)."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "mnist_handwriting"
CORE = {"errors", "paths", "strokes", "formats", "safeweights", "inference"}
ALLOWED = {
    "errors": set(), "paths": {"errors"}, "strokes": {"errors"}, "formats": {"errors", "paths", "strokes"},
    "safeweights": {"errors", "paths"}, "inference": set(),
    "render": CORE, "viz": CORE,
    "data": CORE | {"render", "viz"},
    "models": CORE | {"render"}, "trace": CORE,
    "train": CORE | {"render", "viz", "data", "models", "eval"},
    "eval": CORE | {"render", "viz", "data", "models"},
    "convert": CORE | {"render", "data", "models", "trace"},
    "write": CORE | {"data", "convert"},
    "export": CORE | {"render", "viz", "write"},
    "draw": CORE | {"render", "viz", "data", "models", "export"},
    "datasets": CORE | {"render", "viz", "data", "models", "trace", "convert", "export"},
    "synthesis": CORE | {"data", "datasets", "write", "train", "eval"},
}


def imports_of(path: Path) -> set[str]:
    """The top-level package units ``path`` imports relatively, anywhere in the file."""
    parts = path.relative_to(PACKAGE).parts
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = list(parts[:-1])[:len(parts) - node.level]
            target = base + (node.module.split(".") if node.module else [])
            found |= {target[0]} if target else {alias.name for alias in node.names}
    return found


def test_no_import_goes_up_a_layer():
    wrong = []
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE).parts
        unit = parts[0].removesuffix(".py")
        if unit in ("cli", "serve", "__init__"):
            continue
        for target in imports_of(path) - {unit, "__version__"}:
            if target not in ALLOWED[unit]:
                wrong.append(f"{path.relative_to(PACKAGE)} imports {target}")
    assert not wrong, wrong
