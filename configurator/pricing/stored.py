"""Compiled pricers kept on disk: a repeated one-shot quote skips the catalog entirely.

``configurator quote MODEL ...`` needs a model's :class:`~configurator.pricing.engine.Pricer`.
Building one means loading the catalog and its market (pydantic models: importing the schema
and pydantic's model machinery alone takes longer than the rest of the command) and
compiling them. A Pricer is plain data, so it is pickled into the cache directory
(:func:`configurator.catalog.files.cache_dir`) next to the cached catalogs, and later runs
load it without importing the schema, pydantic or YAML.

An entry is keyed by the model file's place, the package version and the core code that makes
the pickle (so an edited engine, schema or rule never reads an old pickle); it records the
sha256 of every file the pricer was made from (the model file, its includes and the market
file) and is used only while all of them are unchanged. Anything else (a missing, stale, corrupt or
unreadable entry, ``CONFIGURATOR_CACHE_DIR=""``) means building the pricer the usual way.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

from configurator import __version__
from configurator.catalog.files import CatalogFiles, cache_dir, cache_load, cache_store
from configurator.catalog.files import catalog_root as _catalog_root
from configurator.pricing.engine import Pricer, pricer

if TYPE_CHECKING:
    from configurator.catalog.schema import Catalog, Market

# The code whose classes a pickled Pricer holds or that decides what it holds (the schema,
# the loader's checks, the constraints, the engine): under the package's directory.
_CORE_DIRS = ("catalog", "pricing", "rules")
_CORE_FILES = ("codes.py", "configuration.py", "errors.py", "expr.py", "money.py", "quote.py")


def _layout() -> str:
    """The code that made a pickle: the size and modification time of every core module
    (a few dozen ``stat`` calls; nothing is imported), '' when they cannot be read."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    stamps = []
    try:
        paths = [os.path.join(package, name) for name in _CORE_FILES]
        for directory in _CORE_DIRS:
            with os.scandir(os.path.join(package, directory)) as entries:
                paths += sorted(e.path for e in entries if e.name.endswith(".py"))
        for path in paths:
            info = os.stat(path)
            stamps.append(f"{os.path.relpath(path, package)}:{info.st_size}:{info.st_mtime_ns}")
    except OSError:
        return ""
    return "\0".join(stamps)


def _entry(model_path: Path) -> Path | None:
    directory = cache_dir()
    if directory is None:
        return None
    layout = _layout()
    if not layout:
        return None
    place = f"{__version__}\0{model_path.resolve()}\0{layout}".encode()
    return directory / f"pricer-{__version__}-{hashlib.sha256(place).hexdigest()[:40]}.pickle"


def model_pricer(model_id: str, catalogs: str | os.PathLike[str] | None = None) -> Pricer:
    """The Pricer of a model in its market, from the tree ``catalogs`` (else
    ``$CONFIGURATOR_CATALOGS``, else the shipped one): loaded from the cache when every file
    it was made from is unchanged, built (and stored) otherwise.

    Raises what loading the catalog raises: UsageError for a missing tree,
    UnknownModelError, CatalogError.
    """
    files = CatalogFiles(_catalog_root(catalogs))
    path = files.model_path(model_id)
    target = _entry(path)
    found = cache_load(target)
    if found is not None and isinstance(found[1], Pricer):
        stored: Pricer = found[1]
        stored.attach(lambda: _load(files.root, model_id))
        return stored
    from configurator.catalog.loader import CatalogTree

    tree = CatalogTree(files.root)
    catalog = tree.load(model_id)
    market = tree.load_market(catalog.market)
    built = pricer(catalog, market)
    sources = tree.sources_of(path) + tree.sources_of(tree.market_path(catalog.market))
    cache_store(target, sources, built)
    return built


def _load(root: Path, model_id: str) -> tuple[Catalog, Market]:
    """A stored pricer's catalog and market, loaded when it needs them."""
    from configurator.catalog.loader import CatalogTree

    tree = CatalogTree(root)
    catalog = tree.load(model_id)
    return catalog, tree.load_market(catalog.market)
