"""The largest functions and modules of the core (everything but cli/ and render/), by lines.

Usage: python bench/code_size.py [PACKAGE_DIR] [--top N] [--over LINES]
"""

from __future__ import annotations

import argparse
import ast
from pathlib import Path

FRONT = ("cli", "render")


def core_files(package: Path) -> list[Path]:
    return [
        path
        for path in sorted(package.rglob("*.py"))
        if path.relative_to(package).parts[0] not in FRONT
    ]


def functions(path: Path, package: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []

    def walk(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                walk(child, f"{prefix}{child.name}.")
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                start = min([child.lineno, *(d.lineno for d in child.decorator_list)])
                assert child.end_lineno is not None
                name = f"{path.relative_to(package.parent)}:{prefix}{child.name}"
                found.append((child.end_lineno - start + 1, name))
                walk(child, f"{prefix}{child.name}.")

    walk(tree, "")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "package", nargs="?", type=Path, default=Path(__file__).parents[1] / "configurator"
    )
    parser.add_argument("--top", type=int, default=5)
    parser.add_argument("--over", type=int, default=60, help="list functions over this size")
    args = parser.parse_args()
    package = args.package.resolve()
    files = core_files(package)
    sizes = sorted(
        (
            (len(p.read_text(encoding="utf-8").splitlines()), str(p.relative_to(package.parent)))
            for p in files
        ),
        reverse=True,
    )
    funcs = sorted((f for p in files for f in functions(p, package)), reverse=True)
    print("largest core modules:")
    for lines, name in sizes[: args.top]:
        print(f"  {lines:5d}  {name}")
    print("largest core functions:")
    for lines, name in funcs[: args.top]:
        print(f"  {lines:5d}  {name}")
    over = [f for f in funcs if f[0] > args.over]
    print(f"core functions over {args.over} lines: {len(over)}")
    for lines, name in over:
        print(f"  {lines:5d}  {name}")


if __name__ == "__main__":
    main()
