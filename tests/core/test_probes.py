"""The probe model: probes fed by the tracer's messages, histories, states, re-anchoring."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

from pyprobe.core.probe_sites import SourceIndex
from pyprobe.core.probes import (
    DEFAULT_HISTORY,
    PALETTE,
    STALE_AFTER,
    ProbeState,
    ProbeStore,
    ScalarHistory,
    summary,
)
from pyprobe_tracer.engine.capture_manager import CaptureManager
from pyprobe_tracer.engine.capture_manager import Probe as TracerProbe
from pyprobe_tracer.ipc import payloads
from pyprobe_tracer.streaming import Streamer
from pyprobe_wire import Message, MessageType, ProbeAnchor, decode_message, encode_message
from tests._support.fake_gui import probe_values

SCRIPT = "dsp.py"

DSP = """\
import numpy as np

fs = 8000.0
n = np.arange(256)
x = np.sin(2 * np.pi * 440.0 * n / fs)
h = np.hamming(31)
h = h / h.sum()
y = np.convolve(x, h, mode="same")
y = y * 2.0
power = np.mean(y * y)
print(power)
"""


def anchor(symbol: str, line: int = 1, col: int = 0) -> ProbeAnchor:
    return ProbeAnchor(file="/project/dsp.py", line=line, col=col, symbol=symbol)


def wire(msg_type: MessageType, payload) -> Message:
    """The message as the GUI receives it: encoded and decoded by pyprobe_wire."""
    return decode_message(encode_message(Message(msg_type, payload)))


class Tracer:
    """The tracer's own capture and sending path, its messages kept instead of sent."""

    def __init__(self, *anchors: ProbeAnchor, max_batch: int = 4096, queue_limit: int = 1 << 18):
        self.manager = CaptureManager(queue_limit=queue_limit)
        self.probes = {a: TracerProbe(a) for a in anchors}
        for probe in self.probes.values():
            self.manager.attach(probe)
        self.sent: list[Message] = []
        self.streamer = Streamer(self.manager, self._send, max_batch=max_batch)

    def _send(self, msg_type: MessageType, payload) -> None:
        self.sent.append(wire(msg_type, payload))

    def capture(self, anchor: ProbeAnchor, *values) -> None:
        for value in values:
            self.manager.capture(self.probes[anchor], value)

    def flush(self) -> list[Message]:
        self.streamer.flush()
        sent, self.sent = self.sent, []
        return sent


def feed(store: ProbeStore, messages: list[Message], now: float = 0.0) -> int:
    return sum(store.ingest(message, now=now) for message in messages)


def probed(*symbols: str, keep_all: bool = False, history: int = DEFAULT_HISTORY):
    store = ProbeStore(keep_all=keep_all, history=history)
    anchors = [anchor(s, line) for line, s in enumerate(symbols, 1)]
    for a in anchors:
        store.add(a, 1, f"{a.symbol} = ...")
    return store, anchors


def single(a: ProbeAnchor, value, seq: int | None, dtype: str = "scalar", shape=None) -> Message:
    payload = payloads.probe_value_payload(a, value, dtype=dtype, shape=shape, seq=seq)
    return wire(MessageType.DATA_PROBE_VALUE, payload)


# -- histories ---------------------------------------------------------------------------


def test_a_sine_streamed_in_series_chunks_keeps_its_newest_values_in_order():
    sine = np.sin(2 * np.pi * 0.0123 * np.arange(25_000))
    store, (a,) = probed("phase")
    tracer = Tracer(a)
    messages = []
    for start in range(0, len(sine), 1_000):
        tracer.capture(a, *sine[start : start + 1_000].tolist())
        messages += tracer.flush()
    assert all("series" in m.payload for m in messages)  # the columns path, not entries
    assert feed(store, messages) == 25_000
    probe = store.get(a)
    assert len(probe.history) == DEFAULT_HISTORY == 10_000
    np.testing.assert_array_equal(probe.history.values(), sine[-10_000:])
    np.testing.assert_array_equal(probe.history.seqs(), np.arange(15_000, 25_000))
    assert probe.latest == sine[-1]
    assert (probe.update_count, probe.dtype, probe.shape) == (25_000, "scalar", None)
    assert probe.all_values is None  # only kept with keep_all


