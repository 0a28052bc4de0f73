"""Shared fixtures: an isolated cache for the whole run, a CLI runner, the catalog trees."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from configurator.catalog.loader import default_catalog_root

DATA = Path(__file__).resolve().parent / "data"
GOLDEN = Path(__file__).resolve().parent / "golden"


@pytest.fixture(scope="session", autouse=True)
def _isolated_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Every test caches into a fresh directory and uses the shipped tree unless told."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CONFIGURATOR_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        patch.delenv("CONFIGURATOR_CATALOGS", raising=False)
        yield


@pytest.fixture
def runner() -> CliRunner:
    """Invoke ``configurator.cli.app`` in-process: ``runner.invoke(app, [...])``.

    Output is plain (no colour, 100 columns) so it can be compared with golden files.
    """
    return CliRunner(env={"NO_COLOR": "1", "COLUMNS": "100", "FORCE_COLOR": None})


@pytest.fixture(scope="session")
def shipped_root() -> Path:
    """The shipped catalog tree (``catalogs/``)."""
    return default_catalog_root()


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """``tests/data``: small catalog trees, valid (``mini``) and broken (``broken/<kind>``)."""
    return DATA


@pytest.fixture
def no_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """Disable the catalog cache for one test."""
    monkeypatch.setenv("CONFIGURATOR_CACHE_DIR", "")
