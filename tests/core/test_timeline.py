"""The run's timeline: recordings of a real DSP script made by the real tracer, replayed
and checked against the values the script computes (worked out here independently),
plus damaged files, the live path's memory budget, and speed on a million captures."""

from __future__ import annotations

import re
import time
import weakref

import numpy as np
import pytest

from pyprobe.core.timeline import (
    ARRAY_OVERHEAD,
    CAPTURE_OVERHEAD,
    DEFAULT_BUDGET_BYTES,
    SCALAR_OVERHEAD,
    Capture,
    RecordingError,
    TextEvent,
    Timeline,
)
from pyprobe.exceptions import PyProbeError
from pyprobe_wire import (
    FrameReader,
    Message,
    MessageType,
    ProbeAnchor,
    decode_message,
    encode_message,
)
from tests._support.fake_gui import captures, run_tracer

# -- the script and what it computes -------------------------------------------------------

FS = 8000.0
F0 = 440.0
TAPS = 8
BLOCKS = 24
PRINT_EVERY = 5

# An NCO feeding a moving-average filter, one sample a block: `frame` (the filter's
# window, an array) and `level` (its output, a scalar) change every block, a line is
# printed every PRINT_EVERY blocks, and the script ends with an exception.
#
# The tracer sends what it queued every 20 ms, queued text before queued captures, so
# text is only placed exactly when the captures before it were sent before it was
# written: the script pauses (far longer than 20 ms) before and after each print.
SCRIPT = f"""\
import sys
import time

import numpy as np

PAUSE = 0.1
phase = 0.0
window = np.zeros({TAPS})
for k in range({BLOCKS}):
    phase = (phase + 2.0 * np.pi * {F0} / {FS}) % (2.0 * np.pi)
    window = np.roll(window, 1)
    window[0] = np.cos(phase)
    frame = window.copy()
    level = float(frame.mean())
    if k % {PRINT_EVERY} == {PRINT_EVERY - 1}:
        time.sleep(PAUSE)
        sys.stdout.write(f"k={{k}} level={{level:.6f}}\\n")
        time.sleep(PAUSE / 2)
raise RuntimeError("stopped after {BLOCKS} blocks")
"""


def line_of(text: str) -> int:
    return next(n for n, line in enumerate(SCRIPT.splitlines(), 1) if line.strip() == text)


FRAME_LINE = line_of("frame = window.copy()")
LEVEL_LINE = line_of("level = float(frame.mean())")


def expected_signal() -> tuple[np.ndarray, np.ndarray]:
    """(frames, levels) of every block, computed in one go rather than block by block."""
    blocks = np.arange(BLOCKS)
    samples = np.cos(np.mod((blocks + 1) * 2.0 * np.pi * F0 / FS, 2.0 * np.pi))
    padded = np.concatenate([np.zeros(TAPS - 1), samples])
    frames = np.stack([padded[k : k + TAPS][::-1] for k in blocks])  # newest sample first
    levels = np.convolve(samples, np.full(TAPS, 1.0 / TAPS))[:BLOCKS]
    return frames, levels


FRAMES, LEVELS = expected_signal()


def read_messages(data: bytes) -> list[Message]:
    reader = FrameReader()
    reader.feed(data)
    return reader.messages()


def capture_seqs(messages: list[Message], symbol: str) -> list[int]:
    """The seqs of the captures of ``symbol``, straight from the messages."""
    return [seq for seq, _ in captures(messages, symbol)]


def frame_boundaries(data: bytes) -> list[int]:
    """Where each frame starts, and the end of the data: from the length prefixes."""
    starts, at = [], 0
    while at < len(data):
        starts.append(at)
        at += 8 + int.from_bytes(data[at + 4 : at + 8], "big")
    assert at == len(data)
    return [*starts, at]


