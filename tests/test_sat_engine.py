"""The SAT engine against the BDD engine on random feature models (hypothesis), its repairs on
a group too large for one batch of copies, and the over-budget decision kept in the cache."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from configurator.catalog.loader import CatalogTree
from configurator.rules.engine import RulesEngine
from configurator.rules.sat_engine import SatEngine
from configurator.rules.select import Budget, build_engine
from configurator.uvl.convert import import_uvl

KINDS = ["mandatory", "optional", "alternative", "or", "[1..2]", "[0..1]"]


@st.composite
def feature_models(draw: st.DrawFn) -> str:
    """UVL text: a tree of at most 14 features in random groups, and cross-tree constraints."""
    names = ["Root"]
    lines = ["features", "    Root"]

    def children(parent_depth: int, budget: int) -> int:
        used = 0
        for _ in range(draw(st.integers(1, 2))):
            if used >= budget:
                break
            kind = draw(st.sampled_from(KINDS))
            lines.append("    " * (parent_depth + 1) + kind)
            for _ in range(draw(st.integers(1, 3))):
                if used >= budget:
                    break
                name = f"F{len(names)}"
                names.append(name)
                used += 1
                lines.append("    " * (parent_depth + 2) + name)
                if parent_depth < 2 and draw(st.integers(0, 2)) == 0:
                    used += children(parent_depth + 2, budget - used)
        return used

    children(1, 13)
    formulas = []
    leaves = names[1:]
    for _ in range(draw(st.integers(0, 3))):
        a, b, c = (draw(st.sampled_from(leaves)) for _ in range(3))
        form = draw(
            st.sampled_from(
                [
                    "{a} => {b}",
                    "{a} => !{b}",
                    "!{a} & !{b} => !{c}",
                    "{a} <=> {b} | {c}",
                    "{a} & {b} => {c}",
                ]
            )
        )
        formulas.append("    " + form.format(a=a, b=b, c=c))
    if formulas:
        lines += ["constraints", *formulas]
    return "\n".join(lines) + "\n"


def load(text: str, folder: Path) -> CatalogTree:
    (folder / "m.uvl").write_text(text, "utf-8")
    import_uvl(folder / "m.uvl", folder / "out")
    return CatalogTree(folder / "out")


def same_answers(bdd: RulesEngine, sat: SatEngine, seed: int, rounds: int = 12) -> None:
    assert sat.dead_options() == bdd.dead_options()
    assert sat.forced_options() == bdd.forced_options()
    rng = random.Random(seed)
    for _ in range(rounds):
        # A session: choices among what is still selectable, then one arbitrary set.
        chosen: list[str] = []
        for _ in range(rng.randint(1, 4)):
            flags = bdd.selectable(chosen)
            assert sat.selectable(chosen) == flags, chosen
            assert sat.forced_by(chosen) == bdd.forced_by(chosen), chosen
            open_codes = [c for c, ok in flags.items() if ok and c not in chosen]
            if not open_codes:
                break
            chosen.append(rng.choice(open_codes))
        partial = rng.sample(list(bdd.codes), min(len(bdd.codes), rng.randint(0, 3)))
        assert sat.consistent(partial) == bdd.consistent(partial)
        assert sat.selectable(partial) == bdd.selectable(partial), partial


@settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=feature_models(), seed=st.integers(0, 1000))
def test_sat_engine_answers_as_the_bdd_engine(
    text: str, seed: int, tmp_path_factory: pytest.TempPathFactory
) -> None:
    tree = load(text, tmp_path_factory.mktemp("fm"))
    catalog = tree.load("uvl-m")
    same_answers(RulesEngine(catalog), SatEngine(catalog), seed)


def test_groups_larger_than_a_batch_of_copies(tmp_path: Path) -> None:
    """150 alternatives (more copies than one batch), some tied by constraints to optional
    features elsewhere: every answer as the BDD's."""
    colours = [f"C{i}" for i in range(150)]
    extras = [f"X{i}" for i in range(12)]
    lines = [
        "features",
        "    Car",
        "        optional",
        "            Paint",
        "                alternative",
    ]
    lines += [f"                    {c}" for c in colours]
    lines += ["        optional", *(f"            {x}" for x in extras)]
    lines += ["constraints"]
    lines += [f"    C{7 * i} => X{i % 12}" for i in range(20)]
    lines += [f"    !X{i} & !X{i + 1} => !C{3 * i + 1}" for i in range(11)]
    lines += ["    X0 => !C149", "    X1 & X2 => !C0"]
    tree = load("\n".join(lines) + "\n", tmp_path)
    catalog = tree.load("uvl-m")
    same_answers(RulesEngine(catalog), SatEngine(catalog), seed=5, rounds=6)


