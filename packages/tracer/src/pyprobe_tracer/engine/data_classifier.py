"""What kind of data a captured value is, and an independent, sendable copy of it.

``classify_data(value) -> (dtype, shape)`` names the class of a probed value;
``snapshot(value, dtype)`` copies it into a form ``pyprobe_wire`` encodes, which
later changes by the script cannot reach.

=====================  ===============================================  ===============
dtype                  value                                            shape
=====================  ===============================================  ===============
scalar                 int, float, complex, bool (and subclasses such   None
                       as IntEnum), numpy bool/int/float/complex
                       scalars, 0-d numeric ndarrays
array_1d               1-D ndarray of kind bool/int/uint/float          (n,)
array_complex          1-D complex ndarray                              (n,)
array_2d               2-D numeric ndarray, real *or complex*: one row   (rows, cols)
                       per trace; the snapshot keeps the complex dtype
array_nd               numeric ndarray of 3 to 32 dimensions            the full shape
array_collection       non-empty list/tuple whose items are all 1-D     (count,)
                       numeric ndarrays (ragged, real and complex
                       mixed)
waveform_real          object with real 1-D samples plus t0 and dt      (n,) of samples
waveform_complex       the same with complex samples                    (n,) of samples
waveform_collection    non-empty list/tuple of waveforms, or an object  (count,)
                       holding one as ``waveforms``/``traces``/
                       ``channels``
unknown                anything else: str, bytes, dict, set, None,      None
                       non-numeric arrays (object, str, datetime,
                       structured) of any shape, arrays of more than 32
                       dimensions (the wire's limit), modules,
                       functions, classes
=====================  ===============================================  ===============

ndarray subclasses (masked arrays, np.matrix, your own) count as arrays, read through
numpy's own ``ndarray`` attributes, never the subclass's overrides; their snapshot is
a plain ndarray (a masked array's mask is dropped).

**Waveforms.** An object is a waveform when it has, first spelling present wins:

- samples: ``samples``, ``data``, ``values``, ``y`` or ``x``, a 1-D numeric ndarray;
- start: ``t0``, ``t_start`` or ``start_time``, a finite real number;
- spacing: ``dt``, ``sample_interval`` or ``ts`` (seconds per sample), or a rate
  ``fs``, ``sample_rate`` or ``sampling_rate`` (then dt = 1 / rate); finite, > 0.

Real numbers are int, float, their subclasses and numpy int/float scalars; bool is
not one. Dataclasses (frozen too), ``__slots__`` classes, ``namedtuple`` and
``typing.NamedTuple`` all work. Its snapshot is the plain dict
``{"samples": ndarray copy, "t0": float, "dt": float}``.

**Never user code.** Attributes are read from the instance ``__dict__``, from
``__slots__`` members, from namedtuple fields, or as plain (non-descriptor) class
attributes that act as defaults. A name defined on the class as a property or any
other data descriptor is skipped, so is a method or ``functools.cached_property``
not yet computed; ``__getattr__``, ``__getattribute__``, ``__class__``, ``__len__``,
``__iter__``, ``__repr__`` and the like are never called. How to read each name is
decided once per type and cached (a class changed after its first capture keeps
its plan; only plain data is ever read, so that can never run code either). The
cache is thread-safe: each type's plan is built once, under a lock, and read
without one; it holds at most ``MAX_CACHED_TYPES`` learned types, then starts over.
Hashing the type for that cache is the one place a metaclass's own ``__hash__``
could run; classes that cannot be hashed are classified without caching.

**Snapshots.** Arrays become C-contiguous little-endian copies that own their data
(the wire form, so sending needs no second copy); long double arrays become
float64/complex128. Python scalars are returned as the plain built-in type
(subclasses converted without calling their methods; an int beyond 10,000 bits,
too long for the wire's JSON, becomes ±inf). numpy scalars stay numpy scalars of
their own dtype (immutable, and the wire keeps the dtype); long double ones become
float/complex; a 0-d array becomes its numpy scalar. An unknown value becomes
``{"type": name, "repr": text}``: ``name`` is the qualified type name (just
``str``, ``dict`` ... for built-ins), ``text`` at most ``REPR_LIMIT`` characters; a
real repr only for None, bool, numbers, str, bytes, bytearray, range, Ellipsis,
plain classes and exact list/tuple/dict/set/frozenset of those (built here, bounded:
never the repr of a whole big container), ``array(shape=..., dtype=...)`` for
arrays, ``<name object>`` for everything else. A value that no longer fits the
dtype it was classified as (another thread changed it in between) also snapshots
as this description, rather than raising inside the traced script.
"""