class Run:
    """One recorded run of SCRIPT and the facts about it taken from outside the Timeline."""

    def __init__(self, tmp_path_factory):
        directory = tmp_path_factory.mktemp("timeline")
        self.script = directory / "nco_filter.py"
        self.script.write_text(SCRIPT)
        self.record = directory / "run.ppr"
        self.result = run_tracer(
            "--probe",
            f"{FRAME_LINE}:frame",
            "--probe",
            f"{LEVEL_LINE}:level",
            "--record",
            self.record,
            self.script,
        )
        self.data = self.record.read_bytes()
        self.messages = read_messages(self.data)
        self.frame_seqs = capture_seqs(self.messages, "frame")
        self.level_seqs = capture_seqs(self.messages, "level")
        # What the script printed, and in which block: from its own stdout.
        self.lines = self.result.stdout.splitlines(keepends=True)
        self.printed_in = [int(re.match(r"k=(\d+) ", line)[1]) for line in self.lines]

    def text_up_to_block(self, block: int) -> str:
        """The lines printed by the end of ``block`` (-1: none)."""
        return "".join(
            line for line, k in zip(self.lines, self.printed_in, strict=True) if k <= block
        )


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Run:
    return Run(tmp_path_factory)


@pytest.fixture(scope="module")
def timeline(run) -> Timeline:
    return Timeline.from_file(run.record)


def by_symbol(state: dict) -> dict[str, Capture]:
    return {anchor.symbol: capture for anchor, capture in state.items()}


# -- a real recording ----------------------------------------------------------------------


@pytest.mark.e2e
def test_the_recorded_run_is_what_the_script_did(run):
    """The ground the other tests stand on: the run, its prints and its capture order."""
    assert run.result.returncode == 1, run.result.stderr
    assert run.result.stderr.endswith(f"RuntimeError: stopped after {BLOCKS} blocks\n")
    assert run.printed_in == list(range(PRINT_EVERY - 1, BLOCKS, PRINT_EVERY))
    for line, k in zip(run.lines, run.printed_in, strict=True):
        assert float(line.split("level=")[1]) == pytest.approx(LEVELS[k], abs=1e-6)
    assert len(run.frame_seqs) == len(run.level_seqs) == BLOCKS
    # Each block captures frame, then level, before the next block does.
    order = [seq for pair in zip(run.frame_seqs, run.level_seqs, strict=True) for seq in pair]
    assert order == sorted(order) and len(set(order)) == 2 * BLOCKS


@pytest.mark.e2e
def test_the_run_facts(run, timeline):
    assert not timeline.truncated and timeline.problem is None
    assert timeline.path == str(run.record)
    assert timeline.script == str(run.script)
    assert timeline.ended and timeline.exit_code == 1 and timeline.stopped is False
    assert timeline.dropped == 0 and timeline.dropped_by_anchor == {}
    assert timeline.malformed == 0 and timeline.evicted == 0
    assert timeline.exception["type"] == "RuntimeError"
    assert timeline.exception["message"] == f"stopped after {BLOCKS} blocks"
    assert [a.symbol for a in timeline.anchors] == ["frame", "level"]
    assert [a.line for a in timeline.anchors] == [FRAME_LINE, LEVEL_LINE]
    assert len(timeline) == 2 * BLOCKS
    assert timeline.first_seq == run.frame_seqs[0]
    assert timeline.last_seq == run.level_seqs[-1]
    assert timeline.positions.dtype == np.int64
    assert timeline.positions.tolist() == sorted(run.frame_seqs + run.level_seqs)


