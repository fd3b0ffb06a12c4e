"""What kind of data a captured value is (classify_data) and its sendable copy (snapshot).

The two seed tests (a float is a scalar, a complex 1-D array is array_complex) live in
test_tracer_engine.py; these cover every class, what must never be evaluated, and
that snapshots are independent of the script and always encodable.
"""

from __future__ import annotations

import collections
import dataclasses
import enum
import functools
import math
import sys
import threading
import time
import typing
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from pyprobe_tracer.engine import data_classifier
from pyprobe_tracer.engine.data_classifier import DTYPES, classify_data, snapshot
from pyprobe_wire import Message, MessageType, ProbeAnchor, decode_message, encode_message
from tests._support.values import assert_same

ANCHOR = ProbeAnchor(file="/tmp/dsp/filter.py", line=3, col=0, symbol="x")


def roundtrip(value, dtype, shape):
    """The snapshot of ``value`` after a trip through a DATA_PROBE_VALUE frame."""
    payload = {
        "anchor": ANCHOR,
        "value": snapshot(value, dtype),
        "dtype": dtype,
        "shape": None if shape is None else list(shape),
    }
    decoded = decode_message(encode_message(Message(MessageType.DATA_PROBE_VALUE, payload)))
    assert_same(decoded.payload, payload)
    return decoded.payload["value"]


class Touched(AssertionError):
    """Raised by anything the classifier must never evaluate."""


def trap(name):
    def getter(self):
        raise Touched(f"{type(self).__name__}.{name} was evaluated")

    return property(getter)


def make_class(name, attributes, *, base=object, namespace=None):
    """A class whose __init__ stores ``attributes`` as plain instance attributes."""

    def __init__(self, **values):
        for key, value in values.items():
            setattr(self, key, value)

    body = {"__init__": __init__, **(namespace or {})}
    cls = type(name, (base,), body)
    return lambda **overrides: cls(**{**attributes, **overrides})


class Wave:
    """The common spelling: plain instance attributes."""

    def __init__(self, samples, t0=0.0, dt=1e-3):
        self.samples = samples
        self.t0 = t0
        self.dt = dt


# -- scalars ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", [0, -3, 2**100, 1.5, -0.0, math.nan, math.inf, 1 + 2j, True, False]
)
def test_python_scalars_are_scalars(value):
    assert classify_data(value) == ("scalar", None)


NUMPY_SCALAR_TYPES = [
    np.bool_,
    np.int8,
    np.int16,
    np.int32,
    np.int64,
    np.uint8,
    np.uint16,
    np.uint32,
    np.uint64,
    np.float16,
    np.float32,
    np.float64,
    np.longdouble,
    np.complex64,
    np.complex128,
    np.clongdouble,
]


@pytest.mark.parametrize("scalar_type", NUMPY_SCALAR_TYPES, ids=lambda t: t.__name__)
def test_numpy_scalars_are_scalars(scalar_type):
    value = scalar_type(1)
    assert classify_data(value) == ("scalar", None)
    assert roundtrip(value, "scalar", None) == value


@pytest.mark.parametrize("value", [np.float32(0.5), np.int16(-7), np.complex64(1 - 2j)])
def test_numpy_scalar_snapshot_keeps_its_wire_dtype(value):
    assert classify_data(value) == ("scalar", None)
    snap = snapshot(value, "scalar")
    assert type(snap) is type(value)
    assert snap == value


@pytest.mark.parametrize(
    ("value", "expected"),
    [(np.longdouble(0.25), 0.25), (np.clongdouble(0.5 - 1.5j), 0.5 - 1.5j)],
    ids=["longdouble", "clongdouble"],
)
def test_extended_precision_scalars_snapshot_as_python_numbers(value, expected):
    snap = snapshot(value, "scalar")
    assert type(snap) is type(expected)
    assert snap == expected


def test_bool_stays_bool():
    assert classify_data(True) == ("scalar", None)
    assert snapshot(True, "scalar") is True
    assert type(snapshot(np.bool_(False), "scalar")) is np.bool_


@pytest.mark.parametrize(
    "value",
    [np.array(3.0), np.array(1 + 1j), np.array(True), np.array(5, dtype=">i4")],
    ids=["float", "complex", "bool", "big-endian-int"],
)
def test_zero_d_numeric_arrays_are_scalars(value):
    assert classify_data(value) == ("scalar", None)
    expected = value[()]
    snap = roundtrip(value, "scalar", None)
    value[()] = 0
    assert snap == expected
    assert isinstance(snap, np.generic)


