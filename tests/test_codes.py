"""Configuration codes: round trips, typo detection, normalisation, catalog changes."""

from __future__ import annotations

import datetime as dt
import random
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_pricing_strategies import (
    PRICING,
    SHIPPED,
    pricer_for,
    pricing_tree,
    valid_configurations,
)

from configurator.catalog.loader import CatalogTree
from configurator.codes import (
    ALPHABET,
    CodeBook,
    decode,
    decode_for,
    encode,
    migrate,
    normalise,
    price_in,
)
from configurator.configuration import Configuration
from configurator.errors import CodeError
from configurator.pricing.engine import price_code
from configurator.safetext import control_character

ON = dt.date(2026, 1, 15)


@pytest.fixture(scope="module")
def tree() -> CatalogTree:
    return pricing_tree()


def _code(tree: CatalogTree, model: str, *codes: str, **values: str) -> str:
    return pricer_for(tree, model).price(Configuration.of(model, codes, values), ON).code


def test_shape_of_a_code(tree: CatalogTree) -> None:
    code = _code(tree, "acme-coupe")
    groups = code.split("-")
    assert all(len(g) == 4 for g in groups[:-1]) and 1 <= len(groups[-1]) <= 4
    assert set(code.replace("-", "")) <= set(ALPHABET)
    assert not set("ILOU") & set(code)
    assert len(code.replace("-", "")) <= 9  # model, version and nothing chosen: short


MODELS = ["acme-coupe", "acme-roadster", "xiaomi-su7-ultra", "porsche-taycan"]


def _tree_of(model: str) -> CatalogTree:
    return pricing_tree() if model.startswith("acme-") else CatalogTree(SHIPPED)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(model=st.sampled_from(MODELS), data=st.data())
def test_round_trip_of_valid_configurations(model: str, data: st.DataObject) -> None:
    t = _tree_of(model)
    price = pricer_for(t, model)
    configuration = data.draw(valid_configurations(price, ON))
    quote = price.price(configuration, ON)
    decoded, version = decode(quote.code, t)
    assert version == price.catalog.version
    assert decoded.model == model
    assert sorted(decoded.choices) == sorted(quote.choices)
    assert dict(decoded.values) == quote.values
    again = price.price(decoded, ON)
    assert again == quote  # the code reproduces the quote exactly
    assert encode(price.catalog, decoded) == quote.code


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(
        # any text but control characters, which configurations refuse (issue 14)
        st.text(min_size=1, max_size=40).filter(lambda text: control_character(text) is None),
        min_size=1,
        max_size=3,
    ),
    data=st.data(),
)
def test_any_text_value_survives(values: list[str], data: st.DataObject) -> None:
    """Values are UTF-8: Chinese names, emoji, dashes; the code carries them unchanged."""
    catalog = pricing_tree().load("acme-coupe")
    codes = ["PAINT-TO-SAMPLE", "SILLS-LETTERING", "HUD"][: len(values)]
    configuration = Configuration.of(catalog.id, codes, dict(zip(codes, values, strict=True)))
    decoded = decode_for(encode(catalog, configuration), catalog).configuration
    assert dict(decoded.values) == dict(configuration.values)


def test_value_of_an_option_that_is_not_a_choice(tree: CatalogTree) -> None:
    catalog = tree.load("acme-coupe")
    configuration = Configuration.of(catalog.id, ["CHARGER-22KW"], {"CABLE-TYPE2": "blue"})
    decoded = decode_for(encode(catalog, configuration), catalog).configuration
    assert decoded.choices == ("CHARGER-22KW",) and decoded.values == {"CABLE-TYPE2": "blue"}


def test_every_single_typo_and_adjacent_swap_is_caught(tree: CatalogTree) -> None:
    code = _code(tree, "acme-coupe", "PAINT-BLUE-MET", "HUD", "WHEEL-21", "CHARGER-22KW")
    plain = code.replace("-", "")
    assert len(plain) > 10
    for position, char in enumerate(plain):
        for other in ALPHABET:
            if other == char:
                continue
            typo = plain[:position] + other + plain[position + 1 :]
            with pytest.raises(CodeError):
                decode(typo, tree)
    for position in range(len(plain) - 1):
        a, b = plain[position], plain[position + 1]
        if a != b:
            swapped = plain[:position] + b + a + plain[position + 2 :]
            with pytest.raises(CodeError):
                decode(swapped, tree)