@pytest.mark.e2e
def test_state_at_is_what_the_script_held_then(run, timeline):
    assert timeline.state_at(run.frame_seqs[0] - 1) == {}
    for k in (0, 1, 7, 13, BLOCKS - 1):
        # Right after the block's level: both probes hold block k's values.
        state = by_symbol(timeline.state_at(run.level_seqs[k]))
        assert set(state) == {"frame", "level"}
        np.testing.assert_allclose(state["frame"].value, FRAMES[k], rtol=0, atol=1e-12)
        assert state["level"].value == pytest.approx(LEVELS[k], abs=1e-12)
        assert state["frame"].seq == run.frame_seqs[k]
        assert state["level"].seq == run.level_seqs[k]
        # Between frame and level of block k: the frame is new, the level the last one.
        state = by_symbol(timeline.state_at(run.frame_seqs[k]))
        np.testing.assert_allclose(state["frame"].value, FRAMES[k], rtol=0, atol=1e-12)
        if k == 0:
            assert "level" not in state
        else:
            assert state["level"].value == pytest.approx(LEVELS[k - 1], abs=1e-12)
    capture = timeline.state_at(timeline.last_seq)[timeline.anchors[0]]
    assert (capture.dtype, capture.shape) == ("array_1d", (TAPS,))
    assert not capture.value.flags.writeable
    assert isinstance(capture.timestamp_ns, int) and capture.timestamp_ns > 0
    level = timeline.state_at(timeline.last_seq)[timeline.anchors[1]]
    assert (level.dtype, level.shape, type(level.value)) == ("scalar", None, float)


@pytest.mark.e2e
def test_text_at_holds_exactly_the_lines_printed_by_then(run, timeline):
    assert timeline.text_at(run.frame_seqs[0] - 1) == ""
    for k in range(BLOCKS):
        # The print of block k comes after its level capture.
        assert timeline.text_at(run.frame_seqs[k]) == run.text_up_to_block(k - 1), k
        if k < BLOCKS - 1:
            assert timeline.text_at(run.level_seqs[k]) == run.text_up_to_block(k), k
    # After the last capture, the exception: its traceback shown once, though the tracer
    # also echoes it on stderr.
    traceback = timeline.exception["traceback"]
    assert traceback == run.result.stderr
    assert timeline.last_seq == run.level_seqs[-1]
    assert timeline.text_at(timeline.last_seq) == run.result.stdout + traceback
    streams = [event.stream for event in timeline.text_events]
    assert streams == ["stdout"] * len(run.lines) + ["exception"]
    assert all(isinstance(event, TextEvent) for event in timeline.text_events)


@pytest.mark.e2e
def test_history_at_is_the_level_sequence(run, timeline):
    level, frame = timeline.anchors[1], timeline.anchors[0]
    for k in (0, 3, 10, BLOCKS - 1):
        seqs, values = timeline.history_at(level, run.level_seqs[k], limit=5)
        first = max(0, k - 4)
        assert seqs.tolist() == run.level_seqs[first : k + 1]
        np.testing.assert_allclose(values, LEVELS[first : k + 1], rtol=0, atol=1e-12)
    seqs, values = timeline.history_at(level, run.frame_seqs[6], limit=None)  # mid-block 6
    assert seqs.tolist() == run.level_seqs[:6]
    np.testing.assert_allclose(values, LEVELS[:6], rtol=0, atol=1e-12)
    assert len(timeline.history_at(level, run.frame_seqs[0])[0]) == 0
    assert len(timeline.history_at(frame, timeline.last_seq)[0]) == 0  # arrays: no history
    assert len(timeline.history_at(level, timeline.last_seq, limit=0)[0]) == 0


@pytest.mark.e2e
def test_step_walks_every_position(run, timeline):
    everything = sorted(run.frame_seqs + run.level_seqs)
    walked = [timeline.step(timeline.first_seq - 1, +1)]
    while (nxt := timeline.step(walked[-1], +1)) != walked[-1]:
        walked.append(nxt)
    assert walked == everything
    back = [timeline.step(timeline.last_seq + 1, -1)]
    while (prev := timeline.step(back[-1], -1)) != back[-1]:
        back.append(prev)
    assert back == everything[::-1]
    assert timeline.step(everything[3], 5) == everything[8]
    assert timeline.step(everything[3], -10) == everything[0]
    assert timeline.step(everything[-3], 10) == everything[-1]
    with pytest.raises(ValueError):
        timeline.step(everything[0], 0)


# -- damaged and foreign files ---------------------------------------------------------------


def timeline_of(messages: list[Message]) -> Timeline:
    timeline = Timeline(budget_bytes=None)
    for message in messages:
        timeline.add(message)
    return timeline