@pytest.mark.parametrize(
    "value",
    [
        np.array("text"),
        np.array(None, dtype=object),
        np.array(np.datetime64("2024-01-01")),
        np.str_("text"),
        np.bytes_(b"raw"),
        np.datetime64("2024-01-01"),
        np.timedelta64(5, "s"),
    ],
    ids=["0d-str", "0d-object", "0d-datetime", "str_", "bytes_", "datetime64", "timedelta64"],
)
def test_non_numeric_numpy_values_are_unknown(value):
    assert classify_data(value) == ("unknown", None)
    roundtrip(value, "unknown", None)


class Level(enum.IntEnum):
    HIGH = 3


def test_scalar_subclasses_snapshot_as_plain_numbers_without_user_code():
    class Volts(float):
        def __float__(self):
            raise Touched("__float__")

        def __repr__(self):
            raise Touched("__repr__")

    class Cplx(complex):
        def __complex__(self):
            raise Touched("__complex__")

    for value, plain in [(Volts(1.5), 1.5), (Level.HIGH, 3), (Cplx(1, 2), 1 + 2j)]:
        assert classify_data(value) == ("scalar", None)
        snap = roundtrip(value, "scalar", None)
        assert type(snap) is type(plain)
        assert snap == plain


def test_huge_int_snapshot_is_still_encodable():
    value = 10**5000
    assert classify_data(value) == ("scalar", None)
    assert roundtrip(value, "scalar", None) == math.inf
    assert roundtrip(-value, "scalar", None) == -math.inf
    assert roundtrip(2**70, "scalar", None) == 2**70


# -- arrays ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        np.arange(5.0),
        np.arange(4, dtype=np.int8),
        np.arange(4, dtype=np.uint16),
        np.ones(3, dtype=np.float16),
        np.ones(3, dtype=np.float32),
        np.array([True, False]),
        np.arange(3, dtype=">f8"),
        np.ones(3, dtype=np.longdouble),
        np.arange(10.0)[::3],
        np.zeros(0),
    ],
    ids=["f8", "i1", "u2", "f2", "f4", "bool", ">f8", "longdouble", "strided", "empty"],
)
def test_real_1d_arrays(value):
    assert classify_data(value) == ("array_1d", value.shape)
    np.testing.assert_array_equal(roundtrip(value, "array_1d", value.shape), value)


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128, ">c16", np.clongdouble], ids=str)
def test_complex_1d_arrays(dtype):
    value = np.array([1 + 2j, -3j, 0.5], dtype=dtype)
    assert classify_data(value) == ("array_complex", (3,))
    np.testing.assert_array_equal(roundtrip(value, "array_complex", (3,)), value)


@pytest.mark.parametrize(
    "value",
    [
        np.arange(12.0).reshape(3, 4),
        np.asfortranarray(np.arange(6).reshape(2, 3)),
        (np.arange(10) * 1j).reshape(2, 5),
        np.zeros((0, 7)),
    ],
    ids=["real", "fortran", "complex", "no-rows"],
)
def test_2d_arrays_are_array_2d_real_or_complex(value):
    assert classify_data(value) == ("array_2d", value.shape)
    snap = roundtrip(value, "array_2d", value.shape)
    assert snap.dtype.kind == value.dtype.kind
    np.testing.assert_array_equal(snap, value)


def test_arrays_of_more_dimensions_are_array_nd():
    value = np.arange(24.0).reshape(2, 3, 4)
    assert classify_data(value) == ("array_nd", (2, 3, 4))
    np.testing.assert_array_equal(roundtrip(value, "array_nd", value.shape), value)


@pytest.mark.parametrize(
    "value",
    [
        np.array([1, "a"], dtype=object),
        np.array(["a", "bc"]),
        np.array([b"a"]),
        np.zeros(2, dtype=[("x", "f8"), ("y", "i4")]),
        np.array(["2024-01-01"], dtype="datetime64[D]"),
        np.zeros((2, 2), dtype=object),
    ],
    ids=["object", "unicode", "bytes", "structured", "datetime", "object-2d"],
)
def test_non_numeric_arrays_are_unknown(value):
    assert classify_data(value) == ("unknown", None)
    description = roundtrip(value, "unknown", None)
    assert description["type"] == "numpy.ndarray"
    assert str(value.shape) in description["repr"]