def test_over_budget_is_remembered_in_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONFIGURATOR_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("CONFIGURATOR_ENGINE", raising=False)
    text = "features\n    Car\n        alternative\n            A\n            B\n"
    catalog = load(text, tmp_path).load("uvl-m")
    small = Budget(variables=1)
    first = build_engine(catalog, budget=small)
    assert first.technique == "sat" and "over the BDD budget" in first.reason
    again = build_engine(catalog, budget=small)
    assert again.technique == "sat" and again.reason.endswith("(remembered)")
    # A larger budget than the one remembered tries the BDD again.
    assert build_engine(catalog, budget=Budget()).technique == "bdd"
    # A tampered entry is not believed: the BDD is tried (and fails the small budget again).
    for entry in (tmp_path / "cache").rglob("*over-budget*"):
        entry.write_bytes(entry.read_bytes()[:-3] + b"xyz")
    assert not build_engine(catalog, budget=small).reason.endswith("(remembered)")


def test_copies_carried_to_the_next_step_stay_valid_only_where_they_were(tmp_path: Path) -> None:
    """Copies carried to the next choice are repaired to take it; a copy that was not valid
    is never reported valid, even when the repair does not touch what it breaks."""
    from configurator.rules.sat_witness import COPIES, copies, pack

    text = "\n".join(
        [
            "features",
            "    Car",
            "        optional",
            "            A",
            "            B",
            "            C",
            "            D",
            "constraints",
            "    A => B",
            "    C => !D",
            "",
        ]
    )
    catalog = load(text, tmp_path).load("uvl-m")
    engine = SatEngine(catalog)
    witness, codes = engine._witness, list(engine.codes)

    root = codes[0]  # the root feature's code

    def row(*present: str) -> list[bool]:
        return [code in present or code == root for code in codes]

    good, broken = row("A", "B"), row("C", "D")  # the second breaks C => !D
    matrix = np.array([good, broken], dtype=bool)
    assert witness.valid(matrix).tolist() == [True, False]
    words = pack(matrix)
    valid = witness.valid_words(words)
    fixed_true = np.array([code == "A" for code in codes])  # the next choice: A
    fixed_false = np.zeros(len(codes), dtype=bool)
    has, lacks, kept = witness.transfer([(words, valid)], fixed_true, fixed_false)
    assert len(kept) == 1
    repaired, ok = kept[0]
    assert copies(ok)[:2].tolist() == [True, False]
    assert not copies(ok)[2:COPIES].any()
    assert has[codes.index("B")]  # A brought B into the valid copy
    assert not has[codes.index("D")]  # only the broken copy had D


def test_constraints_checked_as_formulas_answer_as_the_bdd(tmp_path: Path) -> None:
    """A constraint too large to repair clause by clause (64 clauses once distributed) is only
    checked, by generated code that reads the codes it mentions: answers as the BDD's."""
    names = [f"F{i}" for i in range(12)]
    lines = ["features", "    Car", "        optional", *(f"            {n}" for n in names)]
    pairs = " | ".join(f"({names[2 * i]} & {names[2 * i + 1]})" for i in range(6))
    lines += ["constraints", f"    F0 | F3 => {pairs}", "    F5 => !F6"]
    catalog = load("\n".join(lines) + "\n", tmp_path).load("uvl-m")
    sat = SatEngine(catalog)
    witness = sat._witness
    assert witness._generic_codes.size == 12  # the check reads those 12 codes only
    rng = random.Random(7)
    matrix = np.array([[rng.random() < 0.5 for _ in sat.codes] for _ in range(300)])
    matrix[:, 0] = True  # the root
    expected = [
        all(
            c.holds({code for code, on in zip(sat.codes, row, strict=True) if on})
            for c in sat.problem.constraints
        )
        for row in matrix.tolist()
    ]
    assert witness.valid(matrix).tolist() == expected
    assert any(expected) and not all(expected)
    same_answers(RulesEngine(catalog), sat, seed=3, rounds=8)