def assert_same(got: Timeline, want: Timeline) -> None:
    assert got.positions.tolist() == want.positions.tolist()
    assert got.text_at(1 << 62) == want.text_at(1 << 62)
    assert got.ended == want.ended
    if len(want):
        mine, theirs = got.state_at(want.last_seq), want.state_at(want.last_seq)
        assert mine.keys() == theirs.keys()
        for anchor, capture in theirs.items():
            assert mine[anchor].seq == capture.seq
            np.testing.assert_array_equal(mine[anchor].value, capture.value)


@pytest.mark.e2e
@pytest.mark.parametrize("where", ["prefix", "middle", "last byte"])
def test_a_cut_recording_keeps_its_complete_messages(run, tmp_path, where):
    bounds = frame_boundaries(run.data)
    kept = len(run.messages) // 2  # cut inside the frame of this message
    start, end = bounds[kept], bounds[kept + 1]
    cut = {"prefix": start + 3, "middle": (start + end) // 2, "last byte": end - 1}[where]
    path = tmp_path / "cut.ppr"
    path.write_bytes(run.data[:cut])
    timeline = Timeline.from_file(path)
    assert timeline.truncated
    assert str(path) in timeline.problem and "cut short" in timeline.problem
    assert f"{cut - start} bytes" in timeline.problem
    assert f"the {kept} complete messages" in timeline.problem
    assert_same(timeline, timeline_of(run.messages[:kept]))
    assert not timeline.ended and timeline.exit_code is None


@pytest.mark.e2e
def test_a_recording_cut_between_frames_is_complete_but_not_ended(run, tmp_path):
    bounds = frame_boundaries(run.data)
    path = tmp_path / "cut.ppr"
    path.write_bytes(run.data[: bounds[-2]])  # without DATA_SCRIPT_END
    timeline = Timeline.from_file(path)
    assert not timeline.truncated and timeline.problem is None
    assert not timeline.ended and len(timeline) == 2 * BLOCKS


@pytest.mark.e2e
def test_a_damaged_frame_keeps_the_messages_before_it(run, tmp_path):
    bounds = frame_boundaries(run.data)
    data = bytearray(run.data)
    data[bounds[3] : bounds[3] + 4] = b"JUNK"  # the magic of the fourth frame
    path = tmp_path / "damaged.ppr"
    path.write_bytes(bytes(data))
    timeline = Timeline.from_file(path)
    assert timeline.truncated
    assert "damaged" in timeline.problem and "bad magic" in timeline.problem
    assert_same(timeline, timeline_of(run.messages[:3]))


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "is empty"),
        (b"Hello, this is a WAV file, honestly.\n" * 20, "bad magic b'Hell'"),
        (b"PPR", "ends inside its first frame"),
        (b"PP\x00", "does not start with b'PPR*'"),
        (encode_message(Message(MessageType.DATA_SCRIPT_START, {}))[:20], "first frame"),
        (encode_message(Message(MessageType.CMD_START, None)), "its first message is CMD_START"),
    ],
)
def test_a_file_that_is_not_a_recording_is_refused(tmp_path, content, problem):
    path = tmp_path / "not-a-recording.bin"
    path.write_bytes(bytes(content))
    with pytest.raises(RecordingError) as caught:
        Timeline.from_file(path)
    assert str(path) in str(caught.value)
    assert problem in str(caught.value)
    assert caught.value.path == str(path)
    assert isinstance(caught.value, PyProbeError)


def test_a_missing_file_is_a_recording_error(tmp_path):
    path = tmp_path / "nowhere.ppr"
    with pytest.raises(RecordingError, match=r"cannot read the recording .*nowhere\.ppr"):
        Timeline.from_file(path)


# -- the live path and its budget ------------------------------------------------------------