def test_missing_or_extra_character(tree: CatalogTree) -> None:
    code = _code(tree, "acme-coupe", "PAINT-BLUE-MET", "HUD").replace("-", "")
    caught = 0
    for position in range(len(code)):
        try:
            decode(code[:position] + code[position + 1 :], tree)
        except CodeError:
            caught += 1
    assert caught == len(code)
    with pytest.raises(CodeError):
        decode(code + "0", tree)


def test_reading_is_forgiving(tree: CatalogTree) -> None:
    code = _code(tree, "acme-coupe", "PAINT-BLUE-MET")
    expected = decode(code, tree)
    assert decode(code.lower(), tree) == expected
    assert decode(" " + code.replace("-", " ") + " ", tree) == expected
    assert decode(code.replace("-", ""), tree) == expected
    if "0" in code or "1" in code:
        assert decode(code.replace("0", "O").replace("1", "l"), tree) == expected


def test_bad_characters_and_lengths(tree: CatalogTree) -> None:
    with pytest.raises(CodeError, match="'U' .* is never used"):
        normalise("ABCD-EFGH-U")
    with pytest.raises(CodeError, match="too short"):
        normalise("ABC")
    with pytest.raises(CodeError, match="check character"):
        decode("0000-0001", tree)


def test_a_code_of_a_model_the_tree_lacks(tree: CatalogTree) -> None:
    code = _code(CatalogTree(SHIPPED), "xiaomi-su7-ultra")
    with pytest.raises(CodeError, match="model this catalog tree does not have"):
        decode(code, tree)


def test_canonical_whatever_the_order(tree: CatalogTree) -> None:
    catalog = tree.load("acme-coupe")
    one = encode(catalog, Configuration.of(catalog.id, ["HUD", "WHEEL-21", "PAINT-BLUE-MET"]))
    two = encode(catalog, Configuration.of(catalog.id, ["PAINT-BLUE-MET", "HUD", "WHEEL-21"]))
    assert one == two


def test_width_grows_with_the_catalog() -> None:
    small = pricing_tree().load("acme-coupe")
    assert CodeBook.of(small).width == 15
    big = small.model_copy(
        update={
            "groups": [
                *small.groups,
                small.groups[0].model_copy(
                    update={
                        "id": "many",
                        "options": [
                            small.groups[0].options[0].model_copy(update={"code": f"X-{i}"})
                            for i in range(700)
                        ],
                        "default": ["X-0"],
                    }
                ),
            ]
        }
    )
    book = CodeBook.of(big)
    assert book.width >= 20
    assert len(set(book.ids.values())) == len(book.ids)


# --- catalog changes -----------------------------------------------------------------------


@pytest.fixture
def newer_tree(tmp_path: Path) -> CatalogTree:
    """The test tree with acme-coupe moved to version 2025.3: a price up, an option gone."""
    root = tmp_path / "tree"
    shutil.copytree(PRICING, root)
    path = root / "acme" / "coupe.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["version"] = "2025.3"
    extras = next(g for g in data["groups"] if g["id"] == "extras")
    extras["options"] = [o for o in extras["options"] if o["code"] != "ROOF-PANORAMA"]
    data["discounts"] = [d for d in data["discounts"] if d["id"] != "sport-roof-offer"]
    paint = next(g for g in data["groups"] if g["id"] == "paint")
    next(o for o in paint["options"] if o["code"] == "PAINT-BLUE-MET")["price"] = 16000
    data["history"].append(
        {
            "version": "2025.2",
            "date": dt.date(2025, 9, 1),
            "prices": {"PAINT-BLUE-MET": 14000},
            "removed": {"ROOF-PANORAMA": "Panoramic roof"},
        }
    )
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return CatalogTree(root)


