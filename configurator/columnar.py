"""Batch pricing on columns: pandas DataFrames, Arrow tables and Parquet files.

The same rows, the same engine and the same per-row errors as ``configurator batch``
(:mod:`configurator.batch`), for the tools pricing teams run at scale:

- :func:`price_frame` prices a DataFrame (or an Arrow table) whose columns are the batch
  input's (``id``, ``model``, ``options`` or ``code``, optionally ``date``) and returns the batch
  output's columns. Written with ``to_csv(index=False)``, the result is byte for byte the CSV
  that ``configurator batch`` writes for the same rows. It is a ``map_partitions`` function for
  Dask (:func:`frame_meta` gives the ``meta``) and :func:`price_frames` is a ``mapInPandas``
  function for Spark;
- :func:`parquet_chunks` and :class:`ParquetSink` let ``configurator batch`` read and write
  Parquet, one row group at a time.

An error message names the row as ``line N``: the line the row has in the same rows written as
CSV with a header, i.e. the frame's index + 2 (a default index counts from 0 and the header is
line 1). Give each partition of a frame the index it has in the whole (as
``dask.dataframe.from_pandas`` does) and the messages match the CLI's.

pandas and pyarrow are imported only when these functions run (``pip install
'configurator[dask]'`` brings them, with Dask).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from configurator.batch import (
    CHUNK_ROWS,
    Chunk,
    ChunkPricer,
    Settings,
    market_tax_ids,
    output_columns,
)
from configurator.errors import UsageError

INPUT_COLUMNS = ("id", "model", "options", "code", "date")
PARQUET_GROUP_ROWS = 65_536  # rows per row group written

_PRICERS: dict[Settings, ChunkPricer] = {}
_LOCK = threading.Lock()  # one frame at a time per process: the engines are not thread-safe


# --- input rows from columns ------------------------------------------------------------------


def _cell(value: Any) -> Any:
    """A frame or Parquet cell as the batch reads it: text as it is, missing as absent, whole
    numbers as text (like a numeric JSON id), dates as YYYY-MM-DD, lists as lists."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, bool):
        return value  # reported as the wrong type, as in JSON lines
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "tolist"):  # a numpy array (a list column)
        value = value.tolist()
    if isinstance(value, list | tuple):
        return [_cell(v) for v in value]
    return value


def _columns_of(names: Iterable[str], where: str) -> dict[str, str]:
    """The input columns found among ``names`` (case-insensitive), by their batch name; a
    usage error when ``id``, ``model`` or both ``options`` and ``code`` are missing."""
    found: dict[str, str] = {}
    for name in names:
        key = str(name).strip().lower()
        if key in INPUT_COLUMNS:
            if key in found:
                raise UsageError(f"{where}: column '{key}' appears twice")
            found[key] = str(name)
    missing = [c for c in ("id", "model") if c not in found]
    if "options" not in found and "code" not in found:
        missing.append("options or code")
    if missing:
        raise UsageError(
            f"{where}: the columns lack {', '.join(missing)} "
            f"(found: {', '.join(map(str, names)) or 'nothing'}); "
            "expected id, model, options or code, and optionally date"
        )
    return found


def _items(columns: dict[str, list[Any]], lines: Iterable[int]) -> tuple[tuple[int, Any], ...]:
    """Rows as (line, mapping) items for :meth:`ChunkPricer.process`."""
    names = list(columns)
    cells = [columns[name] for name in names]
    return tuple(
        (line, {name: _cell(value) for name, value in zip(names, values, strict=True)})
        for line, values in zip(lines, zip(*cells, strict=True), strict=False)
    )


# --- data frames ------------------------------------------------------------------------------


def frame_settings(
    catalogs: str | Path | None = None,
    date: dt.date | str | None = None,
    currency: str | None = None,
    *,
    spreadsheet_safe: bool = True,
) -> Settings:
    """The batch settings of a frame run (as ``configurator batch`` would make them)."""
    from configurator.catalog.loader import catalog_root

    root = catalog_root(catalogs)
    if isinstance(date, str):
        date = dt.date.fromisoformat(date)
    return Settings(
        catalogs=str(root),
        default_date=date or dt.date.today(),
        tax_ids=market_tax_ids(root),
        output_format="csv" if spreadsheet_safe else "jsonl",
        currency=currency.strip().upper() if currency else None,
    )


def _pricer(settings: Settings) -> ChunkPricer:
    """One :class:`ChunkPricer` per settings and process (catalogs and memos reused)."""
    found = _PRICERS.get(settings)
    if found is None:
        if len(_PRICERS) >= 4:
            _PRICERS.pop(next(iter(_PRICERS)))
        found = _PRICERS[settings] = ChunkPricer(settings)
    return found


def _output_rows(text: str, settings: Settings) -> list[list[str | None]]:
    """A chunk's output text back as cells (empty cells as None)."""
    columns = output_columns(settings.tax_ids)
    if settings.output_format == "csv":
        return [
            [cell if cell != "" else None for cell in row] for row in csv.reader(io.StringIO(text))
        ]
    rows = []
    for line in text.splitlines():
        record = json.loads(line)
        rows.append([_blank_none(record.get(name)) for name in columns])
    return rows


