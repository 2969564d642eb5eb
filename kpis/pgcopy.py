"""Fixed-width rows in and out of PostgreSQL by binary COPY, straight from and into NumPy arrays.

A refresh moves hundreds of thousands of rows between the database and NumPy; row by row, Python
would spend seconds building and parsing tuples. In PostgreSQL's binary COPY format every row of
fixed-width columns (integers, floats, booleans, dates, never NULL) has the same layout, so a whole
table is one structured array: ``tobytes()`` to send it, ``frombuffer`` to read it.
Nulls travel as NaN (floats) or 0 codes; the SQL on either side turns them into NULL.
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


def copy_out(cursor, query: str, params, columns: list[tuple[str, str]]) -> np.ndarray:
    """The rows of ``query`` (whose columns have exactly these types, never NULL) as a structured array."""
    data = bytearray()
    with cursor.copy(f"COPY ({query}) TO STDOUT (FORMAT BINARY)", params) as copy:
        for chunk in copy:
            data += chunk
    return np.frombuffer(bytes(data[len(HEADER) : -len(TRAILER)]), dtype=_row_dtype(columns))