def capture_costs(messages: list[Message]) -> list[tuple[int, int]]:
    """(seq, cost) of every capture, by the documented rule, straight from the messages."""
    costs = []
    for message in messages:
        if message.msg_type is not MessageType.DATA_PROBE_VALUE_BATCH:
            assert message.msg_type is not MessageType.DATA_PROBE_VALUE  # not in this run
            continue
        for entry in message.payload["values"]:
            assert isinstance(entry["value"], np.ndarray)
            costs.append((entry["seq"], CAPTURE_OVERHEAD + ARRAY_OVERHEAD + entry["value"].nbytes))
        for column in message.payload.get("series", []):
            costs += [(seq, SCALAR_OVERHEAD) for seq in column["seq"].tolist()]
    return sorted(costs)


@pytest.mark.e2e
@pytest.mark.parametrize("budget", [0, 300, 1000, 3000])
def test_the_live_budget_keeps_the_newest_captures_that_fit(run, budget):
    timeline = Timeline(budget_bytes=budget)
    for message in run.messages:
        timeline.add(message)
    costs = capture_costs(run.messages)
    kept, used = [], 0
    for seq, cost in reversed(costs):  # newest first, while they fit
        if used + cost > budget:
            break
        kept.append(seq)
        used += cost
    assert timeline.positions.tolist() == kept[::-1]
    assert len(timeline) == len(kept)
    assert timeline.evicted == len(costs) - len(kept)
    assert timeline.bytes_used == used <= budget
    assert timeline.text_at(1 << 62) == Timeline.from_file(run.record).text_at(1 << 62)
    if kept:  # what is kept reads back unchanged
        state = by_symbol(timeline.state_at(timeline.last_seq))
        np.testing.assert_allclose(state["frame"].value, FRAMES[-1], rtol=0, atol=1e-12)
        assert state["level"].value == pytest.approx(LEVELS[-1], abs=1e-12)


def anchor(symbol: str, line: int = 1) -> ProbeAnchor:
    return ProbeAnchor(file="/project/dsp.py", line=line, col=0, symbol=symbol)


def value(a: ProbeAnchor, v, seq: int, dtype: str = "scalar", shape=None) -> dict:
    return {
        "anchor": a,
        "value": v,
        "dtype": dtype,
        "shape": shape,
        "seq": seq,
        "timestamp_ns": 1000 + seq,
        "logical_order": seq,
    }


def batch(values=(), series=()) -> Message:
    return Message(
        MessageType.DATA_PROBE_VALUE_BATCH, {"values": list(values), "series": list(series)}
    )


def column(a: ProbeAnchor, values, seqs) -> dict:
    seqs = np.asarray(seqs, np.int64)
    return {
        "anchor": a,
        "dtype": "scalar",
        "values": np.asarray(values),
        "seq": seqs,
        "timestamp_ns": seqs + 1000,
    }


def test_live_adds_account_bytes_and_evict_the_oldest_first():
    x, y = anchor("x"), anchor("y", 2)
    timeline = Timeline(budget_bytes=4 * (CAPTURE_OVERHEAD + ARRAY_OVERHEAD + 800))
    assert Timeline().budget_bytes == DEFAULT_BUDGET_BYTES == 256 * 1024 * 1024
    for seq in range(0, 12, 2):
        timeline.add(batch([value(x, np.full(100, float(seq)), seq, "array_1d", [100])]))
        timeline.add(batch(series=[column(y, [seq + 0.5], [seq + 1])]))
    # Each array counts 64 + 128 + 800 bytes, each scalar 32: newest first, the budget
    # holds three arrays and four scalars; the array at seq 4 does not fit next to them.
    array_cost = CAPTURE_OVERHEAD + ARRAY_OVERHEAD + 800
    assert timeline.positions.tolist() == [5, 6, 7, 8, 9, 10, 11]
    assert timeline.bytes_used == 3 * array_cost + 4 * SCALAR_OVERHEAD
    assert timeline.evicted == 5
    assert timeline.anchors == [x, y]
    assert timeline.state_at(4) == {}
    assert list(timeline.state_at(5)) == [y]
    state = timeline.state_at(8)
    assert state[x].value[0] == 8.0 and state[y].value == 6.5  # y at seq 7
    seqs, values = timeline.history_at(y, 11)
    assert seqs.tolist() == [5, 7, 9, 11] and values.tolist() == [4.5, 6.5, 8.5, 10.5]
    # A capture larger than the whole budget is not kept either.
    timeline.add(batch([value(x, np.zeros(10_000), 12, "array_1d", [10_000])]))
    assert len(timeline) == 0 and timeline.bytes_used == 0 and timeline.evicted == 13
    assert timeline.first_seq is None and timeline.positions.tolist() == []
    with pytest.raises(ValueError, match="no captures"):
        timeline.step(0)