def _blank_none(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def frame_meta(catalogs: str | Path | None = None) -> Any:
    """An empty DataFrame with the output columns (text): the ``meta`` of Dask's
    ``map_partitions(price_frame, meta=frame_meta())``."""
    import pandas as pd

    from configurator.catalog.loader import catalog_root

    columns = output_columns(market_tax_ids(catalog_root(catalogs)))
    return pd.DataFrame({name: pd.Series(dtype=object) for name in columns})


def price_frame(
    frame: Any,
    catalogs: str | Path | None = None,
    date: dt.date | str | None = None,
    currency: str | None = None,
    *,
    spreadsheet_safe: bool = True,
) -> Any:
    """Price every row of a pandas DataFrame (or a pyarrow Table) in the batch input's columns;
    return the batch output's columns, one row per input row, on the same index.

    Cells are text (None where ``configurator batch`` writes an empty cell). With
    ``spreadsheet_safe`` (the default) text cells are those of the CSV output (a formula-like
    cell gets a leading ``'``), so ``result.to_csv(index=False)`` is exactly the CLI's CSV;
    without it they are the JSON lines output's values. ``date`` prices rows without their
    own (default today); ``currency`` converts amounts like ``--currency``. A pyarrow Table
    in gives a pyarrow Table out. Raises :class:`~configurator.errors.UsageError` when a
    required column is missing; a row's own problem is its error row, as in the CLI.

    Example::

        priced = price_frame(pd.read_csv("orders.csv", dtype=str, keep_default_na=False),
                             date="2026-03-01")
        ddf.map_partitions(price_frame, date="2026-03-01", meta=frame_meta())
    """
    import pandas as pd

    arrow = type(frame).__module__.startswith("pyarrow")
    if arrow:
        frame = frame.to_pandas()
    settings = frame_settings(catalogs, date, currency, spreadsheet_safe=spreadsheet_safe)
    found = _columns_of(frame.columns, "the frame")
    columns = {name: frame[column].tolist() for name, column in found.items()}
    lines = _lines(frame.index)
    with _LOCK:
        result = _pricer(settings).process(Chunk(first_line=0, items=_items(columns, lines)))
    rows = _output_rows(result.text, settings)
    names = output_columns(settings.tax_ids)
    priced = pd.DataFrame(rows, columns=names, index=frame.index, dtype=object)
    if arrow:
        import pyarrow as pa

        return pa.Table.from_pandas(priced, preserve_index=False)
    return priced


def price_frames(
    frames: Iterable[Any],
    catalogs: str | Path | None = None,
    date: dt.date | str | None = None,
    currency: str | None = None,
    *,
    spreadsheet_safe: bool = True,
) -> Iterator[Any]:
    """:func:`price_frame` over an iterator of DataFrames: Spark's ``mapInPandas`` form,
    ``df.mapInPandas(lambda frames: price_frames(frames, date=...), schema)`` with a schema of
    string columns named by :func:`configurator.batch.output_columns`."""
    for frame in frames:
        yield price_frame(frame, catalogs, date, currency, spreadsheet_safe=spreadsheet_safe)


def _lines(index: Any) -> list[int]:
    """The CSV line of each row: an integer index + 2, else the position + 2."""
    if getattr(index, "dtype", None) is not None and index.dtype.kind in "iu":
        return [int(label) + 2 for label in index]
    return list(range(2, len(index) + 2))


# --- Parquet ----------------------------------------------------------------------------------


def parquet_chunks(source: IO[bytes] | str | Path, name: str) -> Iterator[Chunk]:
    """A Parquet file's rows as chunks of items, read one row group at a time (batches of
    at most :data:`configurator.batch.CHUNK_ROWS` rows); row ``k`` (from 1) is line ``k + 1``."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise UsageError(
            "reading Parquet needs pyarrow: pip install 'configurator[dask]' (or pyarrow)"
        ) from None
    try:
        handle = pq.ParquetFile(source)
    except Exception as error:  # pyarrow raises several kinds for a file that is not Parquet
        raise UsageError(f"{name}: not a readable Parquet file: {error}") from None
    found = _columns_of(handle.schema_arrow.names, name)
    line = 2
    for group in range(handle.num_row_groups):
        table = handle.read_row_group(group, columns=list(found.values()))
        for batch in table.to_batches(max_chunksize=CHUNK_ROWS):
            columns = {key: batch.column(column).to_pylist() for key, column in found.items()}
            items = _items(columns, range(line, line + batch.num_rows))
            line += batch.num_rows
            yield Chunk(first_line=items[0][0] if items else line, items=items, size=0)


class ParquetSink:
    """Where ``configurator batch`` writes Parquet: it is handed the JSON lines output text
    chunk by chunk and writes string columns (amounts as exact decimal text, empty cells as
    null), in row groups of :data:`PARQUET_GROUP_ROWS` rows."""

    def __init__(self, handle: IO[bytes], tax_ids: Iterable[str]) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.columns = output_columns(tax_ids)
        self.schema = pa.schema([(name, pa.string()) for name in self.columns])
        self.writer = pq.ParquetWriter(handle, self.schema)
        self.pending: list[list[str | None]] = []

    def write(self, text: str) -> int:
        for line in text.splitlines():
            record = json.loads(line)
            self.pending.append([_blank_none(record.get(name)) for name in self.columns])
        if len(self.pending) >= PARQUET_GROUP_ROWS:
            self._flush()
        return len(text)

    def _flush(self) -> None:
        import pyarrow as pa

        if not self.pending:
            return
        cells = list(zip(*self.pending, strict=True))
        arrays = [pa.array(list(column), type=pa.string()) for column in cells]
        self.writer.write_table(pa.Table.from_arrays(arrays, schema=self.schema))
        self.pending = []

    def close(self) -> None:
        """Write what is left and the file's footer."""
        self._flush()
        self.writer.close()
