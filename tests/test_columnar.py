"""Batch pricing on columns: DataFrames, Arrow tables, Parquet, and a partitioned frame on a
local Dask cluster, each compared with `configurator batch` on the same rows."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from configurator.cli import app
from configurator.columnar import frame_meta, price_frame, price_frames
from configurator.errors import ExitCode, UsageError

SU7 = "xiaomi-su7-ultra"
DATE = "2026-03-01"
ROWS = [
    ["r1", SU7, "", "", ""],
    ["r2", SU7, "PKG-TRACK", "", ""],
    ["r3", "porsche-taycan", "", "", "2025-06-01"],
    ["r4", SU7, "NOPE", "", ""],  # unknown option
    ["r5", "nope", "", "", ""],  # unknown model
    ["=r6", SU7, "", "", "2026-02-30"],  # a formula-like id, a bad date
    ["", SU7, "", "", ""],  # no id
    ["r8", SU7, "PAINT-AMETHYST BADGE-GOLD-24K", "", ""],  # below a minimum spend
    ["r9", "", "", "BFVH-100C", ""],  # a configuration code
    ["r10", SU7, "", "ZZZZ-ZZZZ", ""],  # a bad code
]


def input_csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["id", "model", "options", "code", "date"])
    writer.writerows(rows)
    return out.getvalue()


def cli_batch(runner: CliRunner, source: Path, target: Path, *more: str) -> None:
    result = runner.invoke(app, ["batch", str(source), "-o", str(target), "--date", DATE, *more])
    assert result.exit_code in (ExitCode.OK, ExitCode.ROWS_FAILED), result.output


def frame_csv(frame: pd.DataFrame) -> str:
    return frame.to_csv(index=False, lineterminator="\n")


@pytest.fixture
def many_rows() -> list[list[str]]:
    return [[f"{row[0]}-{n}" if row[0] else "", *row[1:]] for n in range(7) for row in ROWS]


def test_frame_is_byte_for_byte_the_cli_csv(
    runner: CliRunner, tmp_path: Path, many_rows: list[list[str]]
) -> None:
    source = tmp_path / "orders.csv"
    source.write_text(input_csv(many_rows), encoding="utf-8")
    cli_batch(runner, source, tmp_path / "quotes.csv")
    frame = pd.read_csv(source, dtype=str, keep_default_na=False)
    priced = price_frame(frame, date=DATE)
    assert list(priced.index) == list(frame.index)
    assert frame_csv(priced) == (tmp_path / "quotes.csv").read_text(encoding="utf-8")
    # missing cells (NaN, as pandas reads them by default) read as empty cells
    assert frame_csv(price_frame(pd.read_csv(source, dtype=str), date=DATE)) == frame_csv(priced)
    statuses = dict(zip(priced["id"].fillna(""), priced["error_code"].fillna("ok"), strict=True))
    assert statuses["r1-0"] == "ok" and statuses["r9-3"] == "ok"
    assert statuses["r4-0"] == "unknown_option" and statuses["r10-0"] == "bad_code"
    assert statuses["'=r6-0"] == "bad_row"


def test_arrow_in_arrow_out_and_spark_form() -> None:
    frame = pd.DataFrame(ROWS, columns=["ID", "Model", "options", "code", "date"])
    table = price_frame(pa.Table.from_pandas(frame, preserve_index=False), date=DATE)
    assert isinstance(table, pa.Table)
    assert table.column_names == list(frame_meta().columns)
    assert table.to_pylist() == price_frame(frame, date=DATE).to_dict("records")
    parts = list(price_frames([frame.iloc[:4], frame.iloc[4:]], date=DATE))
    assert frame_csv(pd.concat(parts)) == frame_csv(price_frame(frame, date=DATE))


def test_json_values_without_spreadsheet_prefix() -> None:
    frame = pd.DataFrame(ROWS, columns=["id", "model", "options", "code", "date"])
    priced = price_frame(frame, date=DATE, spreadsheet_safe=False)
    assert priced.loc[5, "id"] == "=r6"  # data for programs: not neutralised
    assert priced.loc[0, "status"] == "ok" and priced.loc[0, "error"] is None


def test_missing_columns_are_a_usage_error() -> None:
    with pytest.raises(UsageError, match="lack model"):
        price_frame(pd.DataFrame({"id": ["r1"], "options": [""]}))


def test_parquet_in_and_out(runner: CliRunner, tmp_path: Path, many_rows: list[list[str]]) -> None:
    source_csv = tmp_path / "orders.csv"
    source_csv.write_text(input_csv(many_rows), encoding="utf-8")
    frame = pd.read_csv(source_csv, dtype=str, keep_default_na=False)
    source = tmp_path / "orders.parquet"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), source, row_group_size=16)
    assert pq.ParquetFile(source).num_row_groups > 3
    cli_batch(runner, source_csv, tmp_path / "from-csv.csv")
    cli_batch(runner, source, tmp_path / "from-parquet.csv")
    assert (tmp_path / "from-parquet.csv").read_bytes() == (tmp_path / "from-csv.csv").read_bytes()

    cli_batch(runner, source, tmp_path / "quotes.parquet")
    cli_batch(runner, source, tmp_path / "quotes.jsonl")
    written = pq.read_table(tmp_path / "quotes.parquet")
    assert all(pa.types.is_string(field.type) for field in written.schema)
    expected = [json.loads(line) for line in (tmp_path / "quotes.jsonl").read_text().splitlines()]
    for record in expected:
        for key, value in record.items():
            record[key] = value if value != "" else None
    assert written.to_pylist() == expected


def test_parquet_problems_are_usage_errors(runner: CliRunner, tmp_path: Path) -> None:
    fake = tmp_path / "orders.parquet"
    fake.write_text("id,model\n", encoding="utf-8")
    result = runner.invoke(app, ["batch", str(fake), "-o", str(tmp_path / "out.csv")])
    assert result.exit_code == ExitCode.USAGE
    assert "not a readable Parquet file" in result.output
    assert not (tmp_path / "out.csv").exists()
    pq.write_table(pa.table({"id": ["r1"], "options": [""]}), fake)
    result = runner.invoke(app, ["batch", str(fake), "-o", str(tmp_path / "out.csv")])
    assert result.exit_code == ExitCode.USAGE and "lack model" in result.output


def test_partitioned_frame_on_a_local_dask_cluster(
    runner: CliRunner, tmp_path: Path, many_rows: list[list[str]]
) -> None:
    dd = pytest.importorskip("dask.dataframe")
    distributed = pytest.importorskip("distributed")
    source = tmp_path / "orders.csv"
    source.write_text(input_csv(many_rows), encoding="utf-8")
    cli_batch(runner, source, tmp_path / "quotes.csv")
    frame = pd.read_csv(source, dtype=str, keep_default_na=False)
    single = price_frame(frame, date=DATE)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        partitioned = dd.from_pandas(frame, npartitions=4)
        assert partitioned.npartitions == 4
        future = partitioned.map_partitions(price_frame, date=DATE, meta=frame_meta())
        priced = client.compute(future).result()
        assert len(client.scheduler_info()["workers"]) == 2
    assert frame_csv(priced) == frame_csv(single)
    assert frame_csv(priced) == (tmp_path / "quotes.csv").read_text(encoding="utf-8")