def matrix(data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        return np.asmatrix(data)


class Calibrated(np.ndarray):
    """An ndarray subclass whose own attribute overrides must not run."""

    shape = trap("shape")
    dtype = trap("dtype")
    ndim = trap("ndim")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (np.arange(4.0).view(Calibrated), ("array_1d", (4,))),
        (np.ma.masked_array([1.0, 2.0, 3.0], mask=[0, 1, 0]), ("array_1d", (3,))),
        (matrix(np.arange(6.0).reshape(2, 3)), ("array_2d", (2, 3))),
        ((np.arange(3) * 1j).view(Calibrated), ("array_complex", (3,))),
    ],
    ids=["user-subclass", "masked", "matrix", "complex-subclass"],
)
def test_ndarray_subclasses_classify_as_arrays_and_snapshot_as_plain_ndarrays(value, expected):
    assert classify_data(value) == expected
    snap = snapshot(value, expected[0])
    assert type(snap) is np.ndarray
    assert snap.shape == expected[1]
    np.testing.assert_array_equal(snap, np.asarray(value).view(np.ndarray))
    roundtrip(value, *expected)


def test_arrays_beyond_the_wire_dimension_limit_are_unknown():
    try:
        value = np.zeros((1,) * 33)
    except ValueError:
        pytest.skip("this numpy allows at most 32 dimensions")
    assert classify_data(value) == ("unknown", None)
    roundtrip(value, "unknown", None)


# -- collections of arrays -----------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        [np.arange(3.0), np.arange(5.0)],
        (np.arange(3.0), np.ones(3, dtype=np.complex64)),
        [np.arange(2)],
        [np.arange(4.0)[::2], np.zeros(0), np.ones(1, dtype=">i2")],
    ],
    ids=["ragged-list", "mixed-tuple", "single", "views-and-empty"],
)
def test_lists_and_tuples_of_1d_arrays_are_collections(value):
    assert classify_data(value) == ("array_collection", (len(value),))
    snap = roundtrip(value, "array_collection", (len(value),))
    assert type(snap) is list
    for got, want in zip(snap, value, strict=True):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize(
    "value",
    [
        [],
        (),
        [1.0, 2.0],
        [np.arange(3.0), 1.0],
        [np.zeros((2, 2))],
        [np.arange(3.0), np.array(["a"])],
        [[np.arange(3.0)]],
        [np.array(1.0)],
    ],
    ids=[
        "empty-list",
        "empty-tuple",
        "floats",
        "array-and-float",
        "2d",
        "str-array",
        "nested",
        "0d",
    ],
)
def test_other_lists_are_unknown(value):
    assert classify_data(value) == ("unknown", None)
    assert set(roundtrip(value, "unknown", None)) == {"type", "repr"}


def test_list_subclass_is_read_without_its_overrides():
    class Traces(list):
        def __iter__(self):
            raise Touched("__iter__")

        def __len__(self):
            raise Touched("__len__")

        def __getitem__(self, index):
            raise Touched("__getitem__")

    value = Traces([np.arange(3.0), np.arange(2.0)])
    assert classify_data(value) == ("array_collection", (2,))
    snap = snapshot(value, "array_collection")
    assert type(snap) is list
    assert [a.tolist() for a in snap] == [[0.0, 1.0, 2.0], [0.0, 1.0]]


# -- waveforms ---------------------------------------------------------------------


SAMPLE_NAMES = ["samples", "data", "x", "y", "values"]
T0_NAMES = ["t0", "t_start", "start_time"]
SPACINGS = [
    ("dt", 0.5, 0.5),
    ("sample_interval", 0.25, 0.25),
    ("ts", 2.0, 2.0),
    ("fs", 4.0, 0.25),
    ("sample_rate", 8, 0.125),
    ("sampling_rate", 1000.0, 0.001),
]


@pytest.mark.parametrize("samples_name", SAMPLE_NAMES)
@pytest.mark.parametrize("t0_name", T0_NAMES)
@pytest.mark.parametrize(("spacing_name", "spacing", "dt"), SPACINGS, ids=[s[0] for s in SPACINGS])
def test_waveform_spellings(samples_name, t0_name, spacing_name, spacing, dt):
    samples = np.arange(6.0)
    make = make_class(
        "Spelled", {samples_name: samples, t0_name: np.float32(1.5), spacing_name: spacing}
    )
    value = make()
    assert classify_data(value) == ("waveform_real", (6,))
    snap = roundtrip(value, "waveform_real", (6,))
    assert set(snap) == {"samples", "t0", "dt"}
    np.testing.assert_array_equal(snap["samples"], samples)
    assert type(snap["t0"]) is float and snap["t0"] == 1.5
    assert type(snap["dt"]) is float and snap["dt"] == pytest.approx(dt)


