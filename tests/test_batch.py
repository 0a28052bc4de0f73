"""Batch pricing core: readers, chunking, row parsing, error codes, writers, memo, jobs."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from configurator import batch
from configurator.batch import (
    BadRowError,
    RowFailedError,
    Settings,
    Summary,
    csv_cell,
    input_format_for,
    market_tax_ids,
    neutralise,
    output_format_for,
    parse_options,
    read_chunks,
    run_batch,
)
from configurator.catalog.loader import open_tree
from configurator.configuration import Configuration
from configurator.errors import ConfiguratorError, ExitCode, UsageError
from configurator.money import money_json
from configurator.pricing import bulk
from configurator.pricing.engine import price

SU7 = "xiaomi-su7-ultra"
DAY = dt.date(2026, 3, 1)


def run(
    text: str,
    input_format: batch.InputFormat = "csv",
    output_format: batch.OutputFormat = "csv",
    *,
    jobs: int = 1,
    root: Path | None = None,
    **options: Any,
) -> tuple[str, Summary]:
    """Run a batch over ``text`` in memory; return the output text and the summary."""
    root = root or open_tree().root
    settings = Settings(
        catalogs=str(root),
        default_date=options.pop("default_date", DAY),
        tax_ids=market_tax_ids(root),
        output_format=output_format,
        **options,
    )
    out = io.StringIO()
    summary = Summary()
    run_batch(
        io.StringIO(text),
        out,
        input_format=input_format,
        settings=settings,
        summary=summary,
        jobs=jobs,
        name="rows",
    )
    return out.getvalue(), summary


def rows_of(output: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(output)))


# --- small parts ---------------------------------------------------------------------------


def test_options_split_on_spaces_or_semicolons_with_values() -> None:
    assert parse_options("a  b\tc") == (["A", "B", "C"], {})
    assert parse_options("PTS=Oak Green; WHEEL-X ;") == (["PTS", "WHEEL-X"], {"PTS": "Oak Green"})
    assert parse_options("PTS=Oak") == (["PTS"], {"PTS": "Oak"})
    assert parse_options(("a", "PTS=Oak Green")) == (["A", "PTS"], {"PTS": "Oak Green"})
    assert parse_options("") == ([], {})
    with pytest.raises(BadRowError, match="no option code"):
        parse_options("=Oak")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_characters=";=")))
def test_options_of_codes_only_split_as_token_by_token(text: str) -> None:
    # the quick path (upper-case the whole text, then split) gives the codes one by one
    assert parse_options(text) == ([token.strip().upper() for token in text.split()], {})


def _read(options: str | tuple[str, ...]) -> object:
    try:
        return parse_options(options)
    except BadRowError as error:
        return str(error)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.sampled_from(["a", "B-1", " c ", "", " ", "=", "x=Oak Green", "ß=É é", "a=1", "ß"]))
)
def test_options_with_values_split_as_their_tokens_one_by_one(parts: list[str]) -> None:
    # the text path (every token upper-cased at once, those with '=' read again) reads a
    # text as the list path reads its tokens, errors included
    for text in (";".join(parts), " ".join(parts)):
        tokens = text.split(";") if ";" in text else text.split()
        assert _read(text) == _read(tuple(tokens))


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_text_cells_that_start_like_formulas_are_neutralised(start: str) -> None:
    assert neutralise(f"{start}1+1") == f"'{start}1+1"
    assert csv_cell(f"{start}SUM(A1)") in (f"'{start}SUM(A1)", f'"\'{start}SUM(A1)"')
    assert neutralise("r-1") == "r-1"  # only the first character counts
    assert csv_cell('a,"b"') == '"a,""b"""'


def test_formats_come_from_options_or_extensions() -> None:
    assert input_format_for("orders.CSV", None) == "csv"
    assert input_format_for("orders.ndjson", None) == "jsonl"
    assert input_format_for("orders.yml", None) == "yaml"
    assert input_format_for("-", "jsonl") == "jsonl"
    assert output_format_for("out.jsonl", None, "csv") == "jsonl"
    assert output_format_for(None, None, "jsonl") == "jsonl"  # stdout: like the input
    for call in (
        lambda: input_format_for("-", None),
        lambda: input_format_for("orders.txt", None),
        lambda: input_format_for("orders.csv", "xml"),
        lambda: output_format_for("out.yaml", None, "csv"),
        lambda: output_format_for("-", None, "yaml"),
    ):
        with pytest.raises(UsageError):
            call()


