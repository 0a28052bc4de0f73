"""The package's layers point one way: each module imports only its own layer and those below.

The table :data:`LAYERS` is the layer list of README's Design section, bottom first. Every
module of the package must match a row (the longest matching prefix wins), so a new module
either falls under an existing row (``configurator/render/html.py`` under render) or needs a
row of its own: add one where it belongs. Every import counts, at module level, inside a
function (the package's lazy imports) or under ``TYPE_CHECKING``, and no import may close a
cycle, within a layer or across.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "configurator"

# Bottom first. A row: (layer, the modules it holds: a module or a package, by dotted name).
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    (
        "base",
        (
            "configurator",
            "configurator.errors",
            "configurator.money",
            "configurator.expr",
            "configurator.outputs",
            "configurator.safetext",
            "configurator.isodates",
        ),
    ),
    ("catalog", ("configurator.catalog",)),
    (
        "choices",
        (
            "configurator.configuration",
            "configurator.quote",
            "configurator.codes",
            "configurator.lang",
        ),
    ),
    ("rules", ("configurator.rules",)),
    ("uvl", ("configurator.uvl",)),
    ("pricing", ("configurator.pricing",)),
    (
        "session, batch, documents and the editor's workbench",
        (
            "configurator.session",
            "configurator.grouptree",
            "configurator.batch",
            "configurator.document",
            "configurator.document_zh",
            "configurator.compare",
            "configurator.workbench",
            "configurator.repairs",
        ),
    ),
    ("columnar", ("configurator.columnar",)),
    ("render", ("configurator.render",)),
    ("cli", ("configurator.cli", "configurator.__main__")),
]

# Imports allowed against the table, each with its reason; none may be needed for a cycle.
EXCEPTIONS: dict[tuple[str, str], str] = {
    ("configurator", "configurator.catalog.loader"): (
        "`from configurator import load_catalog` for library users: a lazy re-export in the "
        "package's __getattr__, imported only when asked for"
    ),
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def package_modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The package's modules that ``name`` imports, anywhere in its source."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # `from package import module` imports the module; `from module import name`
            # imports the module.
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                for alias in node.names
            ]
        else:
            continue
        for target in targets:
            while target and target not in modules:  # `import a.b.c` of a module in a.b
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def layer_of(name: str) -> int | None:
    best: tuple[int, int] | None = None  # (prefix length, layer index)
    for index, (_, members) in enumerate(LAYERS):
        for member in members:
            matches = name == member or name.startswith(member + ".")
            if matches and (best is None or len(member) > best[0]):
                best = (len(member), index)
    return None if best is None else best[1]


def graph() -> dict[str, set[str]]:
    modules = package_modules()
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def test_every_module_has_a_layer() -> None:
    missing = [name for name in package_modules() if layer_of(name) is None]
    assert not missing, f"add a row to LAYERS in {__file__} (and README's Design) for {missing}"


def test_imports_point_down_the_layers() -> None:
    upward = []
    for name, targets in graph().items():
        here = layer_of(name)
        for target in sorted(targets):
            there = layer_of(target)
            if here is None or there is None or (name, target) in EXCEPTIONS:
                continue
            if there > here:
                upward.append(
                    f"{name} ({LAYERS[here][0]}) imports {target} ({LAYERS[there][0]}), "
                    f"a layer above it"
                )
    assert not upward, "\n".join(upward)


def test_the_core_imports_neither_typer_nor_rich() -> None:
    front = ("configurator.cli", "configurator.render", "configurator.__main__")
    found = []
    for name, path in package_modules().items():
        if name == front[0] or name.startswith(front):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                targets = [node.module or ""]
            else:
                continue
            found += [
                f"{name} imports {t}"
                for t in targets
                if t.split(".")[0] in ("typer", "rich", "click")
            ]
    assert not found, "\n".join(found)


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``edges`` as a list of modules (first == last), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(edges.get(node, ())):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state:
                found = visit(target)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_no_import_cycle() -> None:
    edges = {
        name: {t for t in targets if (name, t) not in EXCEPTIONS}
        for name, targets in graph().items()
    }
    cycle = find_cycle(edges)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_exceptions_are_still_needed() -> None:
    edges = graph()
    stale = [pair for pair in EXCEPTIONS if pair[1] not in edges.get(pair[0], set())]
    assert not stale, f"remove these from EXCEPTIONS, the imports are gone: {stale}"


@pytest.mark.parametrize(
    ("edges", "expected"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, ["a", "b", "c", "a"]),
        ({"a": {"b"}, "b": {"c"}, "c": set()}, None),
        ({"a": {"a"}}, ["a", "a"]),
    ],
)
def test_find_cycle(edges: dict[str, set[str]], expected: list[str] | None) -> None:
    assert find_cycle(edges) == expected


def test_the_walker_sees_lazy_and_relative_imports(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text(
        "def f():\n    from configurator.rules import engine\n    import configurator.money\n"
        "from configurator.errors import Location\n",
        encoding="utf-8",
    )
    modules = package_modules()
    found = imports_of("configurator.pricing.m", source, modules)
    assert found == {"configurator.rules.engine", "configurator.money", "configurator.errors"}