def test_complex_waveform():
    value = Wave(np.exp(1j * np.arange(8)), t0=2, dt=np.float64(1e-6))
    assert classify_data(value) == ("waveform_complex", (8,))
    snap = roundtrip(value, "waveform_complex", (8,))
    assert snap["samples"].dtype == np.complex128
    assert (snap["t0"], snap["dt"]) == (2.0, 1e-6)


@dataclasses.dataclass(frozen=True)
class FrozenWave:
    data: np.ndarray
    t_start: float
    fs: float


class SlottedWave:
    __slots__ = ("dt", "samples", "t0")

    def __init__(self, samples, t0, dt):
        self.samples, self.t0, self.dt = samples, t0, dt


class SlottedChild(SlottedWave):
    __slots__ = ("label",)


TupleWave = collections.namedtuple("TupleWave", "samples t0 dt")


class TypedWave(typing.NamedTuple):
    y: np.ndarray
    start_time: float
    sample_rate: float


class Declared:
    """Timing as class-level defaults, samples per instance."""

    t0 = 0.0
    dt = 0.125

    def __init__(self, samples):
        self.samples = samples


@pytest.mark.parametrize(
    "make",
    [
        lambda s: FrozenWave(s, 0.0, 8.0),
        lambda s: SlottedWave(s, 0.0, 0.125),
        lambda s: SlottedChild(s, 0.0, 0.125),
        lambda s: TupleWave(s, 0.0, 0.125),
        lambda s: TypedWave(s, 0.0, 8),
        lambda s: Declared(s),
    ],
    ids=[
        "frozen-dataclass",
        "slots",
        "slots-subclass",
        "namedtuple",
        "NamedTuple",
        "class-defaults",
    ],
)
def test_waveform_kinds_of_classes(make):
    value = make(np.arange(4.0))
    assert classify_data(value) == ("waveform_real", (4,))
    snap = roundtrip(value, "waveform_real", (4,))
    assert (snap["t0"], snap["dt"]) == (0.0, 0.125)


def test_unset_slot_is_not_a_waveform():
    value = SlottedWave.__new__(SlottedWave)
    value.samples, value.t0 = np.arange(3.0), 0.0
    assert classify_data(value) == ("unknown", None)
    value.dt = 0.5
    assert classify_data(value) == ("waveform_real", (3,))


@pytest.mark.parametrize(
    "overrides",
    [
        {"samples": [1.0, 2.0]},
        {"samples": np.zeros((2, 3))},
        {"samples": np.array(["a", "b"])},
        {"samples": np.array(1.0)},
        {"t0": "start"},
        {"t0": 1j},
        {"t0": True},
        {"t0": math.nan},
        {"dt": 0.0},
        {"dt": -1e-3},
        {"dt": math.inf},
        {"dt": None},
    ],
    ids=lambda o: "-".join(f"{k}={v!r}"[:20] for k, v in o.items()),
)
def test_objects_that_only_look_like_waveforms_are_unknown(overrides):
    fields = {"samples": np.arange(3.0), "t0": 0.0, "dt": 1e-3}
    assert classify_data(Wave(**fields)) == ("waveform_real", (3,))
    value = Wave(**{**fields, **overrides})
    assert classify_data(value) == ("unknown", None)
    assert roundtrip(value, "unknown", None)["type"].endswith("Wave")


def test_zero_sample_rate_is_not_a_waveform():
    make = make_class("Rated", {"samples": np.arange(3.0), "t0": 0.0, "fs": 0})
    assert classify_data(make()) == ("unknown", None)
    assert classify_data(make(fs=1)) == ("waveform_real", (3,))


def test_missing_timing_is_not_a_waveform():
    complete = {"samples": np.arange(3.0), "t0": 0.0, "dt": 1.0}
    assert classify_data(make_class("Complete", complete)()) == ("waveform_real", (3,))
    assert classify_data(make_class("NoDt", {"samples": np.arange(3.0), "t0": 0.0})()) == (
        "unknown",
        None,
    )
    assert classify_data(make_class("NoT0", {"samples": np.arange(3.0), "dt": 1.0})()) == (
        "unknown",
        None,
    )