from __future__ import annotations

import math
import threading
import types
from collections.abc import Callable
from typing import Any

import numpy as np

from pyprobe_wire import MAX_NDIM
from pyprobe_wire.dtypes import WIRE_DTYPES

__all__ = [
    "DTYPES",
    "MAX_CACHED_TYPES",
    "REPR_LIMIT",
    "cached_type_count",
    "classify_data",
    "snapshot",
]

DTYPES = (
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
)
"""Every dtype ``classify_data`` returns."""

REPR_LIMIT = 200
"""Longest ``repr`` text in the description of an unknown value."""

MAX_CACHED_TYPES = 1024
"""Most types whose plan is kept (besides the built-in and numpy ones)."""

SAMPLE_NAMES = ("samples", "data", "values", "y", "x")
T0_NAMES = ("t0", "t_start", "start_time")
DT_NAMES = ("dt", "sample_interval", "ts")
RATE_NAMES = ("fs", "sample_rate", "sampling_rate")
HOLDER_NAMES = ("waveforms", "traces", "channels")

_NEVER_WAVEFORMS = (str, bytes, bytearray, dict, set, frozenset, type, types.ModuleType)

SCALAR = ("scalar", None)
UNKNOWN = ("unknown", None)
MAX_WIRE_NDIM = MAX_NDIM  # the wire's limit: the decoder refuses more
_MAX_INT_BITS = 10_000  # ~3000 digits, under Python's default int-to-str limit (4300)
_REPR_ITEMS = 50  # items shown per container
_REPR_DEPTH = 4  # containers shown nested
_MISSING = object()

# The base classes' own accessors, so no override on a subclass or metaclass runs.
_type_mro = type.__dict__["__mro__"].__get__
_type_dict = type.__dict__["__dict__"].__get__
_type_module = type.__dict__["__module__"].__get__
_type_qualname = type.__dict__["__qualname__"].__get__
_nd_dtype = np.ndarray.__dict__["dtype"].__get__
_nd_ndim = np.ndarray.__dict__["ndim"].__get__
_nd_shape = np.ndarray.__dict__["shape"].__get__
_nd_getitem = np.ndarray.__getitem__
_complex_real = complex.__dict__["real"].__get__
_complex_imag = complex.__dict__["imag"].__get__
_list_getitem = list.__getitem__
_tuple_getitem = tuple.__getitem__
_ALL = slice(None)

_NUMERIC_KINDS = "biufc"
_REAL_KINDS = "biuf"
# (kind, itemsize) -> the little-endian dtype the wire carries; long double -> double
_WIRE_TARGETS: dict[tuple[str, int], np.dtype] = {
    (dtype.kind, dtype.itemsize): dtype for dtype in WIRE_DTYPES.values()
}
_WIRE_TARGETS["f", np.dtype(np.longdouble).itemsize] = np.dtype("<f8")
_WIRE_TARGETS["c", np.dtype(np.clongdouble).itemsize] = np.dtype("<c16")
# By dtype.num (cheaper to read than dtype.kind), for the built-in numeric dtypes: the
# class of a 1-D array, and the wire dtype (the same object when no conversion is needed)
_VECTOR_CLASS: dict[int, str] = {}
_TARGET_BY_NUM: dict[int, np.dtype] = {}
for _dtype in map(np.dtype, set(np.sctypeDict.values())):
    if _dtype.kind in _NUMERIC_KINDS:
        _VECTOR_CLASS[_dtype.num] = "array_complex" if _dtype.kind == "c" else "array_1d"
        _TARGET_BY_NUM[_dtype.num] = _WIRE_TARGETS[_dtype.kind, _dtype.itemsize]
