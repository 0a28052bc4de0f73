"""`catalog diff`: structural changes, exact counts (checked by enumeration and against
`catalog stats`), orders classified, and --rev on a git repository."""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from configurator.catalog.loader import CatalogTree
from configurator.catalog.schema import Catalog
from configurator.cli import app
from configurator.rules.constraints import constraints, spend_constraints
from configurator.workbench.diff import configuration_counts, diff_trees

MINI = Path(__file__).resolve().parent / "data" / "mini"


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _valid_sets(catalog: Catalog) -> set[frozenset[str]]:
    """Every valid configuration, by enumerating every set of codes."""
    codes = sorted(catalog.codes())
    checks = [*constraints(catalog), *spend_constraints(catalog)]
    found = set()
    for size in range(len(codes) + 1):
        for chosen in itertools.combinations(codes, size):
            selected = frozenset(chosen)
            if all(c.holds(selected) for c in checks):
                found.add(selected)
    return found


@pytest.fixture
def mini_pair(tmp_path: Path) -> tuple[Path, Path]:
    """The mini tree and a copy with a removed option, a new option, a repriced package, a
    new rule, a changed group and a changed tax."""
    old, new = tmp_path / "old", tmp_path / "new"
    shutil.copytree(MINI, old)
    shutil.copytree(MINI, new)
    car = new / "acme" / "roadster.yaml"
    _edit(car, "      - code: AMP-EXTRA\n        name: Extra amplifier\n        price: 1500\n", "")
    _edit(car, "        brings: [AMP-EXTRA]\n", "")
    _edit(
        car,
        "      - code: WHEEL-20-FORGED\n",
        "      - code: WHEEL-21\n        name: 21-inch wheels\n        price: 20000\n"
        "      - code: WHEEL-20-FORGED\n",
    )
    _edit(car, "    price: 15000\n", "    price: 16000\n")
    _edit(car, "    choose: any\n", "    choose: {min: 0, max: 1}\n")
    _edit(
        car,
        "rules:\n",
        "rules:\n  - id: no-21-with-blue\n    message: not with blue\n    option: WHEEL-21\n"
        "    excludes: [PAINT-BLUE]\n",
    )
    return old, new


def test_counts_are_exact_by_enumeration(mini_pair: tuple[Path, Path]) -> None:
    old_path, new_path = mini_pair
    old = CatalogTree(old_path).load("acme-roadster")
    new = CatalogTree(new_path).load("acme-roadster")
    before, after = _valid_sets(old), _valid_sets(new)
    counts = configuration_counts(old, new)
    assert (counts.old, counts.new) == (len(before), len(after))
    assert counts.lost == len(before - after)
    assert counts.gained == len(after - before)
    assert counts.old - counts.lost + counts.gained == counts.new
    assert counts.lost_example is not None and frozenset(counts.lost_example) in before - after
    assert counts.gained_example is not None
    assert frozenset(counts.gained_example) in after - before
    same = configuration_counts(old, old)
    assert (same.lost, same.gained, same.lost_example) == (0, 0, None)


def test_structural_changes(mini_pair: tuple[Path, Path]) -> None:
    old_path, new_path = mini_pair
    found = diff_trees(CatalogTree(old_path), CatalogTree(new_path), counts=False)
    (model,) = found.models
    data = model.as_dict()
    assert data["model"] == "acme-roadster"
    assert data["added"] == ["WHEEL-21"]
    assert data["removed"] == ["AMP-EXTRA"]
    assert data["repriced"] == [{"code": "PKG-SPORT", "old": "15000.00", "new": "16000.00"}]
    assert data["rules"]["added"] == ["no-21-with-blue"]
    assert data["options"]["changed"] == ["AUDIO-PREMIUM"]  # no longer brings AMP-EXTRA
    assert data["options"]["details"] == ["option 'AUDIO-PREMIUM': brings: - AMP-EXTRA"]
    assert data["groups"]["changed"] == ["wheels", "extras"]
    assert (
        "group 'extras': choose any number -> at most one; options out: AMP-EXTRA"
        in data["groups"]["details"]
    )