def test_old_code_is_repriced_with_warnings(tree: CatalogTree, newer_tree: CatalogTree) -> None:
    old = pricer_for(tree, "acme-coupe").price(
        Configuration.of("acme-coupe", ["PAINT-BLUE-MET", "ROOF-PANORAMA", "HUD"]), ON
    )
    decoded = decode(old.code, newer_tree)
    assert decoded.version == "2025.2"
    assert "ROOF-PANORAMA" in decoded.configuration.choices  # decoded faithfully
    quote = price_code(newer_tree, old.code, ON)
    assert quote.catalog_version == "2025.3"
    assert "ROOF-PANORAMA" not in quote.choices
    assert quote.warnings[0] == (
        "the code was made under catalog version 2025.2; re-priced under version 2025.3"
    )
    assert "ROOF-PANORAMA (Panoramic roof) no longer exists in version 2025.3: left out" in (
        quote.warnings
    )
    assert "PAINT-BLUE-MET: 14,000.00 in version 2025.2, 16,000.00 now" in quote.warnings
    assert quote.code != old.code and decode(quote.code, newer_tree).version == "2025.3"


def test_prices_through_the_history_chain(newer_tree: CatalogTree) -> None:
    catalog = newer_tree.load("acme-coupe")
    assert price_in(catalog, "PAINT-BLUE-MET", "2025.1") == 12000  # listed in 2025.1 itself
    assert price_in(catalog, "PAINT-BLUE-MET", "2025.2") == 14000
    assert price_in(catalog, "HUD", "2025.1") == 15000
    assert price_in(catalog, "HUD", "2025.2") == 13000  # unchanged since: the current price
    assert price_in(catalog, None, "2025.1") == 898000
    assert price_in(catalog, None, "2025.3") == 918000


def test_unknown_version(tree: CatalogTree) -> None:
    catalog = tree.load("acme-coupe")
    configuration = Configuration.of(catalog.id, ["HUD"])
    migrated = migrate(catalog, configuration, None)
    assert migrated.configuration == configuration
    assert "does not record" in migrated.warnings[0]
    same = migrate(catalog, configuration, catalog.version)
    assert same.warnings == []


# --- format 2: compact buyer texts; format 1 codes still read -------------------------------

# Made by the format 1 encoder (before format 2), each with what it must still decode to.
FORMAT_1_CODES = [
    ("DBYB-F11P-NX10-CWYT-AQT4-9P8G-5AV3-ME9G-GD", "xiaomi-su7-ultra", ["BADGE-CUSTOM"],
     {"BADGE-CUSTOM": "紫色 Ultra"}),
    ("DBYB-F133-S3AV-6PNX-12FW-PR8Z-SXHP-CGEK-6XQW-P39P-C1HB", "xiaomi-su7-ultra",
     ["BADGE-CUSTOM", "PAINT-AMETHYST", "WHEEL-FORGED-GOLD"], {"BADGE-CUSTOM": "小米 雷军01"}),
    ("BFVH-111E-4510-99XG-PP82-7E9J-PAVG-7", "porsche-taycan", ["PAINT-TO-SAMPLE"],
     {"PAINT-TO-SAMPLE": "Oak Green"}),
    ("DBYB-F11P-NX10-5AN6-58MJ-1W", "xiaomi-su7-ultra", ["BADGE-CUSTOM"],
     {"BADGE-CUSTOM": "ULTRA"}),
    ("BFVH-111E-4510-T1AS-JQ4X-10RE-4PTS-BJC5-TP8S-90DQ-1TJX-31DH-P6JW-Y3N4-2",
     "porsche-taycan", ["PAINT-TO-SAMPLE"], {"PAINT-TO-SAMPLE": "Vert Émeraude métallisé"}),
]  # fmt: skip


@pytest.mark.parametrize(("old", "model", "choices", "values"), FORMAT_1_CODES)
def test_format_1_codes_decode_unchanged_and_format_2_is_shorter(
    old: str, model: str, choices: list[str], values: dict[str, str]
) -> None:
    tree = CatalogTree(SHIPPED)
    decoded, _ = decode(old, tree)
    assert decoded.model == model
    assert sorted(decoded.choices) == sorted(choices) and dict(decoded.values) == values
    new = encode(tree.load(model), decoded)
    assert new != old and len(new) <= len(old)
    again, _ = decode(new, tree)
    assert again == decoded