del _dtype


class _Plan:
    """How to classify and copy values of one type, decided from the type alone."""

    __slots__ = (
        "classify",
        "constant",
        "holder",
        "is_array",
        "items",
        "kind",
        "name",
        "real",
        "scalar",
        "waveform",
    )

    def __init__(self, kind: type, name: str, classify, **parts) -> None:
        self.kind = kind  # keeps the type alive while its plan is cached
        self.name = name
        self.classify: Callable[[Any], tuple] = classify
        self.constant: tuple | None = parts.get("constant")  # the result for every value
        self.scalar: Callable[[Any], Any] | None = parts.get("scalar")  # "scalar" snapshot
        self.real: Callable[[Any], float] | None = parts.get("real")  # as a real number
        self.is_array: bool = parts.get("is_array", False)  # an ndarray (sub)class
        self.items: Callable[[Any], list | tuple] | None = parts.get("items")  # list/tuple
        self.waveform: Callable[[Any], tuple | None] | None = parts.get("waveform")
        self.holder: Callable[[Any], list | tuple | None] | None = parts.get("holder")


# -------------------------------------------------------------- classify


def classify_data(value: Any) -> tuple[str, tuple[int, ...] | None]:
    """The class of ``value`` and its shape, from the table in the module docstring."""
    kind = type(value)
    if kind is np.ndarray:
        if value.ndim == 1:  # the most frequent array, inline
            name = _VECTOR_CLASS.get(value.dtype.num)
            if name is not None:
                return (name, value.shape)
        return _classify_ndarray(value)
    try:
        result = _constant.get(kind)
    except TypeError:  # a class whose metaclass makes it unhashable
        return _build_plan(kind).classify(value)
    if result is not None:
        return result
    plan = _plans.get(kind)
    if plan is None:
        plan = _learn(kind)
    return plan.classify(value)


def _classify_ndarray(array: np.ndarray) -> tuple[str, tuple[int, ...] | None]:
    kind = array.dtype.kind
    ndim = array.ndim
    if ndim == 1:
        if kind in _REAL_KINDS:
            return ("array_1d", array.shape)
        return ("array_complex", array.shape) if kind == "c" else UNKNOWN
    return _array_class(kind, ndim, array.shape)


def _classify_ndarray_subclass(array: np.ndarray) -> tuple[str, tuple[int, ...] | None]:
    return _array_class(_nd_dtype(array).kind, _nd_ndim(array), _nd_shape(array))


def _array_class(kind: str, ndim: int, shape: tuple[int, ...]):
    if kind not in _NUMERIC_KINDS or ndim > MAX_WIRE_NDIM:
        return UNKNOWN
    if ndim == 0:
        return SCALAR
    if ndim == 1:
        return ("array_complex", shape) if kind == "c" else ("array_1d", shape)
    return ("array_2d" if ndim == 2 else "array_nd", shape)


def _classify_items(items: list | tuple) -> tuple[str, tuple[int, ...] | None]:
    """array_collection, waveform_collection or unknown, from the items' classes.

    Items count only as arrays or waveforms, never as lists or holders themselves,
    so nested or self-containing lists end here.
    """
    count = 0
    for item in items:  # iterating, not indexing: another thread may shrink the list
        found = _item_class(item)
        if not count:
            if found == "array_1d" or found == "array_complex":
                wanted, result = ("array_1d", "array_complex"), "array_collection"
            elif found == "waveform_real" or found == "waveform_complex":
                wanted, result = ("waveform_real", "waveform_complex"), "waveform_collection"
            else:
                return UNKNOWN
        elif found not in wanted:
            return UNKNOWN
        count += 1
    return (result, (count,)) if count else UNKNOWN


def _item_class(item: Any) -> str:
    kind = type(item)
    if kind is np.ndarray:
        if item.ndim == 1:
            return _VECTOR_CLASS.get(item.dtype.num) or _classify_ndarray(item)[0]
        return "unknown"
    plan = _plan_for(kind)
    if plan.is_array:
        return plan.classify(item)[0]
    if plan.waveform is not None:
        found = plan.waveform(item)
        if found is not None:
            return found[0]
    return "unknown"


