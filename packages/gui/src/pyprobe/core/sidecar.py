"""Per-script persistence: the probes, watches and window layout of one script.

They live in ``.pyprobe/<script file name>.json`` next to the script (the sidecar
of ``examples/qam16_link.py`` is ``examples/.pyprobe/qam16_link.py.json``), as
pretty JSON with sorted keys, so the same sidecar always gives the same bytes and
can be committed beside the script::

    {
      "layout": {...},
      "probes": [
        {"col": 0, "color": "#3a86d1", "func": "", "is_assignment": true,
         "lens": null, "line": 12, "line_text": "y = np.convolve(x, h)",
         "occurrence": 1, "symbol": "y"}
      ],
      "version": 1,
      "watches": [...]
    }

Anchors are stored without their ``file``: a sidecar belongs to its script, and
``SidecarProbe.anchor(script)`` builds the anchor against the script's resolved
path. ``layout`` is the window's own free-form JSON object (splitter sizes, panel
order); only its being an object is checked here. Keys this version does not know
are ignored on load (and not written back).

``load`` never raises for what the file contains: a corrupt sidecar (bad JSON, a
wrong type, an unknown version, a missing field) is renamed aside to
``<name>.json.corrupt`` (``.corrupt-1``, ``-2``... when taken) and reported in a
warning that names the file, the field and what happens. ``save`` writes atomically:
a failed or interrupted save leaves the previous file as it was.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyprobe_wire import ProbeAnchor

from .probes import DEFAULT_HISTORY, Probe, ProbeStore

SIDECAR_DIR = ".pyprobe"
SIDECAR_VERSION = 1
#: A sidecar larger than this is not read (set aside as corrupt).
MAX_SIDECAR_BYTES = 16 * 1024 * 1024

_COLOR = re.compile(r"(#[0-9a-fA-F]{6})?")  # "" = no colour of its own (watches)


@dataclass(frozen=True)
class SidecarProbe:
    """A stored probe (or watch): its anchor without the file, and how it is shown."""

    line: int
    col: int
    symbol: str
    func: str
    is_assignment: bool
    occurrence: int
    line_text: str
    color: str = ""
    lens: str | None = None

    @classmethod
    def from_probe(cls, probe: Probe) -> SidecarProbe:
        anchor = probe.anchor
        return cls(
            line=anchor.line,
            col=anchor.col,
            symbol=anchor.symbol,
            func=anchor.func,
            is_assignment=anchor.is_assignment,
            occurrence=probe.occurrence,
            line_text=probe.line_text,
            color=probe.color,
            lens=probe.lens,
        )

    def anchor(self, script: str | Path) -> ProbeAnchor:
        """The anchor of this probe in ``script`` (its resolved path)."""
        return ProbeAnchor(
            file=str(Path(script).resolve()),
            line=self.line,
            col=self.col,
            symbol=self.symbol,
            func=self.func,
            is_assignment=self.is_assignment,
        )

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _PROBE_FIELDS}


@dataclass(frozen=True)
class Sidecar:
    """Everything stored for one script."""

    probes: tuple[SidecarProbe, ...] = ()
    watches: tuple[SidecarProbe, ...] = ()
    layout: Mapping[str, Any] = field(default_factory=dict)
    version: int = SIDECAR_VERSION

    def __post_init__(self) -> None:
        object.__setattr__(self, "probes", tuple(self.probes))
        object.__setattr__(self, "watches", tuple(self.watches))

    @classmethod
    def from_store(
        cls,
        store: ProbeStore,
        watches: Iterable[Probe | SidecarProbe] = (),
        layout: Mapping[str, Any] | None = None,
    ) -> Sidecar:
        """The sidecar of ``store``'s probes (INVALID ones too: a later edit may bring
        their line back), the watch list and the window ``layout``."""
        return cls(
            probes=tuple(SidecarProbe.from_probe(probe) for probe in store),
            watches=tuple(
                w if isinstance(w, SidecarProbe) else SidecarProbe.from_probe(w) for w in watches
            ),
            layout=dict(layout or {}),
        )

    def to_store(
        self, script: str | Path, *, keep_all: bool = False, history: int = DEFAULT_HISTORY
    ) -> ProbeStore:
        """A new store holding these probes (anchored in ``script``), in their order.

        A probe whose anchor an earlier one already has is left out; a probe without a
        colour gets the store's next one.
        """
        store = ProbeStore(keep_all=keep_all, history=history)
        for probe in self.probes:
            anchor = probe.anchor(script)
            if anchor not in store:
                store.add(
                    anchor, probe.occurrence, probe.line_text, probe.color or None, probe.lens
                )
        return store

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "probes": [probe.to_dict() for probe in self.probes],
            "watches": [watch.to_dict() for watch in self.watches],
            "layout": dict(self.layout),
        }


def sidecar_path(script: str | Path) -> Path:
    """``<dir>/.pyprobe/<name>.json`` for the script ``<dir>/<name>``."""
    script = Path(script)
    return script.parent / SIDECAR_DIR / f"{script.name}.json"


def load(script: str | Path) -> tuple[Sidecar | None, str | None]:
    """The sidecar of ``script`` and a warning for the user, if any.

    ``(None, None)``: there is none. ``(None, warning)``: it was corrupt and has been
    set aside, or could not be read. Never raises for what the file contains.
    """
    path = sidecar_path(script)
    try:
        size = path.stat().st_size
        if size > MAX_SIDECAR_BYTES:
            raise _Corrupt(f"is {size} bytes, over the {MAX_SIDECAR_BYTES}-byte limit")
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")  # an editor may have added a BOM
        except UnicodeDecodeError as exc:
            raise _Corrupt(f"is not UTF-8 text (byte {exc.start})") from None
        try:
            data = json.loads(text, parse_constant=_no_constant)
        except json.JSONDecodeError as exc:
            problem = f"line {exc.lineno} column {exc.colno}: {exc.msg}"
            raise _Corrupt(f"is not valid JSON ({problem})") from None
        except RecursionError:
            raise _Corrupt("is not valid JSON (nested too deeply)") from None
        return _parse(data), None
    except FileNotFoundError:
        return None, None
    except _Corrupt as exc:
        return None, _set_aside(path, str(exc))
    except OSError as exc:
        return None, f"{path}: cannot be read ({exc.strerror or exc}); starting with no probes"


def save(script: str | Path, sidecar: Sidecar) -> Path:
    """Write ``sidecar`` as the sidecar of ``script``, atomically; its path.

    The same sidecar always gives the same bytes. The JSON is made before anything
    is written, so a layout that is not JSON (TypeError, ValueError) leaves the
    previous file untouched too.
    """
    path = sidecar_path(script)
    text = json.dumps(
        sidecar.to_dict(), indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False
    )
    data = (text + "\n").encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return path


# -- reading -------------------------------------------------------------------------------


class _Corrupt(Exception):
    """What is wrong with a sidecar's content: '<field>: <problem>'."""