def test_tax_columns_are_known_before_the_first_row(shipped_root: Path) -> None:
    assert market_tax_ids(shipped_root) == ("ultra-luxury-tax", "purchase-tax")


@pytest.mark.parametrize(
    "header, message",
    [
        ("", "empty"),
        ("id,model", "lacks options or code"),
        ("model,options", "lacks id"),
        ("id,model,options,ID", "appears twice"),
    ],
)
def test_a_bad_header_is_a_usage_error(header: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        run(header + "\n")


def test_chunks_cut_between_records_even_inside_quoted_newlines(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(batch, "CHUNK_CHARS", 7)  # many tiny chunks
    text = 'id,model,options\n"a\nb",m,"X\n\nY"\nc,m,Z\n\nd,m,W'
    header, chunks = read_chunks(io.StringIO(text), "csv", "rows")
    assert header is not None
    pieces = list(chunks)
    assert len(pieces) > 1
    assert "".join(c.text for c in pieces) == text.split("\n", 1)[1]
    records = [list(csv.reader(io.StringIO(c.text))) for c in pieces]
    assert [r for chunk in records for r in chunk if r] == [
        ["a\nb", "m", "X\n\nY"],
        ["c", "m", "Z"],
        ["d", "m", "W"],
    ]
    # each chunk knows the line it starts on
    for chunk in pieces:
        assert text.count("\n", 0, text.index(chunk.text)) + 1 == chunk.first_line


# --- rows through the engine ----------------------------------------------------------------


def engine_quote(model: str, options: list[str], on: dt.date = DAY, **values: str) -> Any:
    tree = open_tree()
    catalog = tree.load(model)
    return price(
        catalog, Configuration.of(model, options, values), tree.load_market(catalog.market), on
    )


def test_ok_rows_carry_the_engines_figures() -> None:
    output, summary = run(
        f"id,model,options,date\nr1,{SU7},,\nr2,{SU7},,2025-06-01\nr3,{SU7},PKG-TRACK,\n"
    )
    rows = rows_of(output)
    assert list(rows[0]) == [
        "id",
        "model",
        "status",
        "code",
        "subtotal",
        "ultra-luxury-tax",
        "purchase-tax",
        "total",
        "currency",
        "error_code",
        "error",
    ]
    # the worked example of the published rules, and the same car in 2025
    assert rows[0]["subtotal"] == "529900.00"
    assert rows[0]["purchase-tax"] == "31893.81"
    assert rows[0]["ultra-luxury-tax"] == "0.00"
    assert rows[0]["total"] == "561793.81"
    assert rows[1]["purchase-tax"] == "16893.81"
    quote = engine_quote(SU7, ["PKG-TRACK"])
    assert rows[2]["total"] == money_json(quote.total)
    assert rows[2]["code"] == quote.code
    assert all(r["status"] == "ok" and r["currency"] == "CNY" for r in rows)
    assert (summary.rows, summary.ok, summary.failed) == (3, 3, 0)
    assert summary.exit_code == ExitCode.OK


def test_a_code_row_prices_like_its_options() -> None:
    quote = engine_quote(SU7, ["PKG-TRACK"])
    output, _ = run(f"id,model,code\nc1,,{quote.code.lower()}\nc2,{SU7},{quote.code}\n")
    for row in rows_of(output):
        assert (row["status"], row["model"], row["total"]) == ("ok", SU7, money_json(quote.total))


def test_every_error_code_with_its_line_number() -> None:
    valid = engine_quote(SU7, []).code
    typo = valid[:-1] + ("0" if valid[-1] != "0" else "1")
    text = (
        "id,model,options,code,date\n"
        f"ok,{SU7},,,\n"
        f",{SU7},,,\n"  # line 3: no id
        f"b2,{SU7},,,2026-02-30\n"  # line 4: bad date
        f"b3,{SU7},PKG-TRACK,{valid},\n"  # line 5: both
        "b4,,PKG-TRACK,,\n"  # line 6: no model
        f"b5,{SU7}\n"  # line 7: wrong number of fields
        "m1,xiaomi-su7-ultr,,,\n"  # line 8
        f"c1,,,{typo},\n"  # line 9
        f"o1,{SU7},PKG-TRAK,,\n"  # line 10
        f"k1,{SU7},PAINT-OBSIDIAN-BLACK PAINT-PEARL-WHITE,,\n"  # line 11
        f"v1,{SU7},PAINT-OBSIDIAN-BLACK=Oak;,,\n"  # line 12: a value for an option without one
        f"s1,{SU7},PAINT-AMETHYST,,\n"  # line 13: customization below its minimum spend
    )
    output, summary = run(text)
    rows = {row["id"]: row for row in rows_of(output)}
    expected = {
        "": ("bad_row", 3, "no id"),
        "b2": ("bad_row", 4, "not a date"),
        "b3": ("bad_row", 5, "both options and a code"),
        "b4": ("bad_row", 6, "no model"),
        "b5": ("bad_row", 7, "2 fields but the header has 5"),
        "m1": ("unknown_model", 8, "did you mean 'xiaomi-su7-ultra'?"),
        "c1": ("bad_code", 9, "check character"),
        "o1": ("unknown_option", 10, "did you mean 'PKG-TRACK'?"),
        "k1": (
            "cardinality",
            11,
            "choose exactly one (with PAINT-OBSIDIAN-BLACK, PAINT-PEARL-WHITE)",
        ),
        "v1": ("bad_value", 12, "takes no value"),
        "s1": ("minimum_spend", 13, "at least"),
    }
    for rid, (code, line, words) in expected.items():
        row = rows[rid]
        assert row["status"] == "error", rid
        assert row["error_code"] == code, (rid, row["error"])
        assert row["error"].startswith(f"line {line}: "), (rid, row["error"])
        assert words in row["error"], (rid, row["error"])
        assert row["total"] == row["subtotal"] == row["code"] == ""
    assert rows["ok"]["status"] == "ok"
    assert summary.exit_code == ExitCode.ROWS_FAILED
    assert summary.ok == 1 and summary.failed == len(expected)
    assert summary.errors["bad_row"] == 5


def test_a_rule_violation_names_the_rule_and_explains_it() -> None:
    tree = open_tree()
    catalog = tree.load(SU7)
    rule = next(r for r in catalog.rules if r.option and r.excludes)
    assert rule.excludes is not None
    output, _ = run(f"id,model,options\nr1,{SU7},{rule.option} {rule.excludes[0]}\n")
    row = rows_of(output)[0]
    assert row["error_code"] == "rule_violation"
    # The minimal explanation: the buyer's choices and the rule (message, id, file:line).
    assert f"you chose {rule.option} " in row["error"]
    assert f"you chose {rule.excludes[0]} " in row["error"]
    assert row["error"].count(rule.message) == 1  # the message once, then where the rule is
    assert re.search(rf"rule {re.escape(rule.id)} at \S+\.yaml:\d+:\d+", row["error"])
    assert "\n" not in row["error"]  # one line per cell


def test_csv_injection_is_neutralised_in_csv_but_not_in_json_lines() -> None:
    text = f"id,model,options\n=HYPERLINK(1),{SU7},\n@x,{SU7},\n-3,=cmd|x,\n"
    output, _ = run(text)
    rows = list(csv.reader(io.StringIO(output)))[1:]
    assert [r[0] for r in rows] == ["'=HYPERLINK(1)", "'@x", "'-3"]
    assert rows[2][1] == "'=cmd|x"
    assert rows[0][4] == "529900.00"  # amounts are numbers: untouched
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    jsonl, _ = run(text, output_format="jsonl")
    assert [json.loads(line)["id"] for line in jsonl.splitlines()] == ["=HYPERLINK(1)", "@x", "-3"]


def test_json_lines_in_and_out() -> None:
    text = "\n".join(
        [
            json.dumps({"id": "j1", "model": SU7, "options": "PKG-TRACK"}),
            "",
            json.dumps({"id": 7, "model": SU7, "options": ["PKG-TRACK"], "date": "2025-06-01"}),
            "{not json",
            json.dumps(["a list"]),
            json.dumps({"id": "j5", "model": 5}),
            json.dumps({"id": "j6", "model": SU7, "options": {"a": 1}}),
        ]
    )
    output, summary = run(text, "jsonl", "jsonl")
    records = [json.loads(line) for line in output.splitlines()]
    assert [r["id"] for r in records] == ["j1", "7", "", "", "j5", "j6"]
    first = records[0]
    quote = engine_quote(SU7, ["PKG-TRACK"])
    assert first["status"] == "ok" and first["total"] == money_json(quote.total)
    assert first["purchase-tax"] == money_json(quote.tax("purchase-tax").amount)
    assert first["error"] is None and first["error_code"] is None
    assert records[1]["total"] == money_json(engine_quote(SU7, ["PKG-TRACK"], DAY_2025).total)
    assert [r["error_code"] for r in records[2:]] == ["bad_row"] * 4
    assert records[2]["error"].startswith("line 4: not a JSON object")
    assert records[3]["error"].startswith("line 5: a row must be an object")
    assert "'model' must be text" in records[4]["error"]
    assert records[5]["total"] is None
    assert summary.rows == 6


DAY_2025 = dt.date(2025, 6, 1)


def test_yaml_rows_keep_their_lines() -> None:
    text = (
        "# an order book\n"
        "- id: y1\n"
        f"  model: {SU7}\n"
        "  options: [PKG-TRACK]\n"
        "  date: 2025-06-01\n"
        "- id: y2\n"
        f"  model: {SU7}\n"
        "  options: NOPE\n"
    )
    output, _ = run(text, "yaml", "csv")
    rows = rows_of(output)
    assert rows[0]["total"] == money_json(engine_quote(SU7, ["PKG-TRACK"], DAY_2025).total)
    assert rows[1]["error"].startswith("line 6: 'NOPE' is not an option")
    documents = f"id: d1\nmodel: {SU7}\n---\nid: d2\nmodel: {SU7}\noptions: PKG-TRACK\n"
    output, summary = run(documents, "yaml", "jsonl")
    assert summary.ok == 2
    with pytest.raises(UsageError, match=r"rows:2:\d+: the YAML input is not readable"):
        run("- id: a\n  model: a: b\n", "yaml")


def test_currency_conversion_uses_the_engines_dated_rates() -> None:
    output, _ = run(f"id,model,options\nr1,{SU7},\n", currency="USD")
    row = rows_of(output)[0]
    tree = open_tree()
    catalog = tree.load(SU7)
    quote = price(
        catalog,
        Configuration.of(SU7),
        tree.load_market(catalog.market),
        DAY,
        currencies=["USD"],
    )
    conversion = quote.conversions[0]
    assert row["currency"] == "USD"
    assert row["total"] == money_json(conversion.total)
    assert row["subtotal"] == money_json(conversion.subtotal)


def test_fail_fast_stops_at_the_first_failed_row() -> None:
    text = f"id,model,options\nr1,{SU7},\nr2,{SU7},NOPE\nr3,{SU7},\n"
    with pytest.raises(RowFailedError, match="line 3 \\(id r2\\): unknown_option"):
        run(text, fail_fast=True)


def test_repeated_configurations_are_priced_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, ...]] = []
    original = batch.ChunkPricer._price

    def counting(self: batch.ChunkPricer, model: str, codes: tuple[str, ...], *rest: Any) -> Any:
        calls.append(codes)
        return original(self, model, codes, *rest)

    monkeypatch.setattr(batch.ChunkPricer, "_price", counting)
    spellings = ["PKG-TRACK PAINT-OBSIDIAN-BLACK", "paint-obsidian-black;pkg-track"]
    text = "id,model,options\n" + "".join(f"r{i},{SU7},{spellings[i % 2]}\n" for i in range(50))
    # the lane for distinct cars prices each row text once a chunk
    lane_rows: list[int] = []
    prices_many = bulk.BulkPricer.prices_many

    def counting_lane(self: bulk.BulkPricer, rows: Any, on: dt.date) -> Any:
        lane_rows.append(len(rows))
        return prices_many(self, rows, on)

    monkeypatch.setattr(bulk.BulkPricer, "prices_many", counting_lane)
    output, summary = run(text)
    assert summary.ok == 50
    assert (lane_rows, calls) == ([2], [])
    # the memos (once rows repeat) price one normalised configuration once
    monkeypatch.setattr(batch.ChunkPricer, "_memos_rarely_help", lambda self: False)
    again, _ = run(text)
    assert again == output
    assert calls == [("PAINT-OBSIDIAN-BLACK", "PKG-TRACK")]