def test_an_evicted_array_is_freed_and_a_kept_one_does_not_pin_its_frame():
    x = anchor("x")
    cost = CAPTURE_OVERHEAD + ARRAY_OVERHEAD + 8000
    timeline = Timeline(budget_bytes=2 * cost)
    received = decode_message(encode_message(batch([value(x, np.ones(1000), 0, "array_1d")])))
    timeline.add(received)
    kept = timeline.state_at(0)[x].value
    assert not kept.flags.writeable
    # kept as a view only when its frame is little more than the array itself
    owner = kept.base
    while isinstance(owner, np.ndarray):
        owner = owner.base
    assert owner is None or memoryview(owner).nbytes <= kept.nbytes + 64 * 1024
    small = np.arange(10.0)
    both = decode_message(
        encode_message(
            batch(
                [
                    value(x, small, 9, "array_1d"),
                    value(anchor("big"), np.ones(100_000), 10, "array_1d"),
                ]
            )
        )
    )
    lone = Timeline()
    lone.add(both)
    assert lone.state_at(9)[x].value.base is None, "a small array must not pin a big frame"
    oldest = weakref.ref(kept)
    del kept
    for seq in (1, 2):
        timeline.add(batch([value(x, np.zeros(1000), seq, "array_1d")]))
    assert timeline.positions.tolist() == [1, 2] and timeline.evicted == 1
    assert oldest() is None


def test_text_is_placed_after_the_newest_capture_before_it():
    x = anchor("x")
    timeline = Timeline()
    timeline.add(Message(MessageType.DATA_STDOUT, {"text": "before any capture\n"}))
    timeline.add(batch(series=[column(x, [1.0, 2.0], [0, 1])]))
    timeline.add(Message(MessageType.DATA_STDERR, {"text": "after seq 1\n"}))
    timeline.add(batch(series=[column(x, [3.0], [2])]))
    tb = "Traceback (most recent call last):\nValueError: bad\n"
    timeline.add(
        Message(
            MessageType.DATA_EXCEPTION, {"type": "ValueError", "message": "bad", "traceback": tb}
        )
    )
    timeline.add(Message(MessageType.DATA_STDERR, {"text": tb[:20]}))  # the echo, in pieces
    timeline.add(Message(MessageType.DATA_STDERR, {"text": tb[20:] + "more\n"}))
    timeline.add(Message(MessageType.DATA_SCRIPT_END, {"exit_code": 1, "stopped": False}))
    assert timeline.text_at(-1) == "before any capture\n"
    assert timeline.text_at(0) == "before any capture\n"
    assert timeline.text_at(1) == "before any capture\nafter seq 1\n"
    assert timeline.text_at(2) == "before any capture\nafter seq 1\n" + tb + "more\n"
    assert [(e.after_seq, e.stream) for e in timeline.text_events] == [
        (None, "stdout"),
        (1, "stderr"),
        (2, "exception"),
        (2, "stderr"),
    ]
    assert timeline.ended and timeline.exit_code == 1


