"""Where catalogs and caches are: a catalog tree's files, and cache entries checked by content.

Nothing here reads YAML or imports the catalog schema (pydantic), so a one-shot command that
finds what it needs in the cache (:mod:`configurator.pricing.stored`) starts without them.
:class:`~configurator.catalog.loader.CatalogTree` adds loading to :class:`CatalogFiles`.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path
from typing import Any

from configurator.errors import UnknownModelError, UsageError

Sources = list[tuple[str, str]]  # the files a cached value was made from: (path, sha256)


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
            resolved = Path(path).resolve()
            if resolved.is_relative_to(self.root.resolve()):
                return resolved.relative_to(self.root.resolve()).as_posix()
            return str(resolved)
        return relative

    def model_files(self) -> list[Path]:
        """Every model catalog file, sorted (fragments start with '_' and are skipped)."""
        if not self.root.is_dir():
            return []
        return sorted(
            p
            for p in self.root.glob("*/*.yaml")
            if not p.name.startswith("_") and p.parent.name not in ("markets", "schema")
        )

    def market_files(self) -> list[Path]:
        return sorted((self.root / "markets").glob("*.yaml"))

    def fragment_files(self) -> list[Path]:
        return sorted(
            p for p in self.root.glob("*/_*.yaml") if p.parent.name not in ("markets", "schema")
        )

    def all_files(self) -> list[Path]:
        """Every file ``catalog validate`` checks by default: models, fragments, markets."""
        return [*self.model_files(), *self.fragment_files(), *self.market_files()]

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
        """``market``, ``fragment`` or ``model``: what a file in a catalog tree holds."""
        if path.parent.name == "markets":
            return "market"
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


def cache_dir() -> Path | None:
    """Where loaded catalogs are cached; ``CONFIGURATOR_CACHE_DIR=""`` disables the cache."""
    configured = os.environ.get("CONFIGURATOR_CACHE_DIR")
    if configured == "":
        return None
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "configurator"


def digest(path: Path) -> str:
    """The sha256 of a file's bytes ('' when it cannot be read)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


def cache_load(target: Path | None) -> tuple[Sources, Any] | None:
    """A cache entry's sources and value, or None when it is missing, corrupt or stale (one
    of the files it was made from has changed since)."""
    if target is None or not target.is_file():
        return None
    try:
        with target.open("rb") as handle:
            sources, value = pickle.load(handle)
        for source_path, source_digest in sources:
            if digest(Path(source_path)) != source_digest:
                return None
        return sources, value
    except Exception:  # a stale or corrupt cache entry is simply ignored
        return None


def cache_store(target: Path | None, sources: Sources, value: Any) -> None:
    """Write a cache entry atomically; a cache that cannot be written is skipped."""
    if target is None:
        return
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_suffix(f".{os.getpid()}.tmp")
        with temporary.open("wb") as handle:
            pickle.dump((sources, value), handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, target)
    except OSError:
        pass  # the cache is an optimisation; a read-only home must not break quoting