# -------------------------------------------------------------- per-type plans

_lock = threading.RLock()
_constant: dict[type, tuple] = {}  # types whose every value has one class
_plans: dict[type, _Plan] = {}
_learned = 0  # plans added since the seeds


def cached_type_count() -> int:
    """How many types have a cached plan, besides the built-in and numpy ones."""
    return _learned


def _plan_for(kind: type) -> _Plan:
    try:
        plan = _plans.get(kind)
    except TypeError:  # unhashable class: plan it every time
        return _build_plan(kind)
    return plan if plan is not None else _learn(kind)


def _learn(kind: type) -> _Plan:
    """The plan of ``kind``, built once however many threads ask at the same time."""
    global _constant, _plans, _learned
    with _lock:
        plan = _plans.get(kind)
        if plan is not None:
            return plan
        plan = _build_plan(kind)
        if _learned >= MAX_CACHED_TYPES:
            # Start over from the seeds. Readers holding the old dicts still get
            # right answers from them: a plan holds its type, so no key goes stale.
            _plans, _constant, _learned = dict(_seed_plans), dict(_seed_constant), 0
        _plans[kind] = plan
        if plan.constant is not None:
            _constant[kind] = plan.constant
        _learned += 1
    return plan


def _build_plan(kind: type) -> _Plan:
    """Decide from the type alone how its values are classified and read."""
    mro = _type_mro(kind)
    bases = {id(klass) for klass in mro}
    name = _type_name(kind)

    def has(cls: type) -> bool:
        return id(cls) in bases

    def constant(result, **parts) -> _Plan:
        return _Plan(kind, name, lambda value: result, constant=result, **parts)

    if has(np.ndarray):
        classify = _classify_ndarray if kind is np.ndarray else _classify_ndarray_subclass
        return _Plan(kind, name, classify, is_array=True, scalar=_zero_d_scalar)
    if has(np.generic):
        dtype_kind = np.dtype(kind).kind
        if dtype_kind not in _NUMERIC_KINDS:
            return constant(UNKNOWN)  # str_, bytes_, datetime64, timedelta64, void, object_
        real = _numpy_real(kind) if dtype_kind in "iuf" else None
        return constant(SCALAR, scalar=_numpy_scalar_snapshot(kind), real=real)
    if has(bool):
        return constant(SCALAR, scalar=_identity)
    if has(int):
        exact = kind is int
        return constant(
            SCALAR,
            scalar=_int_snapshot if exact else _int_subclass_snapshot,
            real=_int_real if exact else _int_subclass_real,
        )
    if has(float):
        real = float if kind is float else float.__float__
        return constant(SCALAR, scalar=_identity if kind is float else float.__float__, real=real)
    if has(complex):
        return constant(SCALAR, scalar=_identity if kind is complex else _complex_snapshot)

    items = None
    if has(list):
        items = _identity if kind is list else _list_copy
    elif has(tuple):
        items = _identity if kind is tuple else _tuple_copy
    elif _module_of(kind) == "builtins" or any(has(t) for t in _NEVER_WAVEFORMS):
        # built-in types (modules, functions, ...), and subclasses of str, dict, type
        # and the like: their attributes are never waveform data
        return constant(UNKNOWN)
    if kind is list or kind is tuple:
        return _Plan(kind, name, _classify_items, items=items)

    readers = _Readers(kind, mro)
    waveform = _waveform_reader(readers)
    holder = None if items is not None else _holder_reader(readers)
    if items is None and waveform is None and holder is None:
        return constant(UNKNOWN)
    return _Plan(
        kind,
        name,
        _object_classifier(waveform, holder, items),
        items=items,
        waveform=waveform,
        holder=holder,
    )


def _object_classifier(waveform, holder, items):
    def classify(value: Any) -> tuple[str, tuple[int, ...] | None]:
        if waveform is not None:
            found = waveform(value)
            if found is not None:
                return (found[0], (found[4],))
        if items is not None:
            return _classify_items(items(value))
        if holder is not None:
            held = holder(value)
            if held is not None:
                result = _classify_items(held)
                if result[0] == "waveform_collection":
                    return result
        return UNKNOWN

    return classify


