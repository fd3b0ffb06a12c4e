"""What kind of data a captured value is, and an independent, sendable copy of it.

``classify_data(value) -> (dtype, shape)``:

====================  ==========================================  ==================
dtype                 value                                       shape
====================  ==========================================  ==================
scalar                int, float, complex, bool, numpy scalars,   None
                      0-d numeric arrays
array_1d              real 1-D numeric ndarray                    (n,)
array_complex         complex 1-D ndarray                         (n,)
array_2d              2-D numeric ndarray (one row per trace,     (rows, cols)
                      real or complex)
array_collection      list/tuple of 1-D numeric arrays (ragged    (count,)
                      allowed)
waveform_real         object with real samples plus t0 and dt     (n,)
waveform_complex      object with complex samples plus t0 and dt  (n,)
waveform_collection   list/tuple of waveforms                     (count,)
unknown               anything else                               None
====================  ==========================================  ==================

A waveform is recognised by its *type*, once: the sample array and the timing
must be plain instance attributes (``__dict__`` entries or ``__slots__``), never
properties, so classifying never runs user code. Accepted names: samples
``samples``, ``data``, ``y``, ``values``; start ``t0``, ``t_start``, ``start_time``;
spacing ``dt``, ``sample_interval``, ``ts``, or a rate ``fs``, ``sample_rate``
(then dt = 1/rate).
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

SCALAR = ("scalar", None)
UNKNOWN = ("unknown", None)

_SAMPLES = ("samples", "data", "y", "values")
_T0 = ("t0", "t_start", "start_time")
_DT = ("dt", "sample_interval", "ts")
_RATE = ("fs", "sample_rate")
_NUMERIC_KINDS = frozenset("biufc")
_REPR_LIMIT = 200

_SCALAR_TYPES = (int, float, complex, bool, np.number, np.bool_)
_plain_types: dict[type, str] = {}  # type -> "scalar" for the fast path
for _t in (int, float, complex, bool):
    _plain_types[_t] = "scalar"

_waveform_layouts: dict[type, tuple[str, str, str, bool] | None] = {}
_layout_lock = threading.Lock()


def classify_data(value: Any) -> tuple[str, tuple[int, ...] | None]:
    """The kind of ``value`` and its shape (see the module table)."""
    kind = type(value)
    if kind in _plain_types:
        return SCALAR
    if kind is np.ndarray or isinstance(value, np.ndarray):
        return _classify_array(value)
    if isinstance(value, (np.number, np.bool_)):
        return SCALAR
    if kind is list or kind is tuple:
        return _classify_sequence(value)
    if _waveform_layout(kind) is not None:
        samples = _waveform_samples(value)
        if samples is not None:
            return (
                "waveform_complex" if samples.dtype.kind == "c" else "waveform_real",
                samples.shape,
            )
    return UNKNOWN


def _classify_array(array: np.ndarray) -> tuple[str, tuple[int, ...] | None]:
    if array.dtype.kind not in _NUMERIC_KINDS:
        return UNKNOWN
    if array.ndim == 0:
        return SCALAR
    if array.ndim == 1:
        return ("array_complex" if array.dtype.kind == "c" else "array_1d", array.shape)
    if array.ndim == 2:
        return ("array_2d", array.shape)
    return UNKNOWN


def _classify_sequence(items) -> tuple[str, tuple[int, ...] | None]:
    if not items:
        return UNKNOWN
    if all(
        isinstance(item, np.ndarray) and item.ndim == 1 and item.dtype.kind in _NUMERIC_KINDS
        for item in items
    ):
        return ("array_collection", (len(items),))
    if all(classify_data(item)[0].startswith("waveform_") for item in items):
        return ("waveform_collection", (len(items),))
    return UNKNOWN


def _waveform_layout(kind: type):
    """(samples, t0, dt-or-rate, is_rate) attribute names for a waveform type, else None.

    Cached per type. A name defined on the class (a property, method or class
    attribute) never counts: only instance data does.
    """
    try:
        return _waveform_layouts[kind]
    except KeyError:
        pass
    layout = None
    if not (
        issubclass(kind, (str, bytes, dict, set, frozenset, int, float, complex))
        or kind.__module__ == "builtins"
    ):
        class_names = set()
        for klass in kind.__mro__:
            class_names.update(name for name in klass.__dict__ if name != "__slots__")
        slots = set()
        for klass in kind.__mro__:
            declared = klass.__dict__.get("__slots__", ())
            slots.update((declared,) if isinstance(declared, str) else declared)
        has_dict = any(
            "__dict__" in klass.__dict__ for klass in kind.__mro__ if klass is not object
        )

        def pick(candidates):
            for name in candidates:
                if name in slots or (has_dict and name not in class_names):
                    return name
            return None

        samples, t0 = pick(_SAMPLES), pick(_T0)
        dt, rate = pick(_DT), pick(_RATE)
        if samples and t0 and (dt or rate):
            layout = (samples, t0, dt or rate, dt is None)
    with _layout_lock:
        _waveform_layouts[kind] = layout
    return layout


def _plain_attribute(value: Any, name: str) -> Any:
    """An instance attribute without running descriptors other than slots."""
    data = getattr(value, "__dict__", None)
    if isinstance(data, dict) and name in data:
        return data[name]
    for klass in type(value).__mro__:
        slot = klass.__dict__.get(name)
        if slot is not None and type(slot).__name__ == "member_descriptor":
            return slot.__get__(value, type(value))
    raise AttributeError(name)


def _waveform_samples(value: Any) -> np.ndarray | None:
    layout = _waveform_layouts.get(type(value))
    if layout is None:
        return None
    try:
        samples = _plain_attribute(value, layout[0])
        t0 = _plain_attribute(value, layout[1])
        spacing = _plain_attribute(value, layout[2])
    except AttributeError:
        return None
    if not (
        isinstance(samples, np.ndarray)
        and samples.ndim == 1
        and samples.dtype.kind in _NUMERIC_KINDS
        and isinstance(t0, _SCALAR_TYPES)
        and isinstance(spacing, _SCALAR_TYPES)
    ):
        return None
    return samples


def snapshot(value: Any, dtype: str) -> Any:
    """An encodable copy of ``value`` that later changes by the script cannot reach.

    Arrays become contiguous copies, numpy scalars Python scalars, a waveform the
    dict ``{"samples", "t0", "dt"}``, collections lists of those; an unknown value
    a short description ``{"type": name, "repr": text}`` (the repr only for
    builtin types: a user-defined ``__repr__`` is never called).
    """
    if dtype == "scalar":
        if isinstance(value, np.ndarray):
            return value.item()
        return value.item() if isinstance(value, np.generic) else value
    if dtype in ("array_1d", "array_complex", "array_2d"):
        return np.array(value, copy=True, order="C")
    if dtype == "array_collection":
        return [np.array(item, copy=True, order="C") for item in value]
    if dtype in ("waveform_real", "waveform_complex"):
        return _waveform_snapshot(value)
    if dtype == "waveform_collection":
        return [_waveform_snapshot(item) for item in value]
    kind = type(value)
    text = repr(value) if kind.__module__ == "builtins" else f"<{kind.__qualname__} object>"
    if len(text) > _REPR_LIMIT:
        text = text[: _REPR_LIMIT - 3] + "..."
    return {"type": f"{kind.__module__}.{kind.__qualname__}", "repr": text}


def _waveform_snapshot(value: Any) -> dict[str, Any]:
    samples_name, t0_name, spacing_name, is_rate = _waveform_layouts[type(value)]
    samples = _plain_attribute(value, samples_name)
    t0 = float(np.real(_plain_attribute(value, t0_name)))
    spacing = float(np.real(_plain_attribute(value, spacing_name)))
    dt = 1.0 / spacing if is_rate and spacing else spacing
    return {"samples": np.array(samples, copy=True, order="C"), "t0": t0, "dt": dt}