def test_a_history_wraps_and_resizes_keeping_the_newest():
    ring = ScalarHistory(5)
    ring.extend(np.arange(3.0), np.arange(3))
    ring.append(3, 3)
    ring.extend(np.arange(4.0, 8.0), np.arange(4, 8))  # wraps around the end
    np.testing.assert_array_equal(ring.values(), [3, 4, 5, 6, 7])
    np.testing.assert_array_equal(ring.seqs(), [3, 4, 5, 6, 7])
    ring.extend(np.arange(10.0, 22.0), np.arange(10, 22))  # more than it holds
    np.testing.assert_array_equal(ring.values(), [17, 18, 19, 20, 21])
    ring.resize(3)
    np.testing.assert_array_equal(ring.values(), [19, 20, 21])
    ring.append(True, 22)
    np.testing.assert_array_equal(ring.values(), [20, 21, 1])
    ring.resize(8)
    ring.extend(np.array([5, 6], dtype=np.int32), np.array([23, 24]))
    np.testing.assert_array_equal(ring.values(), [20, 21, 1, 5, 6])
    np.testing.assert_array_equal(ring.seqs(), [20, 21, 22, 23, 24])
    assert (len(ring), ring.capacity) == (5, 8)
    values = ring.values()
    ring.append(99.0, 25)
    assert values.tolist() == [20, 21, 1, 5, 6]  # what values() returned is a copy
    with pytest.raises(ValueError, match="capacity must be a positive integer, got 0"):
        ring.resize(0)


def test_a_complex_value_turns_the_history_complex_and_keeps_what_it_had():
    store, (a,) = probed("iq", history=6)
    tracer = Tracer(a)
    tracer.capture(a, 0.5, 1.5, 2.5)
    feed(store, tracer.flush())
    ring = store.get(a).history
    assert ring.dtype == np.float64
    tracer.capture(a, 1 + 2j, 3 - 1j)
    feed(store, tracer.flush())
    assert ring.dtype == np.complex128
    np.testing.assert_array_equal(ring.values(), [0.5, 1.5, 2.5, 1 + 2j, 3 - 1j])
    store.ingest(single(a, np.complex64(2j), seq=5))
    store.ingest(single(a, 7.0, seq=6))
    np.testing.assert_array_equal(ring.values(), [1.5, 2.5, 1 + 2j, 3 - 1j, 2j, 7.0])

    fresh = ScalarHistory(4)
    fresh.append(1.0, 0)
    fresh.append(np.complex128(0 + 1j), 1)  # a single complex value promotes too
    np.testing.assert_array_equal(fresh.values(), [1, 1j])
    store.reset_run()
    assert ring.dtype == np.float64 and len(ring) == 0


def test_arrays_keep_only_the_latest_and_scalars_only_go_to_the_history():
    store, (a,) = probed("frame")
    tracer = Tracer(a)
    first, second = np.arange(8.0), np.linspace(0, 1, 8) * 1j
    tracer.capture(a, first, 3.25, second)
    feed(store, tracer.flush())
    probe = store.get(a)
    np.testing.assert_array_equal(probe.latest, second)
    assert (probe.dtype, probe.shape, probe.update_count) == ("array_complex", (8,), 3)
    assert probe.history.values().tolist() == [3.25]


def test_an_int_too_large_for_a_column_still_reaches_the_history():
    store, (a,) = probed("count")
    tracer = Tracer(a)
    tracer.capture(a, 2**70, 3)  # beyond int64: the tracer sends them one by one
    messages = tracer.flush()
    assert not messages[0].payload.get("series")
    feed(store, messages)
    probe = store.get(a)
    assert probe.history.values().tolist() == [float(2**70), 3.0]
    assert probe.latest == 3
    store.ingest(single(a, -(10**400), seq=9))
    assert probe.history.values()[-1] == -np.inf
    assert probe.latest == -(10**400)  # the value itself, exact


