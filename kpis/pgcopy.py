"""Fixed-width rows in and out of PostgreSQL in binary, straight from and into NumPy arrays.

A refresh moves hundreds of thousands of rows between the database and NumPy; row by row, Python
would spend seconds building and parsing tuples. In PostgreSQL's binary formats every value of a
fixed-width type (integers, floats, booleans, dates, never NULL) has the same layout, so a whole
column or table is one structured array: rows go in as one binary COPY buffer, columns come out
as binary arrays (``array_send``). Nulls travel as NaN (floats) or 0 codes; the SQL on either side
turns them into NULL.
"""

from __future__ import annotations

import struct
from datetime import date

import numpy as np

HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
TRAILER = struct.pack(">h", -1)
WIDTH = {"int2": ">i2", "int4": ">i4", "int8": ">i8", "float8": ">f8", "bool": "?", "date": ">i4"}
EPOCH = date(2000, 1, 1)  # binary dates count days from here


def _row_dtype(columns: list[tuple[str, str]]) -> np.dtype:
    fields = [("_count", ">i2")]
    for name, kind in columns:
        fields += [(f"_len_{name}", ">i4"), (name, WIDTH[kind])]
    return np.dtype(fields)


def days(values) -> np.ndarray:
    """Dates as binary COPY day numbers."""
    return np.array([(d - EPOCH).days for d in values], dtype=np.int32)


def copy_in(cursor, table: str, columns: list[tuple[str, str]], arrays: dict[str, np.ndarray]) -> None:
    """Append the rows ``arrays`` (column name → equal-length array) to ``table``."""
    dtype = _row_dtype(columns)
    rows = np.zeros(len(arrays[columns[0][0]]), dtype=dtype)
    rows["_count"] = len(columns)
    for name, kind in columns:
        rows[f"_len_{name}"] = np.dtype(WIDTH[kind]).itemsize
        rows[name] = arrays[name]
    names = ", ".join(name for name, _kind in columns)
    with cursor.copy(f"COPY {table} ({names}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.write(HEADER + rows.tobytes() + TRAILER)


ARRAY_HEADER = 20  # array_send of a 1-D array: ndim, flags, element type, length, lower bound


def fetch_columns(cursor, query: str, params, columns: list[tuple[str, str]]) -> dict[str, np.ndarray]:
    """The columns of ``query`` (exactly these types, never NULL) as arrays, in one round trip: each
    column comes back as a single ``array_send(array_agg(…))`` value, parsed by NumPy (no Python
    object per row, no message per row)."""
    aggregates = ", ".join(f"array_send(array_agg(q.{name}))" for name, _kind in columns)
    cursor.execute(f"SELECT {aggregates} FROM ({query}) q", params)
    packed = cursor.fetchone()
    result = {}
    for (name, kind), data in zip(columns, packed, strict=True):
        if data is None:  # no rows
            result[name] = np.array([], dtype=WIDTH[kind])
            continue
        element = np.dtype([("length", ">i4"), ("value", WIDTH[kind])])
        result[name] = np.frombuffer(bytes(data)[ARRAY_HEADER:], dtype=element)["value"]
    return result