def _type_name(kind: type) -> str:
    """``module.Qualname``, or just ``Qualname`` for a built-in type."""
    module, qualname = _module_of(kind), _type_qualname(kind)
    if type(qualname) is not str:
        qualname = "?"
    return qualname if module == "builtins" else f"{module}.{qualname}"


def _module_of(kind: type) -> str:
    """The type's ``__module__`` if it is a str (it is compared: nothing else may be)."""
    module = _type_module(kind)
    return module if type(module) is str else "?"


# -------------------------------------------------------------- attribute readers


# How one attribute name is read: (mode, argument, default).
_FROM_DICT = 0  # the instance __dict__ entry ``argument``, else ``default``
_FROM_SLOT = 1  # a __slots__ member; ``argument`` is its getter
_FROM_FIELD = 2  # a namedtuple field; ``argument`` is its index
_FROM_CLASS = 3  # a plain class attribute, the same for all instances: ``argument``
_Spec = tuple[int, Any, Any]


class _Readers:
    """Decides, for one type, how each attribute name can be read without user code."""

    def __init__(self, kind: type, mro: tuple[type, ...]) -> None:
        self.mro = mro
        self.fields: tuple = ()
        if any(klass is tuple for klass in mro):
            for klass in mro:
                fields = _type_dict(klass).get("_fields")
                if fields is not None:
                    if type(fields) is tuple and all(type(f) is str for f in fields):
                        self.fields = fields
                    break
        # The C-level getter of the instance dict (a class-level ``__dict__`` property
        # is passed over: attribute lookup itself never uses it either).
        self.instance_dict = None
        for klass in mro:
            entry = _type_dict(klass).get("__dict__")
            if type(entry) is types.GetSetDescriptorType:
                self.instance_dict = entry.__get__
                break

    def spec(self, name: str) -> _Spec | None:
        """How to read ``name``, or None when no plain value can ever be read by it."""
        if name in self.fields:
            return (_FROM_FIELD, self.fields.index(name), None)
        attr = _MISSING
        for klass in self.mro:
            namespace = _type_dict(klass)
            if name in namespace:
                attr = namespace[name]
                break
        default = attr
        if attr is not _MISSING:
            attr_type = type(attr)
            if attr_type is types.MemberDescriptorType:  # a __slots__ member
                return (_FROM_SLOT, attr.__get__, None)
            if _type_defines(attr_type, "__set__", "__delete__"):
                return None  # a property or another data descriptor: never evaluated
            if _type_defines(attr_type, "__get__"):
                default = _MISSING  # a method or cached_property: only an instance value
        if self.instance_dict is None:
            return None if default is _MISSING else (_FROM_CLASS, default, None)
        return (_FROM_DICT, name, default)

    def specs(self, names: tuple[str, ...]) -> list[_Spec]:
        return [spec for spec in map(self.spec, names) if spec is not None]


def _type_defines(kind: type, *names: str) -> bool:
    return any(name in _type_dict(klass) for klass in _type_mro(kind) for name in names)


def _first(specs: list[_Spec], value: Any, instance_dict: dict | None) -> tuple[Any, int]:
    """The first attribute of ``specs`` that ``value`` has, and its position in specs."""
    for position, (mode, argument, default) in enumerate(specs):
        if mode == _FROM_DICT:
            found = instance_dict.get(argument, default)
        elif mode == _FROM_SLOT:
            try:
                found = argument(value)
            except (AttributeError, TypeError):  # an unset slot
                continue
        elif mode == _FROM_FIELD:
            found = _tuple_getitem(value, argument)
        else:
            found = argument
        if found is not _MISSING:
            return found, position
    return _MISSING, -1