# -- keep_all and ordering -------------------------------------------------------------


def test_keep_all_holds_every_value_in_capture_order_across_message_forms():
    store, (mixed, other) = probed("y", "gain", keep_all=True)
    tracer = Tracer(mixed, other, max_batch=2)  # entries spill over several messages
    blocks = [np.full(4, float(k)) for k in range(5)]
    expected = []
    messages = []
    for k, block in enumerate(blocks):
        tracer.capture(mixed, block, float(k))
        tracer.capture(other, k)
        expected += [block, float(k)]
    tracer.capture(mixed, 99.5)  # the last capture: a scalar, in the first message
    expected.append(99.5)
    messages += tracer.flush()
    tracer.capture(mixed, np.arange(3.0))
    expected.append(np.arange(3.0))
    messages += tracer.flush()  # one array alone: a single DATA_PROBE_VALUE
    tracer.capture(mixed, 100.0, 101.0)
    expected += [100.0, 101.0]
    messages += tracer.flush()
    kinds = [m.msg_type for m in messages]
    assert kinds.count(MessageType.DATA_PROBE_VALUE_BATCH) >= 3
    assert MessageType.DATA_PROBE_VALUE in kinds

    assert feed(store, messages) == len(expected) + 5
    probe = store.get(mixed)
    assert len(probe.all_values) == len(expected)
    for got, want in zip(probe.all_values, expected, strict=True):
        np.testing.assert_array_equal(got, want)
    for got, want in zip(probe.all_values, probe_values(messages, "y"), strict=True):
        np.testing.assert_array_equal(got, want)
    assert store.get(other).all_values == [0, 1, 2, 3, 4]
    assert probe.history.values().tolist() == [0, 1, 2, 3, 4, 99.5, 100, 101]
    assert probe.latest == 101.0 and probe.update_count == len(expected)


def test_a_value_older_than_the_latest_does_not_replace_it():
    store, (a,) = probed("y", keep_all=True)
    column = {
        "anchor": a,
        "dtype": "scalar",
        "values": np.array([1.0, 2.0]),
        "seq": np.array([5, 9]),
        "timestamp_ns": np.array([0, 0]),
    }
    store.ingest(wire(MessageType.DATA_PROBE_VALUE_BATCH, {"values": [], "series": [column]}))
    store.ingest(single(a, np.ones(2), seq=7, dtype="array_1d", shape=[2]))
    probe = store.get(a)
    assert probe.latest == 2.0 and probe.dtype == "scalar"
    assert [np.asarray(v).tolist() for v in probe.all_values] == [1.0, [1.0, 1.0], 2.0]


# -- which messages count ----------------------------------------------------------------


def test_values_of_anchors_not_probed_are_ignored_and_counted():
    store, (a,) = probed("y")
    stranger = anchor("z", 40)
    tracer = Tracer(a, stranger)
    tracer.capture(a, 1.0, 2.0)
    tracer.capture(stranger, 3.0, 4.0, 5.0)
    tracer.capture(stranger, np.zeros(3))
    assert feed(store, tracer.flush()) == 2
    assert store.ignored == 4
    assert store.get(stranger) is None
    store.remove(a)
    tracer.capture(a, 6.0)
    assert feed(store, tracer.flush()) == 0
    assert store.ignored == 5
    assert store.ingest(wire(MessageType.DATA_STDOUT, {"text": "hi"})) == 0