_PROBE_FIELDS: dict[str, tuple[type, ...]] = {
    "line": (int,),
    "col": (int,),
    "symbol": (str,),
    "func": (str,),
    "is_assignment": (bool,),
    "occurrence": (int,),
    "line_text": (str,),
    "color": (str,),
    "lens": (str, type(None)),
}

_TYPE_NAMES = {
    int: "an integer",
    str: "a string",
    bool: "true or false",
    type(None): "null",
    list: "a list",
    dict: "an object",
}


def _no_constant(name: str) -> Any:
    raise _Corrupt(f"is not valid JSON ({name} is not a JSON number)")


def _parse(data: Any) -> Sidecar:
    if type(data) is not dict:
        raise _Corrupt(f"top level: expected an object, got {_json_type(data)}")
    version = _field(data, "version", (int,), "version")
    if version != SIDECAR_VERSION:
        raise _Corrupt(
            f"version: unknown version {version} (this PyProbe reads version {SIDECAR_VERSION})"
        )
    probes = _probes(data, "probes")
    watches = _probes(data, "watches")
    layout = _field(data, "layout", (dict,), "layout")
    return Sidecar(probes=probes, watches=watches, layout=layout, version=version)


def _probes(data: dict, key: str) -> tuple[SidecarProbe, ...]:
    items = _field(data, key, (list,), key)
    probes = []
    for number, item in enumerate(items):
        where = f"{key}[{number}]"
        if type(item) is not dict:
            raise _Corrupt(f"{where}: expected an object, got {_json_type(item)}")
        values = {
            name: _field(item, name, kinds, f"{where}.{name}")
            for name, kinds in _PROBE_FIELDS.items()
        }
        for name in ("line", "occurrence"):
            if values[name] < 1:
                raise _Corrupt(f"{where}.{name}: expected 1 or more, got {values[name]}")
        if values["col"] < 0:
            raise _Corrupt(f"{where}.col: expected 0 or more, got {values['col']}")
        if not values["symbol"].isidentifier():
            raise _Corrupt(f"{where}.symbol: expected a Python name, got {values['symbol']!r}")
        if not _COLOR.fullmatch(values["color"]):
            raise _Corrupt(f'{where}.color: expected "#rrggbb" or "", got {values["color"]!r}')
        probes.append(SidecarProbe(**values))
    return tuple(probes)


def _field(data: dict, key: str, kinds: tuple[type, ...], where: str) -> Any:
    if key not in data:
        raise _Corrupt(f"{where}: missing")
    value = data[key]
    if type(value) not in kinds:  # exact: true is not a line number
        expected = " or ".join(_TYPE_NAMES[kind] for kind in kinds)
        raise _Corrupt(f"{where}: expected {expected}, got {_json_type(value)}")
    return value


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return f"{str(value).lower()}"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the string {value[:40]!r}"
    return _TYPE_NAMES.get(type(value), type(value).__name__)


def _set_aside(path: Path, problem: str) -> str:
    """Rename a corrupt sidecar out of the way; the warning that says so."""
    aside = path.with_name(path.name + ".corrupt")
    number = 0
    while aside.exists():
        number += 1
        aside = path.with_name(f"{path.name}.corrupt-{number}")
    try:
        os.rename(path, aside)
    except OSError as exc:
        return (
            f"{path}: {problem}; it could not be set aside ({exc.strerror or exc}) and is "
            "ignored; starting with no probes"
        )
    return f"{path}: {problem}; set aside as {aside.name}; starting with no probes"


__all__ = [
    "MAX_SIDECAR_BYTES",
    "SIDECAR_DIR",
    "SIDECAR_VERSION",
    "Sidecar",
    "SidecarProbe",
    "load",
    "save",
    "sidecar_path",
]