class Booby:
    """Every way of reading this object runs code that fails; the plain data is valid."""

    def __init__(self):
        self.samples = np.arange(4.0)
        self.t0 = 0.0
        self.dt = 0.5

    def __getattribute__(self, name):
        raise Touched(f"__getattribute__({name!r})")

    def __getattr__(self, name):
        raise Touched(f"__getattr__({name!r})")

    def __repr__(self):
        raise Touched("__repr__")

    def __eq__(self, other):
        raise Touched("__eq__")

    def __hash__(self):
        raise Touched("__hash__")

    def __len__(self):
        raise Touched("__len__")

    def __bool__(self):
        raise Touched("__bool__")

    __class__ = trap("__class__")


def test_waveform_is_read_without_any_user_code():
    value = Booby()
    assert classify_data(value) == ("waveform_real", (4,))
    snap = roundtrip(value, "waveform_real", (4,))
    assert snap["samples"].tolist() == [0.0, 1.0, 2.0, 3.0]


def test_properties_are_never_evaluated():
    class Lazy:
        samples = trap("samples")
        t0 = trap("t0")
        dt = trap("dt")
        fs = trap("fs")

    assert classify_data(Lazy()) == ("unknown", None)
    description = roundtrip(Lazy(), "unknown", None)
    assert description["type"].endswith("Lazy")


def test_a_property_is_skipped_for_the_next_plain_spelling():
    class Mixed:
        samples = trap("samples")  # a property shadows any instance value
        fs = trap("fs")

        def __init__(self):
            self.data = np.arange(3.0)
            self.t0 = 1.0
            self.dt = 0.5

    value = Mixed()
    assert classify_data(value) == ("waveform_real", (3,))
    snap = snapshot(value, "waveform_real")
    assert snap["samples"].tolist() == [0.0, 1.0, 2.0]
    assert (snap["t0"], snap["dt"]) == (1.0, 0.5)


def test_cached_property_counts_only_once_the_script_computed_it():
    calls = []

    class Signal:
        def __init__(self):
            self.t0, self.dt = 0.0, 1.0

        @functools.cached_property
        def samples(self):
            calls.append("samples")
            return np.arange(3.0)

    value = Signal()
    assert classify_data(value) == ("unknown", None)
    assert calls == []
    value.samples  # noqa: B018 - the script evaluates it itself
    assert classify_data(value) == ("waveform_real", (3,))
    assert snapshot(value, "waveform_real")["samples"].tolist() == [0.0, 1.0, 2.0]
    assert calls == ["samples"]


def test_waveform_subclass_and_class_level_traps_on_subclass():
    class Child(Wave):
        dt = trap("dt")  # the subclass turns dt into a property: no longer readable

    class Plain(Wave):
        pass

    assert classify_data(Plain(np.arange(2.0))) == ("waveform_real", (2,))
    child = Child.__new__(Child)
    child.__dict__.update(samples=np.arange(2.0), t0=0.0, dt=1.0)  # shadowed by the property
    assert classify_data(child) == ("unknown", None)
    assert snapshot(child, "unknown")["type"].endswith("Child")


def test_objects_without_a_readable_instance_dict_are_unknown():
    class Hidden:
        __dict__ = trap("__dict__")

        def __init__(self):
            self.samples, self.t0, self.dt = np.arange(2.0), 0.0, 1.0

    class Empty:
        __slots__ = ()

    assert classify_data(Hidden()) == ("unknown", None)
    assert classify_data(Empty()) == ("unknown", None)
    assert roundtrip(Hidden(), "unknown", None)["type"].endswith("Hidden")


def test_mocks_are_unknown_and_grow_no_attributes():
    from unittest import mock

    for value in (mock.Mock(), mock.MagicMock()):
        assert classify_data(value) == ("unknown", None)
        roundtrip(value, "unknown", None)
        assert value.mock_calls == []
        assert not {"samples", "t0", "dt", "waveforms"} & set(value._mock_children)


# -- collections of waveforms ----------------------------------------------------


def test_lists_of_waveforms_are_waveform_collections():
    value = [
        Wave(np.arange(3.0)),
        SlottedWave(np.ones(5, complex), 1.0, 0.5),
        TupleWave(np.zeros(1), 2.0, 0.25),
    ]
    assert classify_data(value) == ("waveform_collection", (3,))
    assert classify_data(tuple(value)) == ("waveform_collection", (3,))
    snap = roundtrip(value, "waveform_collection", (3,))
    assert [w["samples"].shape for w in snap] == [(3,), (5,), (1,)]
    assert [(w["t0"], w["dt"]) for w in snap] == [(0.0, 1e-3), (1.0, 0.5), (2.0, 0.25)]