def _waveform_reader(readers: _Readers):
    """value -> (dtype, samples, t0, dt, n) or None, if the type can hold a waveform."""
    samples_specs = readers.specs(SAMPLE_NAMES)
    t0_specs = readers.specs(T0_NAMES)
    dt_specs = readers.specs(DT_NAMES)
    spacing_specs = dt_specs + readers.specs(RATE_NAMES)
    if not (samples_specs and t0_specs and spacing_specs):
        return None
    get_dict = readers.instance_dict
    rates_from = len(dt_specs)

    def read(value: Any) -> tuple | None:
        instance_dict = None if get_dict is None else get_dict(value)
        samples = _first(samples_specs, value, instance_dict)[0]
        kind = type(samples)
        if kind is np.ndarray:
            dtype_kind, ndim = samples.dtype.kind, samples.ndim
        elif samples is not _MISSING and _plan_for(kind).is_array:
            dtype_kind, ndim = _nd_dtype(samples).kind, _nd_ndim(samples)
        else:
            return None
        if ndim != 1 or dtype_kind not in _NUMERIC_KINDS:
            return None
        t0 = _real_number(_first(t0_specs, value, instance_dict)[0])
        if t0 is None or not math.isfinite(t0):
            return None
        spacing, position = _first(spacing_specs, value, instance_dict)
        spacing = _real_number(spacing)
        if spacing is None or not (0.0 < spacing < math.inf):
            return None
        dt = 1.0 / spacing if position >= rates_from else spacing
        if not dt > 0.0:
            return None
        dtype = "waveform_complex" if dtype_kind == "c" else "waveform_real"
        return (dtype, samples, t0, dt, _nd_shape(samples)[0])

    return read


def _holder_reader(readers: _Readers):
    """value -> the list/tuple in its waveforms/traces/channels attribute, or None."""
    holder_specs = readers.specs(HOLDER_NAMES)
    if not holder_specs:
        return None
    get_dict = readers.instance_dict

    def read(value: Any) -> list | tuple | None:
        instance_dict = None if get_dict is None else get_dict(value)
        held = _first(holder_specs, value, instance_dict)[0]
        return None if held is _MISSING else _items_of(held)

    return read


def _items_of(value: Any) -> list | tuple | None:
    kind = type(value)
    if kind is list or kind is tuple:
        return value
    plan = _plan_for(kind)
    return None if plan.items is None else plan.items(value)


def _real_number(value: Any) -> float | None:
    """``value`` as a float if it is a real number (not bool, not complex), else None."""
    kind = type(value)
    if kind is float:
        return value
    if value is _MISSING:
        return None
    real = _plan_for(kind).real
    if real is None:
        return None
    try:
        return real(value)
    except OverflowError:
        return None


# -------------------------------------------------------------- scalar conversions


def _identity(value: Any) -> Any:
    return value


def _int_snapshot(value: int) -> int | float:
    if value.bit_length() > _MAX_INT_BITS:
        return math.inf if value > 0 else -math.inf
    return value


def _int_subclass_snapshot(value: int) -> int | float:
    return _int_snapshot(int.__int__(value))


def _int_real(value: int) -> float:
    return float(value)


def _int_subclass_real(value: int) -> float:
    return float(int.__int__(value))


def _complex_snapshot(value: complex) -> complex:
    return complex(_complex_real(value), _complex_imag(value))


def _list_copy(value: list) -> list:
    return _list_getitem(value, _ALL)


def _tuple_copy(value: tuple) -> tuple:
    return _tuple_getitem(value, _ALL)


def _numpy_scalar_snapshot(kind: type) -> Callable[[Any], Any]:
    """numpy scalars stay as they are when the wire carries their dtype."""
    dtype = np.dtype(kind)
    target = _WIRE_TARGETS.get((dtype.kind, dtype.itemsize))
    if target is not None and target.itemsize == dtype.itemsize and _is_numpy_type(kind):
        return _identity
    # long double, or a user subclass: np.array reads the raw value, calling no method
    return _numpy_scalar_via_array


def _numpy_scalar_via_array(value: np.generic) -> Any:
    return _scalar_from_0d(np.array(value))


def _is_numpy_type(kind: type) -> bool:
    return _module_of(kind) == "numpy"


def _numpy_real(kind: type) -> Callable[[Any], float]:
    if _is_numpy_type(kind):
        return float
    return lambda value: float(np.array(value)[()])


