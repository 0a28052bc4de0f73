"""Where catalogs are: a catalog tree's files (the cache itself is :mod:`configurator.cache`).

Nothing here reads YAML or imports the catalog schema (pydantic), so a one-shot command that
finds what it needs in the cache (:mod:`configurator.pricing.stored`) starts without them.
:class:`~configurator.catalog.loader.CatalogTree` adds loading to :class:`CatalogFiles`.
"""

from __future__ import annotations

import os
from pathlib import Path

from configurator.cache import Sources as Sources
from configurator.cache import cache_dir as cache_dir
from configurator.cache import file_digest
from configurator.errors import UnknownModelError, UsageError
from configurator.safeio import resolved


class CatalogFiles:
    """The files of a catalog tree: ``<brand>/<model>.yaml``, ``<brand>/_<fragment>.yaml``,
    ``markets/<id>.yaml``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def display(self, path: Path) -> str:
        """A path as shown in messages: relative below the working directory (a path an
        editor opens), else relative to the catalog tree (``xiaomi/su7-ultra.yaml``: never
        an install path such as ``.../site-packages/...``), else absolute."""
        try:
            relative = os.path.relpath(path)
        except ValueError:  # pragma: no cover - another drive on Windows
            return str(path)
        if relative == ".." or relative.startswith(".." + os.sep):
            full, root = resolved(path), resolved(self.root)
            return full.relative_to(root).as_posix() if full.is_relative_to(root) else str(full)
        return relative

    def model_files(self) -> list[Path]:
        """Every model catalog file, sorted (fragments start with '_' and are skipped)."""
        if not self.root.is_dir():
            return []
        return sorted(
            p
            for p in self.root.glob("*/*.yaml")
            if not p.name.startswith("_")
            and p.parent.name not in ("markets", "schema")
            and not p.name.endswith(".cases.yaml")  # golden cases (catalog test)
        )

    def market_files(self) -> list[Path]:
        return sorted((self.root / "markets").glob("*.yaml"))

    def fragment_files(self) -> list[Path]:
        return sorted(
            p for p in self.root.glob("*/_*.yaml") if p.parent.name not in ("markets", "schema")
        )

    def case_files(self) -> list[Path]:
        """Every golden case file, ``<brand>/<model>.cases.yaml`` (``catalog test``)."""
        if not self.root.is_dir():
            return []
        return sorted(
            p
            for p in self.root.glob("*/*.cases.yaml")
            if p.parent.name not in ("markets", "schema")
        )

    def all_files(self) -> list[Path]:
        """Every file ``catalog validate`` checks by default: models, fragments, markets and
        golden case files."""
        return [
            *self.model_files(),
            *self.fragment_files(),
            *self.market_files(),
            *self.case_files(),
        ]

    def model_ids(self) -> list[str]:
        return [self.model_id_for(p) for p in self.model_files()]

    def model_id_for(self, path: Path) -> str:
        """A model's id is its brand folder and file name: ``xiaomi/su7-ultra.yaml``."""
        return f"{path.parent.name}-{path.stem}"

    def model_path(self, model_id: str) -> Path:
        for path in self.model_files():
            if self.model_id_for(path) == model_id:
                return path
        raise UnknownModelError(model_id, self.model_ids())

    def market_path(self, market_id: str) -> Path:
        return self.root / "markets" / f"{market_id}.yaml"

    @staticmethod
    def kind_of(path: Path) -> str:
        """``market``, ``fragment``, ``cases`` or ``model``: what a file in a catalog tree
        holds."""
        if path.parent.name == "markets":
            return "market"
        if path.name.endswith(".cases.yaml"):
            return "cases"
        if path.name.startswith("_"):
            return "fragment"
        return "model"


# --- finding the tree -------------------------------------------------------------------------


def default_catalog_root() -> Path:
    """The shipped catalogs: inside the installed package, or the repository's ``catalogs/``."""
    package_dir = Path(__file__).resolve().parent.parent
    packaged = package_dir / "catalogs"
    if packaged.is_dir():
        return packaged
    return package_dir.parent / "catalogs"


def catalog_root(override: str | os.PathLike[str] | None = None) -> Path:
    """``--catalogs DIR``, else ``$CONFIGURATOR_CATALOGS``, else the shipped catalogs."""
    chosen = override or os.environ.get("CONFIGURATOR_CATALOGS")
    if chosen:
        root = Path(chosen)
        if not root.is_dir():
            raise UsageError(f"catalog directory '{chosen}' does not exist")
        return root
    return default_catalog_root()


# --- cache ----------------------------------------------------------------------------------


def digest(path: Path) -> str:
    """The sha256 of a regular file's bytes ('' when it cannot be read)."""
    return file_digest(path)
