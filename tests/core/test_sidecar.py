"""Per-script persistence: probes, watches and layout in .pyprobe/<script>.json."""

from __future__ import annotations

import json
import os

import pytest

from pyprobe.core import sidecar
from pyprobe.core.probe_sites import SourceIndex
from pyprobe.core.probes import PALETTE, ProbeState, ProbeStore
from pyprobe.core.sidecar import Sidecar, SidecarProbe, load, save, sidecar_path

DSP = """\
import numpy as np

fs = 8000.0
n = np.arange(256)
x = np.sin(2 * np.pi * 440.0 * n / fs)
y = np.convolve(x, np.hamming(31), mode="same")
y = y / y.max()
power = np.mean(y * y)
"""

LAYOUT = {"splitter": [320, 880], "panels": ["y @ 6", "power @ 8"], "console": {"open": True}}


@pytest.fixture
def script(tmp_path):
    path = tmp_path / "tone_filter.py"
    path.write_text(DSP, encoding="utf-8")
    return path


def probed_store(script) -> ProbeStore:
    index = SourceIndex(script.read_text(encoding="utf-8"), script)
    store = ProbeStore()
    for line, symbol, occurrence in [(6, "y", 1), (7, "y", 2), (8, "power", 1)]:
        site = next(
            s for s in index.on_line(line) if s.symbol == symbol and s.occurrence == occurrence
        )
        store.add(site.anchor(script), site.occurrence, index.line_text(line))
    store.get(next(iter(store)).anchor).lens = "spectrum"
    return store


def saved(script) -> dict:
    return json.loads(sidecar_path(script).read_text(encoding="utf-8"))


def test_probes_watches_and_layout_round_trip(script):
    store = probed_store(script)
    watch = SidecarProbe(3, 0, "fs", "", True, 1, "fs = 8000.0")
    written = Sidecar.from_store(store, watches=[watch], layout=LAYOUT)
    path = save(script, written)
    assert path == script.parent / ".pyprobe" / "tone_filter.py.json"

    loaded, warning = load(script)
    assert warning is None
    assert loaded == written
    assert [p.anchor(script) for p in loaded.probes] == [p.anchor for p in store]
    assert loaded.watches[0].color == "" and loaded.watches[0].lens is None
    assert "file" not in saved(script)["probes"][0]  # the sidecar belongs to its script

    again = loaded.to_store(script)
    assert [(p.anchor, p.occurrence, p.line_text, p.color, p.lens) for p in again] == [
        (p.anchor, p.occurrence, p.line_text, p.color, p.lens) for p in store
    ]
    assert [p.color for p in again] == list(PALETTE[:3])
    assert all(p.state is ProbeState.ARMED for p in again)


def test_anchors_are_built_against_the_resolved_script(script, monkeypatch):
    store = probed_store(script)
    monkeypatch.chdir(script.parent)
    save("tone_filter.py", Sidecar.from_store(store))
    loaded, _ = load("tone_filter.py")
    assert loaded.probes[0].anchor("tone_filter.py") == next(iter(store)).anchor


def test_save_gives_the_same_bytes_for_the_same_sidecar(script):
    store = probed_store(script)
    first = save(script, Sidecar.from_store(store, layout=LAYOUT)).read_bytes()
    reordered = dict(reversed(list(LAYOUT.items())))
    second = save(script, Sidecar.from_store(store, layout=reordered)).read_bytes()
    assert first == second
    text = first.decode("utf-8")
    assert text.endswith("}\n") and not text.endswith("\n\n")
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n"


def test_no_sidecar_is_no_probes_and_no_warning(script):
    assert load(script) == (None, None)


def corrupt(data: dict, change) -> bytes:
    change(data)
    return json.dumps(data).encode("utf-8")