def _scalar_from_0d(array: np.ndarray) -> Any:
    """The snapshot of a 0-d numeric array's value."""
    dtype = _nd_dtype(array)
    item = _nd_getitem(array, ())  # a plain numpy scalar, whatever the array's class
    target = _WIRE_TARGETS.get((dtype.kind, dtype.itemsize))
    if target is not None and target.itemsize == dtype.itemsize:
        return item
    return complex(item) if dtype.kind == "c" else float(item)  # long double


def _zero_d_scalar(array: np.ndarray) -> Any:
    if _nd_ndim(array) != 0 or _nd_dtype(array).kind not in _NUMERIC_KINDS:
        return _MISSING
    return _scalar_from_0d(array)


# -------------------------------------------------------------- snapshot


def snapshot(value: Any, dtype: str) -> Any:
    """An encodable copy of ``value`` (classified as ``dtype``) the script cannot change.

    See the module docstring for each form. A value that does not fit ``dtype``
    snapshots as the description of an unknown value; a ``dtype`` that is not one
    of ``DTYPES`` is a ValueError.
    """
    copy = _SNAPSHOTS.get(dtype)
    if copy is None:
        raise ValueError(f"snapshot: unknown dtype {dtype!r} (expected one of {', '.join(DTYPES)})")
    result = copy(value)
    return _describe(value) if result is _MISSING else result


def _snapshot_scalar(value: Any) -> Any:
    kind = type(value)
    if kind is float or kind is bool or kind is complex:
        return value
    scalar = _plan_for(kind).scalar
    return _MISSING if scalar is None else scalar(value)


def _copy_array(value: Any) -> Any:
    """A C-contiguous little-endian copy of a numeric ndarray, else _MISSING."""
    if type(value) is np.ndarray:
        dtype = value.dtype
        ndim = value.ndim
        target = _TARGET_BY_NUM.get(dtype.num)
        if target is dtype and ndim <= MAX_WIRE_NDIM:  # already the wire dtype
            return value.copy()  # order="C"
    elif _plan_for(type(value)).is_array:
        dtype = _nd_dtype(value)
        ndim = _nd_ndim(value)
    else:
        return _MISSING
    target = _WIRE_TARGETS.get((dtype.kind, dtype.itemsize))
    if target is None or ndim > MAX_WIRE_NDIM:
        return _MISSING
    return np.array(value, dtype=target, order="C", subok=False)


def _copy_1d(value: Any) -> Any:
    if _item_class(value) in ("array_1d", "array_complex"):
        return _copy_array(value)
    return _MISSING


def _snapshot_array_collection(value: Any) -> Any:
    items = _items_of(value)
    if not items:
        return _MISSING
    copies = [_copy_1d(item) for item in items]
    return _MISSING if any(copy is _MISSING for copy in copies) else copies


def _waveform_dict(value: Any) -> Any:
    kind = type(value)
    waveform = None if kind is list or kind is tuple else _plan_for(kind).waveform
    found = None if waveform is None else waveform(value)
    if found is None:
        return _MISSING
    return {"samples": _copy_array(found[1]), "t0": found[2], "dt": found[3]}


def _snapshot_waveform_collection(value: Any) -> Any:
    items = _items_of(value)
    if items is None:
        holder = _plan_for(type(value)).holder
        items = None if holder is None else holder(value)
    if not items:
        return _MISSING
    copies = [_waveform_dict(item) for item in items]
    return _MISSING if any(copy is _MISSING for copy in copies) else copies


def _describe(value: Any) -> dict[str, str]:
    """``{"type": name, "repr": text}`` for a value sent as unknown."""
    name = _plan_for(type(value)).name
    pieces: list[str] = []
    try:
        _repr_into(value, pieces, [REPR_LIMIT + 1], 0)
    except RuntimeError:  # a dict or set changed size while being read
        pieces = [f"<{name} object>"]
    text = "".join(pieces)
    if len(text) > REPR_LIMIT:
        text = text[: REPR_LIMIT - 3] + "..."
    return {"type": name, "repr": text}


