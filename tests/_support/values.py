"""Exact comparison of decoded payloads: same types, same bits (nan included)."""

from __future__ import annotations

import math

import numpy as np


def assert_same(got, expected):
    """Exact equality that also checks types, float bits (nan aside) and array bytes."""
    assert type(got) is type(expected), (type(got), type(expected))
    if isinstance(expected, np.ndarray):
        wire_dtype = expected.dtype.newbyteorder("<")
        assert got.dtype.str == wire_dtype.str
        assert got.shape == expected.shape
        assert got.tobytes() == np.ascontiguousarray(expected, dtype=wire_dtype).tobytes()
    elif isinstance(expected, np.generic):
        if np.isnan(expected):
            assert np.isnan(got)
        else:
            assert got.tobytes() == expected.tobytes()
    elif isinstance(expected, float):
        assert float_bits(got) == float_bits(expected)
    elif isinstance(expected, complex):
        assert float_bits(got.real) == float_bits(expected.real)
        assert float_bits(got.imag) == float_bits(expected.imag)
    elif isinstance(expected, (list, tuple)):
        assert len(got) == len(expected)
        for g, e in zip(got, expected, strict=True):
            assert_same(g, e)
    elif isinstance(expected, dict):
        assert list(got) == list(expected)
        for key in expected:
            assert_same(got[key], expected[key])
    else:
        assert got == expected


def float_bits(x: float) -> str:
    return "nan" if math.isnan(x) else x.hex()