def test_dropped_captures_are_counted_overall_and_per_probe():
    store, (a, b) = probed("y", "x")
    stranger = anchor("z", 40)
    tracer = Tracer(a, stranger, queue_limit=5)
    tracer.capture(a, *range(8))
    tracer.capture(stranger, *range(7))
    messages = tracer.flush()
    drops = [m for m in messages if m.msg_type is MessageType.DATA_DROPPED]
    assert len(drops) == 2
    assert feed(store, messages) == 5
    store.ingest(wire(MessageType.DATA_DROPPED, payloads.dropped(4)))
    store.ingest(wire(MessageType.DATA_DROPPED, payloads.dropped(1, b)))
    assert store.dropped_total == 3 + 2 + 4 + 1
    assert (store.get(a).dropped, store.get(b).dropped) == (3, 1)


def test_malformed_entries_are_counted_not_raised():
    store, (a,) = probed("y")
    batch = {
        "values": [{"value": 1.0}, "junk", payloads.probe_value_payload(a, 2.0, seq=1)],
        "series": [{"anchor": a, "values": np.zeros(3), "seq": np.arange(2)}],
    }
    assert store.ingest(Message(MessageType.DATA_PROBE_VALUE_BATCH, batch)) == 1
    store.ingest(Message(MessageType.DATA_DROPPED, {"count": "many", "anchor": None}))
    assert store.malformed == 4
    assert store.get(a).latest == 2.0


# -- states --------------------------------------------------------------------------


def test_a_probe_goes_stale_without_values_while_running_and_live_again():
    store, (a, quiet) = probed("y", "never")
    store.ingest(single(a, 1.0, seq=0), now=100.0)
    probe = store.get(a)
    assert probe.state is ProbeState.LIVE and probe.last_update == 100.0
    assert store.mark_stale(100.0 + STALE_AFTER - 0.01, running=True) == []
    assert store.mark_stale(100.0 + STALE_AFTER + 5, running=False) == []  # paused or ended
    version = probe.version
    assert store.mark_stale(100.0 + STALE_AFTER, running=True) == [probe]
    assert probe.state is ProbeState.STALE and probe.version > version
    assert store.get(quiet).state is ProbeState.ARMED  # never had a value: not stale
    store.ingest(single(a, 2.0, seq=1), now=103.0)
    assert probe.state is ProbeState.LIVE
    assert store.mark_stale(104.0, running=True) == []


def test_versions_move_on_with_each_update():
    store, (a, b) = probed("y", "x")
    before = store.get(b).version
    versions = [store.get(a).version]
    for seq in range(3):
        store.ingest(single(a, float(seq), seq=seq))
        versions.append(store.get(a).version)
    assert versions == sorted(set(versions))
    assert store.get(b).version == before


def test_reset_run_forgets_values_and_arms_the_probes():
    store, (a, b) = probed("y", "x", keep_all=True)
    tracer = Tracer(a, b, queue_limit=3)
    tracer.capture(a, 1.0, 2.0, 3.0, 4.0)
    tracer.capture(b, np.ones(3))
    feed(store, tracer.flush(), now=5.0)
    store.get(b).state = ProbeState.INVALID
    store.reset_run()
    probe = store.get(a)
    assert probe.state is ProbeState.ARMED
    assert store.get(b).state is ProbeState.INVALID
    assert (probe.latest, probe.dtype, probe.last_update, probe.update_count) == (
        None,
        None,
        None,
        0,
    )
    assert len(probe.history) == 0 and probe.all_values == [] and probe.dropped == 0
    assert (store.dropped_total, store.ignored) == (0, 0)
    store.ingest(single(a, 7.0, seq=0))  # a new run numbers from 0 again
    assert probe.history.values().tolist() == [7.0] and probe.all_values == [7.0]


# -- the probe set ---------------------------------------------------------------------


def test_colours_are_distinct_until_the_palette_runs_out_then_cycle():
    assert len(set(PALETTE)) == len(PALETTE) == 10
    assert all(re.fullmatch(r"#[0-9a-f]{6}", color) for color in PALETTE)
    store = ProbeStore()
    probes = [store.add(anchor(f"v{k}", k + 1), 1, "") for k in range(12)]
    assert [p.color for p in probes] == [*PALETTE, PALETTE[0], PALETTE[1]]
    store.remove(probes[2].anchor)
    assert store.add(anchor("w", 50), 1, "").color == PALETTE[2]
    assert store.add(anchor("u", 51), 1, "", color="#123456").color == "#123456"