def test_jobs_2_gives_the_same_output_as_jobs_1(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batch, "CHUNK_CHARS", 512)  # several chunks per worker
    options = [
        "",
        "PKG-TRACK",
        "NOPE",
        "PAINT-OBSIDIAN-BLACK PAINT-PEARL-WHITE",
        "HOOD-CARBON-DUCTS",
    ]
    text = "id,model,options\n" + "".join(
        f"r{i},{SU7 if i % 7 else 'nope'},{options[i % len(options)]}\n" for i in range(300)
    )
    one, summary_one = run(text)
    two, summary_two = run(text, jobs=2)
    assert one == two
    assert summary_one.errors == summary_two.errors and summary_two.rows == 300


def test_interrupt_keeps_a_summary_of_what_was_done(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batch, "CHUNK_CHARS", 64)
    seen = []

    def interrupt(summary: Summary, read: int) -> None:
        seen.append(summary.rows)
        if len(seen) == 2:
            raise KeyboardInterrupt

    text = "id,model,options\n" + "".join(f"r{i},{SU7},\n" for i in range(100))
    root = open_tree().root
    settings = Settings(str(root), DAY, market_tax_ids(root), "csv")
    summary = Summary()
    with pytest.raises(KeyboardInterrupt):
        run_batch(
            io.StringIO(text),
            io.StringIO(),
            input_format="csv",
            settings=settings,
            summary=summary,
            progress=interrupt,
        )
    assert summary.interrupted and summary.exit_code == ExitCode.INTERRUPTED
    assert 0 < summary.rows < 100 and summary.rows == seen[-1]


