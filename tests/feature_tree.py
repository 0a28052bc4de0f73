"""A generated feature model with hundreds of groups, for the feature-tree screens of configure.

The public industrial models are not in the repository; this one has the same shape (a deep
tree of mandatory, alternative and optional groups under an abstract root, a few cross-tree
constraints) and Chinese feature names in one region, and imports in well under a second.
"""

from __future__ import annotations

from pathlib import Path

from configurator.uvl.convert import import_uvl

REGIONS = 12
SYSTEMS = 10
CHINESE_REGION = 3  # this region's features have Chinese names
WIDE = (0, 0)  # this system's alternative has 3 + WIDE_EXTRA parts
WIDE_EXTRA = 27


def region_name(r: int) -> str:
    return "华东区" if r == CHINESE_REGION else f"Region {r}"


def system_name(r: int, s: int) -> str:
    return f"座椅系统 {r}-{s}" if r == CHINESE_REGION else f"System {r}-{s}"


def part_name(r: int, s: int, p: str) -> str:
    return f"加热部件 {r}-{s}-{p}" if r == CHINESE_REGION else f"Part {r}-{s}-{p}"


def extra_name(r: int, s: int, x: str) -> str:
    return f"选装 {r}-{s}-{x}" if r == CHINESE_REGION else f"Extra {r}-{s}-{x}"


def uvl_text() -> str:
    """The model: Fleet > regions > systems > an alternative of parts and optional extras."""
    lines = ["namespace Fleet", "features", "    Fleet {abstract}", "        mandatory"]
    for r in range(REGIONS):
        lines += [f'            "{region_name(r)}" {{abstract}}', "                mandatory"]
        for s in range(SYSTEMS):
            lines += [
                f'                    "{system_name(r, s)}"',
                "                        alternative",
            ]
            parts = [("a", 0), ("b", 450), ("c", 1200)]
            if (r, s) == WIDE:  # a group with more options than a 24-line screen holds
                parts += [(f"w{i}", 10 * i) for i in range(1, WIDE_EXTRA + 1)]
            for p, price in parts:
                lines.append(f'{" " * 28}"{part_name(r, s, p)}" {{price {price}}}')
            lines.append("                        optional")
            for x in ("x", "y"):
                lines.append(f'                            "{extra_name(r, s, x)}" {{price 99.5}}')
    lines += [
        "constraints",
        f'    "{part_name(0, 0, "b")}" => "{extra_name(1, 1, "x")}"',
        f'    "{extra_name(CHINESE_REGION, 2, "y")}" => !"{part_name(0, 0, "c")}"',
    ]
    return "\n".join(lines) + "\n"


def write_model(folder: Path) -> tuple[Path, str]:
    """Write the model as UVL and import it into ``folder/catalogs``: (catalogs, model id)."""
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / "fleet.uvl"
    source.write_text(uvl_text(), encoding="utf-8")
    result = import_uvl(source, folder / "catalogs")
    return folder / "catalogs", result.model_id