_SNAPSHOTS: dict[str, Callable[[Any], Any]] = {
    "scalar": _snapshot_scalar,
    "array_1d": _copy_array,
    "array_complex": _copy_array,
    "array_2d": _copy_array,
    "array_nd": _copy_array,
    "array_collection": _snapshot_array_collection,
    "waveform_real": _waveform_dict,
    "waveform_complex": _waveform_dict,
    "waveform_collection": _snapshot_waveform_collection,
    "unknown": _describe,
}


# -------------------------------------------------------------- safe, bounded repr

# Compared by identity (_one_of): hashing a user's type could run its metaclass.
_LEAF_REPR = (type(None), bool, float, complex, range, type(Ellipsis), type(NotImplemented), type)
_TEXT = {str: str, bytes: bytes, bytearray: bytearray, np.str_: str, np.bytes_: bytes}
_BRACKETS = {list: ("[", "]"), tuple: ("(", ")"), set: ("{", "}"), frozenset: ("frozenset({", "})")}


def _repr_into(value: Any, out: list[str], budget: list[int], depth: int) -> None:
    """Append a repr of ``value`` to ``out``, stopping once ``budget[0]`` chars are used.

    Only exact built-in types get a real repr, built here piece by piece; nothing
    else has any of its methods called.
    """
    if budget[0] <= 0:
        return
    kind = type(value)
    text_base = _one_of(kind, _TEXT)
    if _one_of(kind, _LEAF_REPR):
        text = repr(value)
    elif kind is int:
        bits = value.bit_length()
        text = repr(value) if bits <= 4 * REPR_LIMIT else f"<int of {bits} bits>"
    elif text_base is not None:
        text = repr(text_base.__getitem__(value, slice(0, REPR_LIMIT + 1)))
    elif kind is dict or _one_of(kind, _BRACKETS):
        _container_repr(value, kind, out, budget, depth)
        return
    else:
        plan = _plan_for(kind)
        if plan.is_array:
            text = f"array(shape={_nd_shape(value)}, dtype={_nd_dtype(value)})"
        elif _is_numpy_type(kind) and plan.constant is not None:
            text = repr(value)  # a numpy scalar: numpy's own repr
        else:
            text = f"<{plan.name} object>"
    out.append(text)
    budget[0] -= len(text)


def _one_of(kind: type, group) -> Any:
    """``kind`` itself, or the value ``group`` maps it to, if it is one of ``group``."""
    for member in group:
        if member is kind:
            return group[member] if type(group) is dict else member
    return None


def _container_repr(value: Any, kind: type, out: list[str], budget: list[int], depth: int):
    if kind is dict:
        opening, closing = "{", "}"
    else:
        opening, closing = _BRACKETS[kind]
    if not value:
        text = {set: "set()", frozenset: "frozenset()"}.get(kind, opening + closing)
        out.append(text)
        budget[0] -= len(text)
        return
    if depth >= _REPR_DEPTH:
        text = f"{opening}...{closing}"
        out.append(text)
        budget[0] -= len(text)
        return
    out.append(opening)
    budget[0] -= len(opening)
    pairs = value.items() if kind is dict else value
    for count, item in enumerate(pairs):
        if budget[0] <= 0:
            return
        if count:
            out.append(", ")
            budget[0] -= 2
        if count >= _REPR_ITEMS:
            out.append("...")
            budget[0] -= 3
            break
        if kind is dict:
            _repr_into(item[0], out, budget, depth + 1)
            out.append(": ")
            budget[0] -= 2
            _repr_into(item[1], out, budget, depth + 1)
        else:
            _repr_into(item, out, budget, depth + 1)
    if kind is tuple and len(value) == 1:
        out.append(",")
    out.append(closing)
    budget[0] -= len(closing)


# -------------------------------------------------------------- seeds

_SEED_TYPES = (
    int,
    float,
    complex,
    bool,
    type(None),
    str,
    bytes,
    dict,
    list,
    tuple,
    np.ndarray,
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
)
_seed_plans = {kind: _build_plan(kind) for kind in _SEED_TYPES}
_seed_constant = {
    kind: plan.constant for kind, plan in _seed_plans.items() if plan.constant is not None
}
_plans, _constant = dict(_seed_plans), dict(_seed_constant)
