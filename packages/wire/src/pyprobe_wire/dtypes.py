"""The numeric dtypes the wire carries, always as little-endian standard types.

Public so the tracer can convert arrays to exactly these before sending (its
classifier builds its conversion table from ``WIRE_DTYPES``). Importing this
module imports numpy; ``import pyprobe_wire`` alone does not.
"""

from __future__ import annotations

import numpy as np

WIRE_DTYPES: dict[str, np.dtype] = {
    code: np.dtype(code)
    for code in (
        "|b1",
        "|i1",
        "<i2",
        "<i4",
        "<i8",
        "|u1",
        "<u2",
        "<u4",
        "<u8",
        "<f2",
        "<f4",
        "<f8",
        "<c8",
        "<c16",
    )
}


def wire_dtype(dtype: np.dtype) -> np.dtype | None:
    """The wire form of ``dtype`` (same type, little-endian), or None if unsupported."""
    if dtype.kind not in "biufc":
        return None
    return WIRE_DTYPES.get(dtype.newbyteorder("<").str)