@pytest.mark.parametrize("name", ["waveforms", "traces", "channels"])
def test_objects_holding_waveforms_are_waveform_collections(name):
    make = make_class("Scope", {name: [Wave(np.arange(3.0)), Wave(np.arange(4.0) * 1j)]})
    value = make()
    assert classify_data(value) == ("waveform_collection", (2,))
    snap = roundtrip(value, "waveform_collection", (2,))
    assert [w["samples"].dtype.kind for w in snap] == ["f", "c"]


def test_waveform_holders_are_not_evaluated_or_misread():
    class Scope:
        waveforms = trap("waveforms")

    assert classify_data(Scope()) == ("unknown", None)
    assert classify_data(make_class("Full", {"traces": [Wave(np.arange(2.0))]})()) == (
        "waveform_collection",
        (1,),
    )
    assert classify_data(make_class("Empty", {"traces": []})()) == ("unknown", None)
    assert classify_data(make_class("Arrays", {"traces": [np.arange(2.0)]})()) == (
        "unknown",
        None,
    )


def test_mixed_lists_are_unknown():
    assert classify_data([Wave(np.arange(3.0))]) == ("waveform_collection", (1,))
    assert classify_data([Wave(np.arange(3.0)), np.arange(3.0)]) == ("unknown", None)
    assert classify_data([np.arange(3.0), Wave(np.arange(3.0))]) == ("unknown", None)
    assert classify_data([Wave(np.arange(3.0)), "x"]) == ("unknown", None)


# -- unknown -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        None,
        "text",
        b"raw",
        bytearray(b"x"),
        {"a": 1},
        {1, 2},
        object(),
        len,
        sys,
        int,
        range(3),
        Ellipsis,
        {"samples": np.arange(3.0), "t0": 0.0, "dt": 1.0},
    ],
    ids=lambda v: type(v).__name__,
)
def test_everything_else_is_unknown(value):
    assert classify_data(value) == ("unknown", None)
    description = roundtrip(value, "unknown", None)
    assert set(description) == {"type", "repr"}
    assert len(description["repr"]) <= data_classifier.REPR_LIMIT


def test_functions_and_modules_with_waveform_attributes_are_unknown():
    def f():
        pass

    f.samples, f.t0, f.dt = np.arange(3.0), 0.0, 1.0
    assert classify_data(f) == ("unknown", None)
    assert roundtrip(f, "unknown", None)["type"] == "function"


def test_unknown_builtin_values_are_described_by_a_short_repr():
    assert snapshot("text", "unknown") == {"type": "str", "repr": "'text'"}
    assert snapshot(None, "unknown") == {"type": "NoneType", "repr": "None"}
    assert snapshot({"a": [1, 2.5]}, "unknown") == {"type": "dict", "repr": "{'a': [1, 2.5]}"}
    long_text = snapshot("x" * 100_000, "unknown")["repr"]
    assert len(long_text) <= data_classifier.REPR_LIMIT
    assert long_text.startswith("'xxx") and long_text.endswith("...")


def test_unknown_repr_is_bounded_for_huge_and_cyclic_containers():
    big = list(range(10**6))
    started = time.perf_counter()
    text = snapshot(big, "unknown")["repr"]
    assert time.perf_counter() - started < 0.05  # coarse: never repr the whole list
    assert text.startswith("[0, 1, 2") and len(text) <= data_classifier.REPR_LIMIT
    cyclic = [1]
    cyclic.append(cyclic)
    assert len(snapshot(cyclic, "unknown")["repr"]) <= data_classifier.REPR_LIMIT
    assert snapshot(10**5000, "unknown")["repr"].startswith("<int")


def test_user_reprs_are_never_called():
    class Secret:
        def __repr__(self):
            raise Touched("__repr__")

        __str__ = __format__ = __repr__

    class Text(str):
        def __repr__(self):
            raise Touched("__repr__")

    for value in [Secret(), Text("t"), [1, Secret()], {"k": Secret()}, (Text("t"),)]:
        assert classify_data(value) == ("unknown", None)
        description = roundtrip(value, "unknown", None)
        assert "Secret" in description["repr"] or "Text" in description["repr"]
    assert snapshot(Secret(), "unknown")["type"].endswith(
        "test_user_reprs_are_never_called.<locals>.Secret"
    )


