"""The loader: one broken catalog per kind of error, includes, positions, cache, JSON Schema."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import pickle
import re
import shutil
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from pydantic import BaseModel, ValidationError

from configurator import safeio
from configurator.catalog import loader, yamlpos
from configurator.catalog.export import catalog_json_schema, schema_text
from configurator.catalog.loader import CatalogTree, load_catalog
from configurator.catalog.reference import (
    documented_models,
    field_doc,
    schema_models,
    update_docs,
)
from configurator.catalog.schema import Catalog, Market, Option, parse_money
from configurator.errors import CatalogError, Location, Problem, UnknownModelError

BROKEN = Path(__file__).resolve().parent / "data" / "broken"
MINI = Path(__file__).resolve().parent / "data" / "mini"

# Every broken tree and exactly what validating it must report: file, line, column, code.
EXPECTED: list[tuple[str, list[tuple[str, int, int, str]]]] = [
    ("yaml-syntax", [("acme/car.yaml", 20, 13, "yaml-syntax")]),
    ("duplicate-key", [("acme/car.yaml", 26, 5, "duplicate-key")]),
    ("unknown-key", [("acme/car.yaml", 22, 9, "unknown-key")]),
    ("wrong-type", [("acme/car.yaml", 4, 13, "wrong-type")]),
    ("missing-key", [("acme/car.yaml", 1, 1, "missing-key")]),
    ("float-money", [("acme/car.yaml", 22, 16, "float-money")]),
    ("negative-price", [("acme/car.yaml", 37, 12, "negative-price")]),
    ("yaml-bool", [("acme/car.yaml", 33, 15, "yaml-ambiguous-bool")]),
    ("yaml-octal", [("acme/car.yaml", 32, 16, "yaml-octal")]),
    ("duplicate-code", [("acme/car.yaml", 33, 15, "duplicate-code")]),
    (
        "unknown-codes",
        [
            ("acme/car.yaml", 26, 15, "unknown-code"),  # a default
            ("acme/car.yaml", 38, 16, "unknown-code"),  # a package's includes
            ("acme/car.yaml", 44, 27, "unknown-code"),  # inside a rule expression
            ("acme/car.yaml", 49, 13, "unknown-code"),  # a price rule's option
            ("acme/car.yaml", 56, 15, "unknown-code"),  # a programme's options
        ],
    ),
    ("default-cardinality", [("acme/car.yaml", 16, 14, "default-cardinality")]),
    (
        "bad-expression",
        [
            ("acme/car.yaml", 44, 27, "bad-expression"),  # plain: 'or or'
            ("acme/car.yaml", 47, 20, "bad-expression"),  # double-quoted: '&'
            ("acme/car.yaml", 54, 29, "bad-expression"),  # folded block: missing ')'
        ],
    ),
    ("include-outside-tree", [("acme/car.yaml", 11, 12, "include-outside-tree")]),
    ("include-loop", [("acme/_b.yaml", 2, 12, "include-loop")]),
    ("id-mismatch", [("acme/car.yaml", 1, 5, "id-mismatch")]),
    ("alias-bomb", [("acme/car.yaml", 1, 1, "alias-bomb")]),
    (
        "schema-and-meaning",
        [("acme/car.yaml", 22, 16, "float-money"), ("acme/car.yaml", 44, 27, "unknown-code")],
    ),
    ("market", [("markets/xx.yaml", 5, 11, "float-rate")]),
]


def _problems(root: Path) -> list[Problem]:
    tree = CatalogTree(root)
    found: list[Problem] = []
    for path in tree.all_files():
        found += tree.problems_in(path)
    return list(dict.fromkeys(found))


def _where(problem: Problem, root: Path) -> tuple[str, int, int, str]:
    relative = Path(problem.location.file).resolve().relative_to(root.resolve())
    return (relative.as_posix(), problem.location.line, problem.location.column, problem.code)


def test_every_kind_of_error_has_a_broken_tree() -> None:
    assert sorted(kind for kind, _ in EXPECTED) == sorted(p.name for p in BROKEN.iterdir())


@pytest.mark.parametrize(("kind", "expected"), EXPECTED, ids=[kind for kind, _ in EXPECTED])
def test_each_broken_catalog_reports_exactly_its_problems(
    kind: str, expected: list[tuple[str, int, int, str]]
) -> None:
    root = BROKEN / kind
    assert [_where(p, root) for p in _problems(root)] == expected


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("unknown-key", "unknown key 'swatsh': did you mean 'swatch'?"),
        ("unknown-codes", "unknown option code 'PKG-SPROT': did you mean 'PKG-SPORT'?"),
        ("float-money", "not a float"),
        ("yaml-bool", "'NO' is read as a boolean"),
        ("yaml-octal", "octal"),
        ("duplicate-key", "duplicate key 'name' (first written at line 24)"),
        ("wrong-type", "'model_year': expected a whole number, got text ('2025')"),
        ("default-cardinality", "chooses exactly one but its defaults choose 2"),
        ("include-loop", "include loop:"),
        ("bad-expression", "unexpected character '&' (write 'and')"),
    ],
)
def test_messages_say_what_is_wrong_and_what_would_be_right(kind: str, words: str) -> None:
    assert any(words in p.message for p in _problems(BROKEN / kind))


def test_loading_a_broken_catalog_raises_one_error_with_every_problem() -> None:
    with pytest.raises(CatalogError) as caught:
        CatalogTree(BROKEN / "unknown-codes").load("acme-car")
    assert len(caught.value.problems) == 5
    assert caught.value.exit_code == 3


def test_billion_laughs_catalog_is_rejected_quickly() -> None:
    started = time.perf_counter()
    with pytest.raises(CatalogError) as caught:
        CatalogTree(BROKEN / "alias-bomb").load("acme-car")
    assert time.perf_counter() - started < 0.5
    assert [p.code for p in caught.value.problems] == ["alias-bomb"]


def test_file_over_the_size_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(MINI, tmp_path / "tree")
    monkeypatch.setattr(yamlpos, "MAX_FILE_BYTES", 500)
    problems = CatalogTree(tmp_path / "tree").problems_in(tmp_path / "tree/acme/roadster.yaml")
    assert [(p.location.line, p.location.column, p.code) for p in problems] == [
        (1, 1, "file-too-large")
    ]


# --- a valid tree: includes, option sets, positions -------------------------------------


@pytest.fixture
def roadster() -> Catalog:
    return CatalogTree(MINI).load("acme-roadster")


def test_fragments_are_merged_into_the_catalog(roadster: Catalog) -> None:
    paint = next(g for g in roadster.groups if g.id == "paint")
    assert [o.code for o in paint.options] == [
        "PAINT-WHITE",
        "PAINT-BLUE",
        "PAINT-GOLD",
        "PAINT-TO-SAMPLE",
    ]
    assert [r.id for r in roadster.rules] == [
        "blue-needs-forged",
        "no-glass-with-audio",
        "gold-needs-forged",
    ]
    assert [p.id for p in roadster.programmes] == ["atelier"]


def test_money_is_decimal_and_positions_name_the_file_that_wrote_them(roadster: Catalog) -> None:
    index = roadster.option_index()
    forged = index["WHEEL-20-FORGED"][1]
    assert forged.price == Decimal("12000.50")
    gold = index["PAINT-GOLD"][1]
    where = gold.where_of("price")
    assert where is not None and where.file.endswith("_atelier.yaml")
    assert (where.line, where.column) == (9, 16)
    rule = roadster.rules[0]
    assert rule.requires is not None
    offset = rule.requires.index("PKG-SPORT") + 1
    where = rule.where_in("requires", offset=offset)
    assert where is not None and (where.line, where.column) == (65, 34)


def test_unknown_model_suggests_the_closest() -> None:
    with pytest.raises(UnknownModelError) as caught:
        CatalogTree(MINI).load("acme-roadstr")
    assert caught.value.suggestion == "did you mean 'acme-roadster'?"
    assert caught.value.exit_code == 2


def test_load_catalog_reads_the_shipped_tree() -> None:
    catalog = load_catalog("xiaomi-su7-ultra")
    assert catalog.base_price == Decimal(529900)
    amethyst = catalog.option_index()["PAINT-AMETHYST"][1]
    assert amethyst.price == Decimal(28000) and amethyst.labour_hours == 50


def test_a_market_must_exist_and_share_the_currency(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(MINI, tree)
    text = (tree / "acme/roadster.yaml").read_text(encoding="utf-8")
    (tree / "acme/roadster.yaml").write_text(text.replace("market: xx", "market: x"), "utf-8")
    problems = CatalogTree(tree).problems_in(tree / "acme/roadster.yaml")
    assert [(p.location.line, p.code) for p in problems] == [(8, "unknown-market")]
    assert "did you mean 'xx'?" in problems[0].message
    text = text.replace("currency: CNY", "currency: EUR")
    (tree / "acme/roadster.yaml").write_text(text, "utf-8")
    problems = CatalogTree(tree).problems_in(tree / "acme/roadster.yaml")
    assert [(p.location.line, p.code) for p in problems] == [(9, "currency-mismatch")]


def test_a_fragment_alone_is_checked_for_what_it_can_know(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(MINI, tree)
    fragment = tree / "acme/_atelier.yaml"
    text = fragment.read_text("utf-8").replace(
        "then: WHEEL-20-FORGED or", "then: WHEEL-20-FORGED |"
    )
    fragment.write_text(text, "utf-8")
    problems = CatalogTree(tree).problems_in(fragment)
    assert [(p.location.line, p.location.column, p.code) for p in problems] == [
        (24, 27, "bad-expression")
    ]


def test_an_include_that_does_not_exist(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(MINI, tree)
    model = tree / "acme/roadster.yaml"
    model.write_text(model.read_text("utf-8").replace("_atelier.yaml", "_ateleir.yaml"), "utf-8")
    problems = CatalogTree(tree).problems_in(model)
    # The missing fragment's codes are unknown, so no flood of unknown-code problems follows.
    assert [(p.location.line, p.code) for p in problems] == [(14, "include-missing")]
    assert "did you mean '_atelier.yaml'?" in problems[0].message


def test_a_misspelt_section_is_one_problem_not_a_flood(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(MINI, tree)
    model = tree / "acme/roadster.yaml"
    model.write_text(model.read_text("utf-8").replace("packages:", "pakages:"), "utf-8")
    problems = CatalogTree(tree).problems_in(model)
    assert [(p.location.line, p.location.column, p.code) for p in problems] == [
        (55, 1, "unknown-key")
    ]
    assert "did you mean 'packages'?" in problems[0].message


def test_an_invalid_option_excuses_references_to_it_but_not_other_mistakes(
    tmp_path: Path,
) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(MINI, tree)
    model = tree / "acme/roadster.yaml"
    text = model.read_text("utf-8").replace("price: 8000", "price: 8000.0")
    text = text.replace("option: ROOF-GLASS", "option: ROOF-GLAS")
    model.write_text(text, "utf-8")
    problems = CatalogTree(tree).problems_in(model)
    # PAINT-BLUE fails the schema; the rule about it is not reported, the misspelt code is.
    assert [(p.location.line, p.code) for p in problems] == [
        (27, "float-money"),
        (68, "unknown-code"),
    ]


# --- cache --------------------------------------------------------------------------------


def test_second_load_comes_from_the_cache_and_edits_invalidate_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONFIGURATOR_CACHE_DIR", str(tmp_path / "cache"))
    tree_dir = tmp_path / "tree"
    shutil.copytree(MINI, tree_dir)
    tree = CatalogTree(tree_dir)
    first = tree.load("acme-roadster")
    calls: list[Path] = []
    original = CatalogTree._load_uncached

    def counting(self: CatalogTree, path: Path) -> Any:
        calls.append(path)
        return original(self, path)

    monkeypatch.setattr(CatalogTree, "_load_uncached", counting)
    cached = tree.load("acme-roadster")
    assert calls == [] and cached == first
    assert cached.rules[0].where_of("requires") == first.rules[0].where_of("requires")
    fragment = tree_dir / "acme/_atelier.yaml"
    fragment.write_text(fragment.read_text("utf-8").replace("30000", "31000", 1), "utf-8")
    changed = tree.load("acme-roadster")
    assert len(calls) == 1
    assert changed.option_index()["PAINT-GOLD"][1].price == Decimal(31000)


def test_same_content_under_another_name_is_not_a_cache_hit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONFIGURATOR_CACHE_DIR", str(tmp_path / "cache"))
    tree_dir = tmp_path / "tree"
    shutil.copytree(MINI, tree_dir)
    tree = CatalogTree(tree_dir)
    tree.load("acme-roadster")
    shutil.copy(tree_dir / "acme/roadster.yaml", tree_dir / "acme/coupe.yaml")
    with pytest.raises(CatalogError) as caught:
        tree.load("acme-coupe")
    assert [p.code for p in caught.value.problems] == ["id-mismatch"]
    assert caught.value.problems[0].location.file.endswith("coupe.yaml")


def test_a_corrupt_cache_entry_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONFIGURATOR_CACHE_DIR", str(tmp_path / "cache"))
    tree = CatalogTree(MINI)
    tree.load("acme-roadster")
    for entry in (tmp_path / "cache").glob("*.entry"):
        entry.write_bytes(b"not a pickle")
    assert tree.load("acme-roadster").id == "acme-roadster"


# --- money --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [(28000, Decimal(28000)), ("1299.50", Decimal("1299.50")), ("0", Decimal(0))],
)
def test_money_accepts_integers_and_decimal_strings(value: Any, expected: Decimal) -> None:
    assert parse_money(value) == expected


@pytest.mark.parametrize("value", [0.1, True, "1.234", "12,000", "1e3", "", 10**15, [1]])
def test_money_rejects_floats_and_malformed_amounts(value: Any) -> None:
    with pytest.raises(Exception):  # noqa: B017 - pydantic's custom error or ValueError
        parse_money(value)


def test_money_serialises_with_two_decimals() -> None:
    option = Option.model_validate({"code": "X", "name": "X", "price": "12000.5"})
    assert option.model_dump(mode="json")["price"] == "12000.50"
    assert option.model_dump()["price"] == Decimal("12000.5")


def test_strict_models_refuse_unknown_keys_and_coercion() -> None:
    with pytest.raises(ValidationError):
        Option.model_validate({"code": "X", "name": "X", "lead_time_weeks": "2"})
    with pytest.raises(ValidationError):
        Option.model_validate({"code": "X", "name": "X", "colour": "#000000"})


# --- JSON Schema --------------------------------------------------------------------------


def _json_ready(value: Any) -> Any:
    """YAML data as JSON would carry it: dates become ISO strings."""
    if isinstance(value, dict):
        return {key: _json_ready(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_ready(item) for item in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _schema_files(root: Path) -> list[Path]:
    return sorted(
        p
        for p in root.glob("*/*.yaml")
        if p.parent.name != "schema" and not p.name.endswith(".cases.yaml")  # own schema
    )


@pytest.mark.parametrize("market", [False, True], ids=["catalog", "market"])
def test_repo_schema_copies_are_up_to_date(shipped_root: Path, market: bool) -> None:
    name = "market.schema.json" if market else "catalog.schema.json"
    assert (shipped_root / "schema" / name).read_text("utf-8") == schema_text(market=market), (
        f"regenerate: configurator catalog schema {'--market ' if market else ''}"
        f"--output catalogs/schema/{name}"
    )


def test_json_schema_validates_every_shipped_and_test_file(shipped_root: Path) -> None:
    schemas = {
        False: json.loads((shipped_root / "schema/catalog.schema.json").read_text("utf-8")),
        True: json.loads((shipped_root / "schema/market.schema.json").read_text("utf-8")),
    }
    for schema_data in schemas.values():
        jsonschema.Draft202012Validator.check_schema(schema_data)
    files = _schema_files(shipped_root) + _schema_files(MINI)
    assert len(files) >= 8
    for path in files:
        validator = jsonschema.Draft202012Validator(schemas[path.parent.name == "markets"])
        data = _json_ready(yaml.safe_load(path.read_text("utf-8")))
        errors = [e.message for e in validator.iter_errors(data)]
        assert errors == [], f"{path}: {errors[:3]}"


def test_json_schema_forbids_floats_for_money_and_unknown_keys() -> None:
    validator = jsonschema.Draft202012Validator(catalog_json_schema())
    data = _json_ready(yaml.safe_load((MINI / "acme/roadster.yaml").read_text("utf-8")))
    assert validator.is_valid(data)
    for bad in ({"base_price": 0.1}, {"base_price": "1.234"}, {"base_price": -1}, {"colour": 1}):
        assert not validator.is_valid({**data, **bad}), bad
    assert validator.is_valid({**data, "base_price": "300000.50"})


def test_every_shipped_file_points_editors_at_its_schema(shipped_root: Path) -> None:
    for path in _schema_files(shipped_root):
        first = path.read_text("utf-8").splitlines()[0]
        name = "market" if path.parent.name == "markets" else "catalog"
        assert first == f"# yaml-language-server: $schema=../schema/{name}.schema.json", path


# --- docs stay in sync with the schema ----------------------------------------------------

DOCS = Path(__file__).resolve().parent.parent / "docs" / "catalog-format.md"


def test_docs_field_tables_match_the_models() -> None:
    docs = DOCS.read_text("utf-8")
    assert update_docs(docs) == docs, (
        "regenerate: python -m configurator.catalog.reference docs/catalog-format.md"
    )
    assert sorted(documented_models(docs)) == sorted(m.__name__ for m in schema_models())
    for model in schema_models():
        for name in model.model_fields:
            assert field_doc(model, name), f"{model.__name__}.{name} has no docstring"


def test_docs_list_every_error_code() -> None:
    docs = DOCS.read_text("utf-8")
    codes = {code for _, problems in EXPECTED for *_, code in problems}
    codes |= {"include-missing", "unknown-market", "currency-mismatch", "file-too-large"}
    assert [code for code in sorted(codes) if f"`{code}`" not in docs] == []


def test_the_complete_example_in_the_docs_is_valid(tmp_path: Path) -> None:
    docs = DOCS.read_text("utf-8")
    section = docs[docs.index("## A complete example") :]
    blocks = re.findall(r"`catalogs/([\w/_.-]+)`:\n\n```yaml\n(.*?)```", section, re.DOTALL)
    assert [name for name, _ in blocks] == [
        "acme/roadster.yaml",
        "acme/_atelier.yaml",
        "markets/xx.yaml",
    ]
    for name, text in blocks:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, "utf-8")
    tree = CatalogTree(tmp_path)
    assert [p for path in tree.all_files() for p in tree.problems_in(path)] == []


def test_market_and_catalog_models_keep_their_public_names() -> None:
    assert Market.model_fields["vat_rate"].is_required()
    assert loader.load_catalog is load_catalog


# --- large tables: positions to the code, one look-up per file ------------------------------

_TABLE = """
tables:
  - id: paint-wheels
    message: This paint does not go with these wheels.
    groups: [paint, wheels]
    rows:
      - [PAINT-WHITE, WHEEL-19]
      - [PAINT-BLUE, 'WHEEL-20-FORGED']
      - [PAINT-WHITE, wheel-19]
      - [PAINT-BLUE]
      - [PAINT-BLUE, ROOF-GLASS]
      - ["PAINT-BLUE", WHEEL-19, ROOF-GLASS]
