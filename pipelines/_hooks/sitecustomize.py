"""The RED-stage mask, imported at start-up by every Python that has this directory on PYTHONPATH.

When ``PYPROBE_MASK`` names modules (comma-separated dotted names), a finder at the front of
``sys.meta_path`` replaces each of them, and every module below them, by a placeholder module.
Every attribute of a placeholder is a placeholder object. Importing, looking attributes up,
calling, subscripting, arithmetic and iterating (exactly one item) still work, so test files
import and parametrize as usual; anything that needs a real value raises ``MaskedError``. So a
test that uses the implementation fails on its own, never at collection, and a test that still
passes never used it.

Standalone on purpose: it runs before anything else and must not import ``pipelines``. Another
``sitecustomize`` further along ``sys.path`` is imported afterwards, masked or not.
"""

from __future__ import annotations

import importlib.machinery
import os
import sys

MASK_ENV = "PYPROBE_MASK"
LABEL_ENV = "PYPROBE_MASK_LABEL"
PYPROBE_MASK_HOOK = True  # lets pipelines.mask reuse this module's MaskedError in-process

_PYTEST_PROBES = ("pytestmark", "pytest_plugins")
# The types module, without importing it at every start-up.
ModuleType = type(sys)
FunctionType = type(lambda: None)


class MaskedError(Exception):
    """A test used an implementation that the RED stage masks."""


class MaskedLengthError(MaskedError, TypeError):
    """Raised by ``len()`` of a placeholder.

    Also a TypeError because ``list()`` and ``tuple()`` ask for a length hint first and ignore
    only TypeError: ``list(placeholder)`` must still give its single item.
    """


def masked_message(name: str, label: str) -> str:
    if label.startswith("RED stage"):
        stage = label
    else:
        stage = f"RED stage of {label}" if label else "RED stage"
    return f"{name} is masked ({stage}): the test used the implementation"


def _probed(name: str) -> bool:
    """Names Python, inspect and pytest look up to learn what an object is: they must be missing.

    ``__version__`` is not one of them: a test reading it uses the implementation.
    """
    if name == "__version__":
        return False
    dunder = name.startswith("__") and name.endswith("__")
    return dunder or name.startswith("_pytest") or name in _PYTEST_PROBES


def _describe(value: object) -> str:
    if isinstance(value, Placeholder):
        return value._pyprobe_name
    if isinstance(value, type):
        return value.__qualname__
    text = repr(value)
    return text if len(text) <= 30 else text[:27] + "..."


def _binary(symbol: str):
    """The forward and reflected methods of a binary operator: they build a placeholder."""

    def forward(self: Placeholder, other: object, *modulo: object) -> Placeholder:
        return self._child(f"({self._pyprobe_name} {symbol} {_describe(other)})")

    def reflected(self: Placeholder, other: object) -> Placeholder:
        return self._child(f"({_describe(other)} {symbol} {self._pyprobe_name})")

    return forward, reflected


def _unary(template: str):
    def apply(self: Placeholder) -> Placeholder:
        return self._child(template.format(self._pyprobe_name))

    return apply


class Placeholder:
    """What every name in a masked module is.

    Building on a placeholder gives another one: attributes, calls, subscripts, arithmetic and
    `|` (test files do all of that at module level: `list(KINDS)`, `LIMIT + 1`, `X | None`).
    Iterating gives exactly one placeholder, so a parametrize over it collects one item.
    Whatever needs a real value raises MaskedError: bool, int, str, comparisons, len, `in`,
    isinstance, with, await, setting attributes or items, subclassing, pickling.
    """

    __slots__ = ("_pyprobe_children", "_pyprobe_label", "_pyprobe_name")

    def __init__(self, name: str, label: str) -> None:
        object.__setattr__(self, "_pyprobe_name", name)
        object.__setattr__(self, "_pyprobe_label", label)
        object.__setattr__(self, "_pyprobe_children", {})

    def _child(self, name: str) -> Placeholder:
        return Placeholder(name, self._pyprobe_label)

    def __getattr__(self, name: str) -> Placeholder:
        if _probed(name) or name in Placeholder.__slots__:
            raise AttributeError(name)
        children = self._pyprobe_children
        if name not in children:
            children[name] = self._child(f"{self._pyprobe_name}.{name}")
        return children[name]

    def __call__(self, *args: object, **kwargs: object) -> Placeholder:
        name = f"{self._pyprobe_name}(...)"
        if len(args) == 1 and not kwargs and isinstance(args[0], FunctionType):
            return _decorated(args[0], name, self._pyprobe_label)
        return self._child(name)

    def __getitem__(self, key: object) -> Placeholder:
        return self._child(f"{self._pyprobe_name}[{_describe(key)}]")

    def __iter__(self):
        yield self._child(f"{self._pyprobe_name}[0]")

    def __repr__(self) -> str:
        return f"<masked {self._pyprobe_name}>"

    def __dir__(self) -> list[str]:
        return sorted(self._pyprobe_children)

    # pytest keeps parameters in dicts; identity is all a placeholder has.
    __hash__ = object.__hash__

    def _refuse(self, *args: object, **kwargs: object):
        raise MaskedError(masked_message(self._pyprobe_name, self._pyprobe_label))

    def __len__(self) -> int:
        raise MaskedLengthError(masked_message(self._pyprobe_name, self._pyprobe_label))

    __add__, __radd__ = _binary("+")
    __sub__, __rsub__ = _binary("-")
    __mul__, __rmul__ = _binary("*")
    __matmul__, __rmatmul__ = _binary("@")
    __truediv__, __rtruediv__ = _binary("/")
    __floordiv__, __rfloordiv__ = _binary("//")
    __mod__, __rmod__ = _binary("%")
    __divmod__, __rdivmod__ = _binary("divmod")
    __pow__, __rpow__ = _binary("**")
    __lshift__, __rlshift__ = _binary("<<")
    __rshift__, __rrshift__ = _binary(">>")
    __and__, __rand__ = _binary("&")
    __xor__, __rxor__ = _binary("^")
    __or__, __ror__ = _binary("|")
    __neg__ = _unary("-{}")
    __pos__ = _unary("+{}")
    __invert__ = _unary("~{}")
    __abs__ = _unary("abs({})")

    __setattr__ = __delattr__ = __setitem__ = __delitem__ = _refuse
    __bool__ = __int__ = __float__ = __complex__ = __index__ = _refuse
    __round__ = __trunc__ = __floor__ = __ceil__ = _refuse
    __str__ = __bytes__ = __format__ = __fspath__ = _refuse
    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = __contains__ = _refuse
    __enter__ = __exit__ = __aenter__ = __aexit__ = _refuse
    __await__ = __aiter__ = __anext__ = _refuse
    __instancecheck__ = __subclasscheck__ = __mro_entries__ = _refuse
    __reduce__ = __reduce_ex__ = _refuse