def test_diff_counts_agree_with_catalog_stats_on_both_trees(
    runner: CliRunner, tmp_path: Path, shipped_root: Path
) -> None:
    new = tmp_path / "catalogs"
    shutil.copytree(shipped_root, new)
    su7 = new / "xiaomi" / "su7-ultra.yaml"
    _edit(
        su7,
        "rules:\n",
        "rules:\n  - id: no-carbon-roof-with-massage\n    message: test\n"
        "    option: ROOF-CARBON\n    excludes: [SEAT-MASSAGE]\n",
    )
    _edit(su7, "    price: 100000\n", "    price: 110000\n")
    result = runner.invoke(
        app, ["catalog", "diff", str(shipped_root), str(new), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    (model,) = data["models"]
    assert model["model"] == "xiaomi-su7-ultra"
    assert model["repriced"] == [{"code": "PKG-TRACK", "old": "100000.00", "new": "110000.00"}]
    assert model["rules"]["added"] == ["no-carbon-roof-with-massage"]
    counts = model["configurations"]
    for side, root in (("old", shipped_root), ("new", new)):
        stats = runner.invoke(
            app, ["--catalogs", str(root), "catalog", "stats", "xiaomi-su7-ultra", "--json"]
        )
        assert counts[side] == json.loads(stats.stdout)["configurations"]
    assert int(counts["old"]) - int(counts["lost"]) + int(counts["gained"]) == int(counts["new"])
    assert counts["gained"] == "0" and int(counts["lost"]) > 0
    assert {"ROOF-CARBON", "SEAT-MASSAGE"} <= set(counts["lost_example"])
    assert counts["lost_summary"] == "ROOF-CARBON, SEAT-MASSAGE"
    assert sorted(data["unchanged"]) == [
        "porsche-911-carrera",
        "porsche-taycan",
        "xiaomi-yu7-max",
    ]
    text = runner.invoke(app, ["catalog", "diff", str(shipped_root), str(new)])
    assert text.exit_code == 0
    assert "  repriced       PKG-TRACK 100,000.00 -> 110,000.00" in text.stdout
    assert "lost, e.g. ROOF-CARBON, SEAT-MASSAGE" in text.stdout


def test_orders_are_classified(
    runner: CliRunner, mini_pair: tuple[Path, Path], tmp_path: Path
) -> None:
    old, new = mini_pair
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "id,model,options,date\n"
        "a,acme-roadster,,2026-03-01\n"
        "b,acme-roadster,PKG-SPORT,2026-03-01\n"
        "c,acme-roadster,AUDIO-PREMIUM,2026-03-01\n"
        "d,acme-roadster,WHEEL-21,2026-03-01\n",
        encoding="utf-8",
    )
    result = runner.invoke(
        app, ["catalog", "diff", str(old), str(new), "--orders", str(orders), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    found = {o["id"]: o for o in json.loads(result.stdout)["orders"]}
    assert found["a"]["status"] == "unchanged"
    assert found["b"]["status"] == "repriced"
    assert found["b"]["new_total"] != found["b"]["old_total"]
    assert found["c"]["status"] == "repriced"  # the amplifier it brought is gone
    assert found["d"]["status"] == "now-valid"
    assert found["d"]["old_error_code"] == "unknown_option"
    back = runner.invoke(
        app, ["catalog", "diff", str(new), str(old), "--orders", str(orders), "--format", "json"]
    )
    invalid = {o["id"]: o for o in json.loads(back.stdout)["orders"]}["d"]
    assert (invalid["status"], invalid["error_code"]) == ("invalid", "unknown_option")
    assert "WHEEL-21" in invalid["error"]
    text = runner.invoke(app, ["catalog", "diff", str(new), str(old), "--orders", str(orders)])
    assert "orders: 4 orders: 1 unchanged, 2 repriced, 1 invalid" in text.stdout


def _git(*args: str, cwd: Path) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


def test_rev_compares_the_tree_with_a_git_revision(
    runner: CliRunner, mini_pair: tuple[Path, Path], tmp_path: Path
) -> None:
    old, new = mini_pair
    repo = tmp_path / "repo"
    shutil.copytree(old, repo / "catalogs")
    _git("init", "-q", cwd=repo)
    _git("add", "-A", cwd=repo)
    _git("commit", "-qm", "first", cwd=repo)
    shutil.rmtree(repo / "catalogs")
    shutil.copytree(new, repo / "catalogs")
    result = runner.invoke(
        app, ["catalog", "diff", "--rev", "HEAD", str(repo / "catalogs"), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    direct = runner.invoke(app, ["catalog", "diff", str(old), str(new), "--format", "json"])
    assert json.loads(result.stdout)["models"] == json.loads(direct.stdout)["models"]
    unknown = runner.invoke(app, ["catalog", "diff", "--rev", "nope", str(repo / "catalogs")])
    assert unknown.exit_code == 2
    assert "unknown git revision 'nope'" in unknown.stderr
    outside = runner.invoke(app, ["catalog", "diff", "--rev", "HEAD", str(new)])
    assert outside.exit_code == 2
    assert "is not in a git repository" in outside.stderr


def test_usage_errors(runner: CliRunner, tmp_path: Path) -> None:
    assert runner.invoke(app, ["catalog", "diff", str(MINI)]).exit_code == 2
    missing = runner.invoke(app, ["catalog", "diff", str(MINI), str(tmp_path / "nope")])
    assert missing.exit_code == 2
    assert "is not a catalog tree" in missing.stderr