def test_the_golden_quote_of_format_1_still_prices_the_same(tree: CatalogTree) -> None:
    old = "BSTB-BH50-QH4N-8DQX-E45Y-V613-99XG-PP82-7E9J-PAVG-M"  # quote_coupe golden, format 1
    decoded, _ = decode(old, tree)
    assert decoded.values == {"PAINT-TO-SAMPLE": "Oak Green"}
    assert price_code(tree, old, ON).total == price_code(tree, encode(
        tree.load("acme-coupe"), decoded), ON).total  # fmt: skip


def test_codes_without_values_keep_format_1(tree: CatalogTree) -> None:
    code = _code(tree, "acme-coupe", "ROOF-PANORAMA")
    assert normalise(code)[0] >> 3 == 1  # the two format bits


@settings(max_examples=60, deadline=None)
@given(
    model=st.sampled_from(MODELS),
    texts=st.lists(
        st.text(st.characters(codec="utf-8"), max_size=30).filter(
            lambda text: control_character(text) is None
        ),
        min_size=3,
        max_size=3,
    ),
    data=st.data(),
)
def test_round_trip_with_random_unicode_texts(
    model: str, texts: list[str], data: st.DataObject
) -> None:
    """Random valid configurations, any Unicode text (astral, CJK, accented, ASCII, empty) on
    every option that takes a value: the code decodes to the same and encodes to itself."""
    t = _tree_of(model)
    price = pricer_for(t, model)
    configuration = data.draw(valid_configurations(price, ON))
    catalog = price.catalog
    asking = [o.code for g in catalog.groups for o in g.options if o.value is not None]
    values = {code: texts[i % 3] for i, code in enumerate(asking)}
    with_texts = Configuration(model, configuration.choices, values)
    code = encode(catalog, with_texts)
    decoded, _ = decode(code, t)
    assert sorted(decoded.choices) == sorted(with_texts.choices)
    assert dict(decoded.values) == values
    assert encode(catalog, decoded) == code


def _recheck(symbols: list[int]) -> str:
    from configurator.codes import check_symbol

    body = symbols[:-1]
    return "".join(ALPHABET[s] for s in [*body, check_symbol(body)])


def test_format_2_is_refused_when_not_canonical(
    tree: CatalogTree, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalog = tree.load("acme-coupe")
    plain = encode(catalog, Configuration.of(catalog.id, ["ROOF-PANORAMA"]))
    symbols = normalise(plain)
    symbols[0] ^= 0b11 << 3  # format 1 -> 2 on a code without values
    with pytest.raises(CodeError, match="format does not match"):
        decode_for(_recheck(symbols), catalog)

    import configurator.codes as codes

    def ascii_in_form_1(acc: int, bits: int, text: str) -> tuple[int, int]:
        acc, bits = codes._varint((acc << 1) | 1, bits + 1, len(text))
        for char in text:
            field, width = codes._char_bits(ord(char))
            acc, bits = (acc << width) | field, bits + width
        return acc, bits

    # (texts are written through a memo of _put_text: replace the memo)
    monkeypatch.setattr(codes, "_text_field", lambda text: ascii_in_form_1(0, 0, text))
    odd = encode(
        catalog, Configuration.of(catalog.id, ["PAINT-TO-SAMPLE"], {"PAINT-TO-SAMPLE": "Oak"})
    )
    monkeypatch.undo()
    with pytest.raises(CodeError, match="not written canonically"):
        decode_for(odd, catalog)


def test_codes_are_cut_into_symbols_like_a_shift_per_symbol() -> None:
    # base32 over whole bytes, and the Damm check two symbols a step (or with numpy), give
    # what a shift and a step per symbol give, at every length, odd or even
    from configurator.codes import ALPHABET, _symbols_text, check_symbol

    rng = random.Random(12)
    for count in [*range(1, 20), 95, 96, 97, 100, 257, 640, 641]:
        acc = rng.getrandbits(5 * count)
        symbols = [(acc >> shift) & 31 for shift in range(5 * (count - 1), -1, -5)]
        symbols.append(check_symbol(symbols))
        assert _symbols_text(acc, count) == "".join(ALPHABET[s] for s in symbols)