def test_probes_keep_insertion_order_names_and_specs():
    store = ProbeStore()
    a = store.add(anchor("y", 12, 4), 2, "x = y + y", lens="waveform")
    b = store.add(anchor("x", 3), 1, "x = 1")
    assert list(store) == [a, b] and len(store) == 2
    assert (a.name, a.spec, a.lens, b.lens) == ("y @ 12", "12:y:2", "waveform", None)
    assert store.get(anchor("y", 12, 4)) is a and anchor("x", 3) in store
    with pytest.raises(ValueError, match="already probed"):
        store.add(anchor("x", 3), 1, "x = 1")
    assert store.remove(anchor("nothing", 9)) is None
    assert store.remove(anchor("y", 12, 4)) is a and list(store) == [b]


# -- re-anchoring after an edit ----------------------------------------------------------


def site(index: SourceIndex, line: int, symbol: str, occurrence: int = 1):
    return next(s for s in index.on_line(line) if s.symbol == symbol and s.occurrence == occurrence)


def probe_sites(store: ProbeStore, index: SourceIndex, *where):
    for line, symbol in where:
        found = site(index, line, symbol)
        store.add(found.anchor(SCRIPT), found.occurrence, index.line_text(line))


def test_relocation_follows_a_moved_line_invalidates_a_changed_one_and_restores_it():
    before = SourceIndex(DSP, SCRIPT)
    store = ProbeStore()
    probe_sites(store, before, (3, "fs"), (8, "y"), (10, "power"))
    fs, y, power = store
    fs_anchor = fs.anchor
    store.ingest(single(y.anchor, 1.0, seq=0))

    inserted = DSP.replace("h = np.hamming", "# a 31-tap window\nh = np.hamming")
    moved = SourceIndex(inserted, SCRIPT)
    changed = store.relocate(moved)
    assert [(p.name, new) for p, new in changed] == [
        ("y @ 9", site(moved, 9, "y").anchor(SCRIPT)),
        ("power @ 11", site(moved, 11, "power").anchor(SCRIPT)),
    ]
    assert fs.anchor is fs_anchor  # above the insertion: untouched
    assert power.line_text == moved.line_text(11) == "power = np.mean(y * y)"
    assert y.state is ProbeState.LIVE  # a move keeps what the run showed
    assert store.get(site(moved, 9, "y").anchor(SCRIPT)) is y
    assert store.ingest(single(site(moved, 9, "y").anchor(SCRIPT), 2.0, seq=1)) == 1
    assert store.ingest(single(site(before, 8, "y").anchor(SCRIPT), 3.0, seq=2)) == 0

    edited = SourceIndex(inserted.replace('mode="same"', 'mode="full"'), SCRIPT)
    assert store.relocate(edited) == [(y, None)]
    assert y.state is ProbeState.INVALID
    assert store.ingest(single(y.anchor, 4.0, seq=3)) == 0  # an INVALID probe takes nothing
    assert store.relocate(edited) == []  # nothing new

    restored = store.relocate(SourceIndex(DSP, SCRIPT))  # the edit undone, the line removed
    assert [(p.name, new) for p, new in restored] == [
        ("y @ 8", site(before, 8, "y").anchor(SCRIPT)),
        ("power @ 10", site(before, 10, "power").anchor(SCRIPT)),
    ]
    assert y.state is ProbeState.ARMED and y.line_text == before.line_text(8)