def test_dropped_counts_out_of_order_parts_and_mixed_values():
    x, y = anchor("x"), anchor("y", 2)
    timeline = Timeline()
    # One send split over two messages, the later seqs first.
    timeline.add(batch(series=[column(x, [5, 6], [5, 6])]))
    timeline.add(batch([value(x, 4, 4), value(y, "text", 3, "unknown")]))
    timeline.add(batch([value(x, 2.5, 7)]))  # an int column meets a float: kept exactly
    timeline.add(Message(MessageType.DATA_DROPPED, {"count": 3, "anchor": x}))
    timeline.add(Message(MessageType.DATA_DROPPED, {"count": 2, "anchor": None}))
    timeline.add(batch(["not an entry"]))
    assert timeline.anchors == [y, x]  # by their first capture
    assert timeline.positions.tolist() == [3, 4, 5, 6, 7]
    assert [timeline.state_at(p)[x].value for p in (4, 5, 6, 7)] == [4, 5, 6, 2.5]
    assert type(timeline.state_at(6)[x].value) is int
    assert timeline.state_at(4)[y] == Capture(3, y, "text", "unknown", None, 1003)
    seqs, values = timeline.history_at(x, 7)
    assert seqs.tolist() == [4, 5, 6, 7] and values.tolist() == [4, 5, 6, 2.5]
    assert timeline.dropped == 5 and timeline.dropped_by_anchor == {x: 3}
    assert timeline.malformed == 1
    assert timeline.bytes_used == 5 * CAPTURE_OVERHEAD  # x turned into an object column


# -- a million captures ----------------------------------------------------------------------

MILLION = 1_000_000
SCALARS = [anchor(f"s{i}", i + 1) for i in range(4)]
ARRAY = anchor("frame", 10)


def million() -> Timeline:
    """Four scalar anchors taking turns, every 1000th capture an array of a fifth, sent
    as the tracer sends them (4096 captures a batch, scalars as series columns)."""
    owner = np.arange(MILLION) % 4
    owner[np.arange(MILLION) % 1000 == 999] = 4
    timeline = Timeline(budget_bytes=None)
    for start in range(0, MILLION, 4096):
        seqs = np.arange(start, min(start + 4096, MILLION), dtype=np.int64)
        mine = owner[seqs]
        series = [column(a, seqs[mine == i] * 0.5, seqs[mine == i]) for i, a in enumerate(SCALARS)]
        arrays = [
            value(ARRAY, np.full(16, float(s)), int(s), "array_1d", [16]) for s in seqs[mine == 4]
        ]
        timeline.add(batch(arrays, series))
    return timeline


def last_own_seq(i: int, position: int) -> int | None:
    """The truth, from the pattern: the last seq <= position that anchor i captured."""
    if i == 4:
        seq = position - (position - 999) % 1000
    else:
        seq = position - (position - i) % 4
        while seq >= 0 and seq % 1000 == 999:
            seq -= 4
    return seq if seq >= 0 else None


@pytest.mark.timing
def test_state_at_is_fast_on_a_million_captures():
    timeline = million()
    assert len(timeline) == MILLION
    assert np.array_equal(timeline.positions, np.arange(MILLION))
    positions = [0, 3, 998, 999, MILLION - 1, *np.random.default_rng(7).integers(0, MILLION, 300)]
    durations = []
    for position in map(int, positions):
        started = time.perf_counter()
        state = timeline.state_at(position)
        durations.append(time.perf_counter() - started)
        for i, a in enumerate([*SCALARS, ARRAY]):
            seq = last_own_seq(i, position)
            if seq is None:
                assert a not in state, (position, i)
            elif a is ARRAY:
                assert state[a].seq == seq and state[a].value[0] == seq, (position, i)
            else:
                assert state[a].seq == seq and state[a].value == seq * 0.5, (position, i)
    median = float(np.median(durations))
    print(
        f"state_at on {MILLION} captures: median {median * 1e6:.0f} us, "
        f"max {max(durations) * 1e6:.0f} us"
    )
    assert median < 0.005
    assert timeline.step(499_999, 1) == 500_000 and timeline.step(500_000, -1) == 499_999
    assert timeline.bytes_used == (MILLION - 1000) * SCALAR_OVERHEAD + 1000 * (
        CAPTURE_OVERHEAD + ARRAY_OVERHEAD + 128
    )