def _decorated(func, name: str, label: str):
    """What a masked decorator makes of a function: the same function, failing when called.

    A placeholder in its place would not be collected by pytest (not a function): a decorated
    test would vanish instead of failing.
    """
    import functools

    @functools.wraps(func)  # name, marks, and the signature pytest reads its fixtures from
    def masked(*args: object, **kwargs: object):
        raise MaskedError(masked_message(name, label))

    return masked


class PlaceholderModule(ModuleType):
    """A masked module: a real module (sys.modules needs one) whose names are placeholders."""

    __slots__ = ("_pyprobe_label",)

    def __init__(self, name: str, label: str) -> None:
        super().__init__(name)
        self._pyprobe_label = label

    def __getattr__(self, name: str) -> Placeholder:
        if _probed(name) or name in PlaceholderModule.__slots__:
            raise AttributeError(f"masked module {self.__name__!r} has no attribute {name!r}")
        value = Placeholder(f"{self.__name__}.{name}", self._pyprobe_label)
        setattr(self, name, value)
        return value

    def __repr__(self) -> str:
        return f"<masked module {self.__name__!r}>"


class MaskLoader:
    def __init__(self, label: str) -> None:
        self.label = label

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> PlaceholderModule:
        return PlaceholderModule(spec.name, self.label)

    def exec_module(self, module: PlaceholderModule) -> None:
        pass

    def is_package(self, fullname: str) -> bool:
        return True

    def get_code(self, fullname: str):
        # runpy asks for the code of `python -m <masked>`: refuse, so the process fails.
        raise ImportError(masked_message(fullname, self.label), name=fullname)


class MaskFinder:
    """Finds a placeholder for every masked module and for every module below one."""

    def __init__(self, names: list[str], label: str) -> None:
        self.names = tuple(names)
        self.label = label

    def masks(self, fullname: str) -> bool:
        return any(fullname == name or fullname.startswith(name + ".") for name in self.names)

    def find_spec(self, fullname, path=None, target=None):
        if not self.masks(fullname):
            return None
        # Masked modules are packages (so their submodules import), except `__main__`: runpy
        # must ask for its code rather than look for `<masked>.__main__.__main__`.
        is_package = fullname.rpartition(".")[2] != "__main__"
        return importlib.machinery.ModuleSpec(
            fullname, MaskLoader(self.label), is_package=is_package
        )

    def invalidate_caches(self) -> None:
        pass


class FrontList(list):
    """sys.meta_path that keeps mask finders in front of finders inserted later.

    pytest inserts its assertion-rewriting finder at index 0; it loads the real code of the
    modules it rewrites (the packages of installed pytest plugins, for example) from disk.
    """

    def insert(self, index, finder) -> None:
        super().insert(index, finder)
        masks = [f for f in self if isinstance(f, MaskFinder)]
        self[:] = masks + [f for f in self if not isinstance(f, MaskFinder)]


def install(names: list[str], label: str) -> MaskFinder:
    """Mask ``names`` in this process from now on; modules already imported are forgotten."""
    finder = MaskFinder(names, label)
    if not isinstance(sys.meta_path, FrontList):
        sys.meta_path = FrontList(sys.meta_path)
    sys.meta_path.insert(0, finder)
    for name in [n for n in sys.modules if finder.masks(n)]:
        module = sys.modules.pop(name)
        parent, _, child = name.rpartition(".")
        namespace = getattr(sys.modules.get(parent), "__dict__", {})
        if namespace.get(child) is module:
            del namespace[child]
    return finder


def uninstall(finder: MaskFinder) -> None:
    """Stop masking (placeholders already imported stay in sys.modules)."""
    while finder in sys.meta_path:
        sys.meta_path.remove(finder)


def _import_next_sitecustomize():
    here = os.path.dirname(os.path.realpath(__file__))
    resolved = [os.path.realpath(entry or os.curdir) for entry in sys.path]
    if here not in resolved:
        return None
    start = resolved.index(here) + 1
    later = [e for e, r in zip(sys.path[start:], resolved[start:], strict=True) if r != here]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", later)
    if spec is None or spec.loader is None or not spec.has_location:
        return None
    from importlib.util import module_from_spec  # only now: it is slow to import

    module = module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _main() -> None:
    global NEXT_SITECUSTOMIZE
    names = [name.strip() for name in os.environ.get(MASK_ENV, "").split(",") if name.strip()]
    if names:
        install(names, os.environ.get(LABEL_ENV, ""))
    NEXT_SITECUSTOMIZE = _import_next_sitecustomize()


NEXT_SITECUSTOMIZE = None
if __name__ == "sitecustomize":
    _main()