def test_a_deleted_line_gives_its_place_to_the_probe_below():
    before = SourceIndex(DSP, SCRIPT)
    store = ProbeStore()
    probe_sites(store, before, (8, "y"), (9, "y"))
    first, second = store
    deleted = SourceIndex(DSP.replace('y = np.convolve(x, h, mode="same")\n', ""), SCRIPT)
    changed = store.relocate(deleted)
    assert changed == [(first, None), (second, site(deleted, 8, "y").anchor(SCRIPT))]
    assert first.anchor == second.anchor  # the stale anchor of the INVALID one is shared
    assert store.get(second.anchor) is second
    assert store.ingest(single(second.anchor, 1.0, seq=0)) == 1 and first.update_count == 0

    back = store.relocate(SourceIndex(DSP, SCRIPT))
    assert {p.name for p, _ in back} == {"y @ 8", "y @ 9"}
    assert (first.state, first.anchor) == (ProbeState.ARMED, site(before, 8, "y").anchor(SCRIPT))
    assert second.anchor == site(before, 9, "y").anchor(SCRIPT)


def test_a_probe_never_moves_onto_a_place_another_probe_keeps():
    twice = DSP.replace("y = y * 2.0\n", "y = y * 2.0\ny = y * 2.0\n")
    before = SourceIndex(twice, SCRIPT)
    store = ProbeStore()
    probe_sites(store, before, (9, "y"), (10, "y"))
    kept, gone = store
    assert store.relocate(SourceIndex(DSP, SCRIPT)) == [(gone, None)]  # the copy deleted
    assert kept.state is ProbeState.ARMED and gone.state is ProbeState.INVALID
    assert store.get(kept.anchor) is kept


def test_a_text_that_does_not_parse_changes_nothing():
    before = SourceIndex(DSP, SCRIPT)
    store = ProbeStore()
    probe_sites(store, before, (8, "y"))
    assert store.relocate(SourceIndex(DSP + "y = (\n", SCRIPT)) == []
    assert next(iter(store)).state is ProbeState.ARMED


# -- the watch list's statistics --------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (np.array([]), {"dtype": "float64", "shape": (0,), "min": None, "max": None}),
        (np.full(4, np.nan), {"shape": (4,), "min": None, "max": None, "mean": None}),
        (np.array([1.0, np.nan, 3.0]), {"min": 1.0, "max": 3.0, "mean": 2.0}),
        (np.array([3 + 4j, 0j, -6 + 8j]), {"dtype": "complex128", "min": 0.0, "max": 10.0}),
        (np.array([np.nan + 0j, 1j]), {"min": 1.0, "max": 1.0, "mean": 1.0}),
        (np.array([2**62, -5], dtype=np.int64), {"min": -5, "max": 2**62}),
        (np.array([True, False, True, True]), {"min": 0, "max": 1, "mean": 0.75}),
        (np.array([[1.0, 2.0], [3.0, 6.0]]), {"shape": (2, 2), "mean": 3.0}),
        (np.array(["a", "b"]), {"dtype": "<U1", "min": None, "mean": None}),
        (np.float32(1.5), {"dtype": "scalar", "value": np.float32(1.5)}),
        (np.array(2.5), {"dtype": "scalar", "value": 2.5}),
        (7, {"dtype": "scalar", "value": 7}),
        ([np.zeros(2), np.ones(3)], {"dtype": "list", "count": 2}),
        (None, {"dtype": None, "value": None}),
    ],
)
def test_summary_describes_edge_values_without_warnings(value, expected):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = summary(value)
    assert {key: got[key] for key in expected} == expected


def test_summary_of_infinities_and_waveforms():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        infinite = summary(np.array([-np.inf, 0.0, np.inf]))
        wave = summary({"samples": np.array([1.0, -1.0]), "t0": 0.5, "dt": 1e-3})
    assert (infinite["min"], infinite["max"]) == (-np.inf, np.inf)
    assert np.isnan(infinite["mean"])
    assert wave == {
        "dtype": "float64",
        "shape": (2,),
        "min": -1.0,
        "max": 1.0,
        "mean": 0.0,
        "t0": 0.5,
        "dt": 1e-3,
    }