# -- snapshots --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "dtype"),
    [
        (np.arange(6.0), "array_1d"),
        (np.arange(6.0) * 1j, "array_complex"),
        (np.arange(6.0).reshape(2, 3), "array_2d"),
        (np.arange(8.0).reshape(2, 2, 2), "array_nd"),
    ],
)
def test_array_snapshot_is_an_independent_contiguous_copy(value, dtype):
    assert classify_data(value)[0] == dtype
    expected = value.copy()
    snap = snapshot(value, dtype)
    value[...] = -1
    np.testing.assert_array_equal(snap, expected)
    assert type(snap) is np.ndarray
    assert snap.flags.c_contiguous and snap.flags.owndata and snap.flags.writeable


def test_snapshot_of_views_is_contiguous_and_little_endian():
    base = np.arange(20, dtype=">f8").reshape(4, 5)
    for view in (base[:, ::2], base.T, base[1]):
        snap = snapshot(view, classify_data(view)[0])
        assert snap.flags.c_contiguous and snap.dtype.str == "<f8"
        np.testing.assert_array_equal(snap, view)
        assert not np.shares_memory(snap, base)


def test_extended_precision_arrays_snapshot_to_the_nearest_wire_dtype():
    assert snapshot(np.ones(2, np.longdouble), "array_1d").dtype == np.float64
    assert snapshot(np.ones(2, np.clongdouble), "array_complex").dtype == np.complex128


def test_collection_snapshot_is_independent_of_the_list_and_its_arrays():
    first, second = np.arange(3.0), np.arange(2.0)
    value = [first, second]
    snap = snapshot(value, "array_collection")
    first[:] = 9
    value.append(np.zeros(4))
    value[1] = np.ones(1)
    assert [a.tolist() for a in snap] == [[0.0, 1.0, 2.0], [0.0, 1.0]]


def test_waveform_snapshot_is_independent_of_later_changes():
    value = Wave(np.arange(3.0), t0=1.0, dt=0.5)
    snap = snapshot(value, "waveform_real")
    value.samples[:] = 7
    value.t0 = 99.0
    value.samples = np.zeros(10)
    assert snap["samples"].tolist() == [0.0, 1.0, 2.0]
    assert (snap["t0"], snap["dt"]) == (1.0, 0.5)


def test_waveform_collection_snapshot_is_independent():
    waves = [Wave(np.arange(2.0)), Wave(np.arange(3.0))]
    snap = snapshot(waves, "waveform_collection")
    waves[0].samples[:] = 5
    waves.pop()
    assert [w["samples"].tolist() for w in snap] == [[0.0, 1.0], [0.0, 1.0, 2.0]]


def test_snapshot_of_a_value_that_no_longer_fits_its_dtype_is_a_description():
    value = Wave(np.arange(3.0))
    assert classify_data(value)[0] == "waveform_real"
    value.samples = "gone"  # changed by another thread between classify and snapshot
    assert snapshot(value, "waveform_real") == {
        "type": f"{__name__}.Wave",
        "repr": f"<{__name__}.Wave object>",
    }
    assert snapshot([1.0], "array_collection")["type"] == "list"


def test_snapshot_refuses_a_dtype_it_does_not_know():
    with pytest.raises(ValueError, match=r"unknown dtype 'array1d'.*array_1d"):
        snapshot(np.arange(3.0), "array1d")


def test_dtypes_lists_every_class():
    assert set(DTYPES) == {
        "scalar",
        "array_1d",
        "array_complex",
        "array_2d",
        "array_nd",
        "array_collection",
        "waveform_real",
        "waveform_complex",
        "waveform_collection",
        "unknown",
    }


# -- the per-type cache -----------------------------------------------------------


def test_per_type_cache_is_built_once_per_type_under_contention(monkeypatch):
    builds = collections.Counter()
    real_build = data_classifier._build_plan

    def slow_build(kind):
        builds[kind] += 1
        time.sleep(0.002)  # widen the window in which threads could race
        return real_build(kind)

    monkeypatch.setattr(data_classifier, "_build_plan", slow_build)
    spellings = [("samples", "t0", "dt"), ("data", "t_start", "fs"), ("y", "start_time", "ts")]
    makers = []
    for i in range(12):
        samples, t0, dt = spellings[i % 3]
        attrs = {samples: np.arange(i + 1.0), t0: 0.0, dt: 2.0}
        if i % 4 == 3:
            attrs.pop(t0)  # not a waveform
        makers.append((make_class(f"Kind{i}", attrs), i % 4 != 3, i + 1))
    barrier = threading.Barrier(16)
    errors = []

    def worker():
        try:
            barrier.wait()
            for _ in range(50):
                for make, is_wave, n in makers:
                    expected = ("waveform_real", (n,)) if is_wave else ("unknown", None)
                    assert classify_data(make()) == expected
        except BaseException as error:  # reported below, with the thread's traceback
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(builds) == 12
    assert set(builds.values()) == {1}