def set_field(path: str, value):
    def change(data):
        *parents, last = path.split(".")
        target = data
        for key in parents:
            target = target[int(key)] if key.isdigit() else target[key]
        if value is KeyError:
            del target[last]
        else:
            target[last] = value

    return change


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (set_field("version", 2), "version: unknown version 2"),
        (set_field("version", "1"), "version: expected an integer, got the string '1'"),
        (set_field("probes.0.line", "6"), "probes[0].line: expected an integer"),
        (set_field("probes.1.is_assignment", 1), "probes[1].is_assignment: expected true or false"),
        (set_field("probes.2.symbol", KeyError), "probes[2].symbol: missing"),
        (set_field("probes.0.color", "red"), 'probes[0].color: expected "#rrggbb"'),
        (set_field("probes.0.line", 0), "probes[0].line: expected 1 or more"),
        (set_field("watches", KeyError), "watches: missing"),
        (set_field("layout", [1, 2]), "layout: expected an object, got a list"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_a_corrupt_sidecar_is_set_aside_with_a_warning_naming_the_field(script, change, named):
    save(script, Sidecar.from_store(probed_store(script), layout=LAYOUT))
    path = sidecar_path(script)
    bad = corrupt(saved(script), change)
    path.write_bytes(bad)
    loaded, warning = load(script)
    assert loaded is None
    assert warning.startswith(f"{path}: {named}")
    assert warning.endswith("; set aside as tone_filter.py.json.corrupt; starting with no probes")
    assert not path.exists()
    assert (path.parent / "tone_filter.py.json.corrupt").read_bytes() == bad


@pytest.mark.parametrize(
    ("content", "named"),
    [
        (b'{"version": 1, "probes": [', "is not valid JSON (line 1 column 27"),
        (b"\xff\xfe\x00garbage", "is not UTF-8 text"),
        (b'{"version": 1, "probes": [], "watches": [], "layout": {"w": NaN}}', "NaN"),
        (b"[" * 100_000 + b"]" * 100_000, "is not valid JSON"),
        (b"[]", "top level: expected an object, got a list"),
    ],
    ids=["truncated", "binary", "nan", "deep", "list"],
)
def test_a_sidecar_that_is_not_json_is_set_aside(script, content, named):
    path = sidecar_path(script)
    path.parent.mkdir()
    path.write_bytes(content)
    loaded, warning = load(script)
    assert loaded is None
    assert warning.startswith(f"{path}: ") and named in warning
    assert warning.endswith("set aside as tone_filter.py.json.corrupt; starting with no probes")


def test_earlier_corrupt_copies_are_kept(script):
    path = sidecar_path(script)
    path.parent.mkdir()
    for number, name in enumerate(["corrupt", "corrupt-1", "corrupt-2"]):
        path.write_text(f"broken {number}", encoding="utf-8")
        _, warning = load(script)
        assert warning.endswith(f"set aside as tone_filter.py.json.{name}; starting with no probes")
    assert (path.parent / "tone_filter.py.json.corrupt-1").read_text() == "broken 1"


def test_a_bom_from_an_editor_is_accepted(script):
    written = Sidecar.from_store(probed_store(script))
    path = save(script, written)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert load(script) == (written, None)


def test_an_interrupted_save_leaves_the_previous_file_and_no_temp_file(script, monkeypatch):
    store = probed_store(script)
    path = save(script, Sidecar.from_store(store))
    before = path.read_bytes()

    def interrupted(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(sidecar.os, "replace", interrupted)
    with pytest.raises(OSError, match="No space left"):
        save(script, Sidecar.from_store(store, layout=LAYOUT))
    assert path.read_bytes() == before
    assert sorted(os.listdir(path.parent)) == ["tone_filter.py.json"]


def test_a_layout_that_is_not_json_writes_nothing(script):
    path = save(script, Sidecar.from_store(probed_store(script)))
    before = path.read_bytes()
    with pytest.raises(ValueError):
        save(script, Sidecar(layout={"zoom": float("nan")}))
    with pytest.raises(TypeError):
        save(script, Sidecar(layout={"when": object()}))
    assert path.read_bytes() == before
    assert sorted(os.listdir(path.parent)) == ["tone_filter.py.json"]