"""


def test_table_rows_are_located_to_the_code_or_the_row(tmp_path: Path) -> None:
    shutil.copytree(MINI, tmp_path / "tree")
    path = tmp_path / "tree" / "acme" / "roadster.yaml"
    text = path.read_text(encoding="utf-8") + _TABLE
    path.write_text(text, encoding="utf-8")
    line = text.splitlines().index("      - [PAINT-WHITE, wheel-19]") + 1
    problems = CatalogTree(tmp_path / "tree").problems_in(path)
    found = [(p.location.line - line, p.location.column, p.code) for p in problems]
    assert found == [(0, 23, "bad-format")]  # the schema names the code itself
    path.write_text(text.replace("wheel-19]", "WHEEL-19]"), encoding="utf-8")
    problems = CatalogTree(tmp_path / "tree").problems_in(path)
    found = [(p.location.line - line, p.location.column, p.code) for p in problems]
    assert found == [  # the checks name the row
        (1, 9, "table-row-length"),
        (2, 9, "table-code-not-in-group"),
        (3, 9, "table-row-length"),
    ]
    valid = text.replace("wheel-19]", "WHEEL-19]").split("      - [PAINT-BLUE]\n")[0]
    path.write_text(valid, encoding="utf-8")
    table = CatalogTree(tmp_path / "tree").load("acme-roadster").tables[0]
    assert table.where_of("rows", 1, 1) == table.where_of("rows", 1)  # the row, in the model
    assert (table.where_of("rows", 2).line - line, table.where_of("rows", 2).column) == (0, 9)
    assert table.where_of("groups", 1).column == 21


def test_a_cold_load_hashes_each_file_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONFIGURATOR_CACHE_DIR", str(tmp_path / "cache"))
    import configurator.cache
    import configurator.catalog.yamlpos

    read: list[str] = []
    real_read_bytes = Path.read_bytes
    real_read = safeio.read_regular

    def counted(path: Path, limit: int, *, follow: bool = True) -> bytes:
        read.append(Path(path).name)
        return real_read(path, limit, follow=follow)

    monkeypatch.setattr(configurator.cache, "read_regular", counted)
    monkeypatch.setattr(configurator.catalog.yamlpos, "read_regular", counted)
    tree = CatalogTree(MINI)
    catalog = tree.load("acme-roadster")
    # Looking the cache up hashes the catalog; then each file is read once, and its digest
    # (recorded in the cache entry) is that of the bytes parsed.
    assert sorted(read) == ["_atelier.yaml", "roadster.yaml", "roadster.yaml"]
    sources = dict(tree.sources_of(MINI / "acme" / "roadster.yaml"))
    for name in ("roadster.yaml", "_atelier.yaml"):
        content = real_read_bytes(MINI / "acme" / name)
        assert sources[str(MINI / "acme" / name)] == hashlib.sha256(content).hexdigest()
    read.clear()
    assert CatalogTree(MINI).load("acme-roadster") == catalog  # from the cache: the key, then
    assert sorted(read) == ["_atelier.yaml", "roadster.yaml", "roadster.yaml"]  # each source


def _all_spots(model: Any) -> list[tuple[str, dict[Any, Any], dict[Any, Any]]]:
    found = []
    stack = [model]
    while stack:
        obj = stack.pop()
        if isinstance(obj, list):
            stack.extend(obj)
        elif isinstance(obj, BaseModel) and hasattr(obj, "_spots"):
            found.append((type(obj).__name__, dict(obj._spots), dict(obj._texts)))
            stack.extend(getattr(obj, name) for name in type(obj).model_fields)
    return found


def test_long_lists_keep_packed_positions_that_read_like_the_dict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    codes = ["PAINT-WHITE", "'WHEEL-19'", '"ROOF-\\u0047LASS"', "AUDIO-PREMIUM"] * 20
    rows = "".join(f"      - [{c}, WHEEL-19]\n" for c in codes)
    package = (
        f"  - code: PKG-LONG\n    name: Long\n    price: 1\n    includes: [{', '.join(codes)}]\n"
    )
    text = (MINI / "acme" / "roadster.yaml").read_text(encoding="utf-8")
    text = text.replace("\nrules:\n", package + "\nrules:\n")
    text += _TABLE.split("    rows:\n")[0] + "    rows:\n" + rows
    path = tmp_path / "roadster.yaml"
    path.write_text(text, encoding="utf-8")
    packed, problems = loader._validate(yamlpos.read_yaml_file(path, "r.yaml"), Catalog)
    assert problems == [] and packed is not None
    assert isinstance(packed.tables[0]._spots, yamlpos.Spots)
    monkeypatch.setattr(loader, "_PACKED_LIST", 10**9)
    plain, _ = loader._validate(yamlpos.read_yaml_file(path, "r.yaml"), Catalog)
    assert _all_spots(packed) == _all_spots(plain)
    package = packed.packages[-1]
    assert package.where_of("includes", 1).column == package.where_of("includes", 0).column + 14
    assert package.where_in("includes", 1, offset=3).column == 30  # the token, in its quotes
    plain_package = plain.packages[-1]
    for index in range(len(codes)):
        assert package.where_in("includes", index, offset=6) == plain_package.where_in(
            "includes", index, offset=6
        )
    again = pickle.loads(pickle.dumps(packed))
    assert _all_spots(again) == _all_spots(plain)
    assert again.tables[0].where_of("rows", 79) == Location("r.yaml", text.count("\n"), 9)