def test_per_type_cache_is_bounded(monkeypatch):
    monkeypatch.setattr(data_classifier, "MAX_CACHED_TYPES", 8)
    for i in range(40):
        value = make_class(f"Many{i}", {"samples": np.arange(2.0), "t0": 0.0, "dt": 1.0})()
        assert classify_data(value) == ("waveform_real", (2,))
        assert data_classifier.cached_type_count() <= 8
    assert classify_data(1.5) == ("scalar", None)


# -- properties ------------------------------------------------------------------

ANY_DTYPE = st.one_of(
    hnp.boolean_dtypes(),
    hnp.integer_dtypes(endianness="?"),
    hnp.unsigned_integer_dtypes(endianness="?"),
    hnp.floating_dtypes(endianness="?"),
    hnp.complex_number_dtypes(endianness="?"),
    st.just(np.dtype(np.longdouble)),
    st.just(np.dtype(np.clongdouble)),
)
NON_NUMERIC_DTYPE = st.one_of(
    hnp.unicode_string_dtypes(),
    hnp.byte_string_dtypes(),
    hnp.datetime64_dtypes(),
    hnp.timedelta64_dtypes(),
    st.just(np.dtype(object)),
    st.just(np.dtype([("a", "f8"), ("b", "i2")])),
)
SHAPES = hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4)
EXPECTED_BY_NDIM = {0: "scalar", 1: "array_1d", 2: "array_2d"}


@settings(max_examples=200, deadline=None)
@given(hnp.arrays(ANY_DTYPE, SHAPES))
def test_numeric_arrays_classify_by_ndim_and_kind(value):
    dtype, shape = classify_data(value)
    expected = EXPECTED_BY_NDIM.get(value.ndim, "array_nd")
    if value.ndim == 1 and value.dtype.kind == "c":
        expected = "array_complex"
    assert dtype == expected
    assert shape == (None if value.ndim == 0 else value.shape)
    snap = roundtrip(value, dtype, shape)
    if value.ndim:
        assert snap.shape == value.shape
        assert snap.dtype.kind == value.dtype.kind
        if value.dtype.itemsize <= 8 or (value.dtype.kind == "c" and value.dtype.itemsize <= 16):
            np.testing.assert_array_equal(snap, value)


@settings(max_examples=100, deadline=None)
@given(hnp.arrays(NON_NUMERIC_DTYPE, SHAPES))
def test_non_numeric_arrays_are_unknown_at_any_shape(value):
    assert classify_data(value) == ("unknown", None)
    roundtrip(value, "unknown", None)


PLAIN_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.complex_numbers()
    | st.text(max_size=50)
    | st.binary(max_size=20)
    | hnp.arrays(ANY_DTYPE, SHAPES)
    | hnp.arrays(NON_NUMERIC_DTYPE, SHAPES),
    lambda children: (
        st.lists(children, max_size=4)
        | st.tuples(children, children)
        | st.dictionaries(st.text(max_size=5), children, max_size=3)
        | st.frozensets(st.integers(), max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(PLAIN_VALUES)
def test_any_plain_value_classifies_and_snapshots_to_an_encodable_copy(value):
    dtype, shape = classify_data(value)
    assert dtype in DTYPES
    assert shape is None or (type(shape) is tuple and all(type(n) is int for n in shape))
    roundtrip(value, dtype, shape)


def test_classes_that_cannot_be_hashed_are_classified_without_the_cache():
    class Meta(type):
        def __eq__(cls, other):  # defining __eq__ alone makes these classes unhashable
            return cls is other

    Unhashable = Meta("Unhashable", (Wave,), {})
    value = Unhashable(np.arange(3.0) * 1j)
    assert classify_data(value) == ("waveform_complex", (3,))
    assert snapshot(value, "waveform_complex")["samples"].tolist() == [0j, 1j, 2j]
    assert snapshot(value, "unknown")["type"].endswith("Unhashable")
    assert classify_data([value, value]) == ("waveform_collection", (2,))