def test_a_broken_catalog_stops_the_run(tmp_path: Path) -> None:
    root = open_tree().root
    broken = tmp_path / "tree"
    (broken / "markets").mkdir(parents=True)
    for market in (root / "markets").glob("*.yaml"):
        (broken / "markets" / market.name).write_text(market.read_text("utf-8"), "utf-8")
    (broken / "acme").mkdir()
    (broken / "acme" / "car.yaml").write_text("id: acme-car\nbrand: [\n", "utf-8")
    with pytest.raises(batch.CatalogError):
        run("id,model,options\nr1,acme-car,\n", root=broken)


def test_workers_share_what_they_priced(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    original = batch.ChunkPricer._price

    def counting(self: batch.ChunkPricer, model: str, *rest: Any) -> Any:
        calls.append(model)
        return original(self, model, *rest)

    monkeypatch.setattr(batch.ChunkPricer, "_price", counting)
    # (rows that repeat: the memos, not the lane for distinct cars, whose cars skip them)
    monkeypatch.setattr(batch.ChunkPricer, "_memos_rarely_help", lambda self: False)
    root = open_tree().root
    header = batch.Header(width=3, id=0, model=1, options=2, code=3, date=3)
    settings = Settings(str(root), DAY, market_tax_ids(root), "csv", header=header)
    chunk = batch.Chunk(first_line=2, text=f"r1,{SU7},PKG-TRACK\nr2,{SU7},NOPE\n")
    first, second = batch.ChunkPricer(settings, share=True), batch.ChunkPricer(settings)
    priced = first.process(chunk)
    news = first.take_news()
    assert len(news) == 2 and first.take_news() == []
    second.learn(news)
    assert second.process(chunk).text == priced.text
    assert len(calls) == 2  # the second pricer priced nothing itself


def test_memos_shrink_when_rows_hardly_repeat(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batch, "MEMO_TRIAL", 30)
    monkeypatch.setattr(batch, "MEMO_SMALL", 4)
    root = open_tree().root
    header = batch.Header(width=4, id=0, model=1, options=2, code=4, date=3)
    settings = Settings(str(root), DAY, market_tax_ids(root), "csv", header=header)
    days = [DAY + dt.timedelta(days=n) for n in range(90)]  # every row a different key
    rows = [f"r{n},{SU7},,{day.isoformat()}\n" for n, day in enumerate(days)]
    chunks = [batch.Chunk(first_line=2 + n, text="".join(rows[n : n + 30])) for n in (0, 30, 60)]
    shrinking, keeping = batch.ChunkPricer(settings), batch.ChunkPricer(settings)
    keeping.memo_size = batch.MEMO_SMALL  # never looks at its hit rate
    texts = [shrinking.process(chunk).text for chunk in chunks]
    assert shrinking.memo_size == 4  # after the first chunk's 30 misses
    assert texts == [keeping.process(chunk).text for chunk in chunks]
    assert len(texts[2].splitlines()) == 30


def test_a_worker_stops_sharing_when_rows_hardly_repeat(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sending every priced car to the other workers costs more than it saves when cars do
    not repeat: once the memos shrink, a worker keeps no news."""
    monkeypatch.setattr(batch, "MEMO_TRIAL", 30)
    monkeypatch.setattr(batch, "MEMO_SMALL", 4)
    root = open_tree().root
    header = batch.Header(width=4, id=0, model=1, options=2, code=4, date=3)
    settings = Settings(str(root), DAY, market_tax_ids(root), "csv", header=header)
    rows = [f"r{n},{SU7},,{(DAY + dt.timedelta(days=n)).isoformat()}\n" for n in range(60)]
    worker = batch.ChunkPricer(settings, share=True)
    worker.process(batch.Chunk(first_line=2, text="".join(rows[:30])))
    assert len(worker.take_news()) == 30  # the first chunk's cars, before it could know
    worker.process(batch.Chunk(first_line=32, text="".join(rows[30:])))
    assert not worker.share and worker.take_news() == []


def test_the_memo_forgets_the_least_recently_used() -> None:
    memo = batch._Memo(2, keep_news=True)
    memo.put("a", (None, "A", ""))
    memo.put("b", (None, "B", ""))
    assert memo.get("a") == (None, "A", "")
    memo.put("c", (None, "C", ""), news=False)
    assert memo.get("b") is None and memo.get("a") is not None and memo.get("c") is not None
    assert [key for key, _ in memo.take_news()] == ["a", "b"]


def test_stray_and_unclosed_quotes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batch, "CHUNK_CHARS", 64)
    monkeypatch.setattr(batch, "MAX_RECORD_CHARS", 256)
    # a stray quote in an unquoted field is literal (as csv reads it), and the chunking that
    # counts quotes recovers from it: every row is still read, once
    rows = [f"r{i},{SU7},,{'21in' if i else '21' + chr(34)}\n" for i in range(60)]
    text = "id,model,options,note\n" + "".join(rows)
    _, chunks = read_chunks(io.StringIO(text), "csv", "rows")
    assert all(len(chunk.text) <= 256 + 64 for chunk in chunks)  # memory stays bounded
    output, summary = run(text)
    assert summary.rows == summary.ok == 60
    assert [row["id"] for row in rows_of(output)] == [f"r{i}" for i in range(60)]
    # junk after a closing quote, and a quoted field that never ends: bad rows, with lines and
    # ids; reading starts again at the next line, so the rows after them are kept
    text = f'id,model,options\nr1,{SU7},"PKG-TRACK"x\nr2,{SU7},\nr3,{SU7},"PKG-TRACK\nr4,{SU7},\n'
    output, summary = run(text)
    rows = rows_of(output)
    assert [(r["id"], r["status"]) for r in rows] == [
        ("r1", "error"),
        ("r2", "ok"),
        ("r3", "error"),
        ("r4", "ok"),
    ]
    assert rows[0]["error"].startswith("line 2: not valid CSV: text follows the closing quote")
    assert rows[2]["error"].startswith("line 4: not valid CSV: a quoted field is never closed")


# --- the lane for distinct cars (pricing.bulk) ----------------------------------------------


def _distinct_rows(count: int, seed: int) -> str:
    """Rows of shipped models: valid cars completed from random wishes (some written in lower
    case, with extra spaces, dated), some made invalid, some repeated, a few bad rows."""
    from configurator.rules.select import engine_for

    rng = random.Random(seed)
    tree = open_tree()
    lines = ["id,model,options,code,date"]
    cars: list[tuple[str, list[str]]] = []
    for model in ["xiaomi-su7-ultra", "porsche-taycan", "porsche-911-carrera", "xiaomi-yu7-max"]:
        catalog = tree.load(model)
        engine = engine_for(catalog, DAY)
        codes = [o.code for g in catalog.groups for o in g.options]
        for _ in range(count):
            try:
                car = sorted(engine.complete(rng.sample(codes, 2), "cheapest"))
            except ConfiguratorError:
                continue
            if rng.random() < 0.3:  # another option of some group: often invalid
                car[rng.randrange(len(car))] = rng.choice(codes)
            cars.append((model, car))
    for number, (model, car) in enumerate(cars):
        text = " ".join(car)
        if number % 5 == 1:
            text = "  " + text.lower() + " "
        day = rng.choice(["", "", "2025-06-01", "2026-13-01"])
        lines.append(f"r{number},{model},{text},,{day}")
        if number % 9 == 0:
            lines.append(f"again{number},{model},{text},,{day}")
    lines += [
        "x1,nope,A B,,",
        "x2,xiaomi-su7-ultra,NOT-AN-OPTION,,",
        "x3,,A,,",
        ",porsche-taycan,A,,",
    ]
    return "\n".join(lines) + "\n"


def _as_jsonl(text: str) -> str:
    """CSV rows as JSON lines, options as a list of codes in every other row."""
    lines = []
    for number, row in enumerate(csv.DictReader(io.StringIO(text))):
        record: dict[str, Any] = {k: v for k, v in row.items() if v}
        if number % 2 and "options" in record:
            record["options"] = record["options"].split()
        lines.append(json.dumps(record))
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("input_format", "output_format"), [("csv", "csv"), ("csv", "jsonl"), ("jsonl", "csv")]
)
def test_the_lane_for_distinct_cars_writes_what_pricing_one_by_one_writes(
    monkeypatch: pytest.MonkeyPatch,
    input_format: batch.InputFormat,
    output_format: batch.OutputFormat,
) -> None:

    monkeypatch.setattr(batch, "CHUNK_CHARS", 2048)  # many chunks
    text = _distinct_rows(40, seed=3)
    if input_format == "jsonl":
        text = _as_jsonl(text)
    priced_one_by_one = []
    price = batch.ChunkPricer._price

    def counting(self: batch.ChunkPricer, *args: Any) -> Any:
        found = price(self, *args)  # (raises for an invalid car)
        priced_one_by_one.append(found)
        return found

    monkeypatch.setattr(batch.ChunkPricer, "_price", counting)
    with_lane, summary = run(text, input_format, output_format)
    assert priced_one_by_one == []  # the lane priced every valid row (packages included)
    monkeypatch.setattr(batch.ChunkPricer, "_memos_rarely_help", lambda self: False)
    one_by_one, summary_one = run(text, input_format, output_format)
    assert with_lane == one_by_one
    assert summary.errors == summary_one.errors and summary.ok == summary_one.ok > 0
    assert len(priced_one_by_one) > summary.ok // 2


def test_a_batch_process_keeps_to_one_blas_thread() -> None:
    """The lane's matrix products are small: a BLAS thread per core in every --jobs worker
    made --jobs 2 slower than one job (docs/batch.md)."""
    from threadpoolctl import threadpool_info

    run("id,model,options\nr1,xiaomi-su7-ultra,\n")
    blas = [pool for pool in threadpool_info() if pool["user_api"] == "blas"]
    assert blas and all(pool["num_threads"] == 1 for pool in blas)
