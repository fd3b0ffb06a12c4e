"""The tpr property pilot: three Hypothesis property tests, marked ``property``.

They are seeded from TPR_SEED by the tpr pytest plugin (``--hypothesis-seed`` wins
when given), so a run is reproducible; no test pins its own seed.

1. wire round trip: decoding an encoded message gives back exactly that message;
2. capture sequence: the tracer's ``seq`` numbers never decrease, are consecutive
   and follow the order of the captures;
3. FrameReader boundaries: whatever the bytes and however they are chunked, the
   reader raises nothing but ProtocolError, and whole valid frames come out intact.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyprobe_tracer.engine.capture_manager import (
    DEFAULT_QUEUE_LIMIT,
    MODE_ALL,
    MODE_SAMPLE,
    CaptureManager,
    Probe,
)
from pyprobe_wire import (
    DEFAULT_MAX_FRAME_BYTES,
    MAGIC,
    DecodeError,
    EncodeError,
    FrameReader,
    Message,
    ProbeAnchor,
    ProtocolError,
    decode_message,
    encode_message,
    encode_message_parts,
)
from tests.ipc.test_wire_properties import (
    assert_same_message,
    messages,
    mutated,
    small_messages,
)

PILOT = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PREFIX = 8  # magic + u32 length
MAX_LENGTH_FIELD = 2**32 - 1


# -- 1. wire round trip -------------------------------------------------------------

# Values the wire refuses by design (README: "other types (sets, bytes, ...)").
UNSUPPORTED = [b"", b"\x00raw", bytearray(b"ba"), {1, 2}, {1: "int key"}, np.array(["str"])]


@pytest.mark.property
@PILOT
@given(msg=messages, unsupported=st.sampled_from(UNSUPPORTED))
def test_property_wire_round_trip(msg, unsupported):
    frame = encode_message(msg)
    decoded = decode_message(frame)
    assert_same_message(decoded, msg)

    joined = b"".join(encode_message_parts(msg))
    assert joined == frame
    assert_same_message(decode_message(joined), msg)
    assert encode_message(decoded) == frame  # what came back encodes to the same bytes

    length = len(frame) - PREFIX  # a frame exactly at the limit passes, one byte over fails
    assert encode_message(msg, max_frame_bytes=length) == frame
    assert_same_message(decode_message(frame, max_frame_bytes=length), msg)
    with pytest.raises(EncodeError):
        encode_message(msg, max_frame_bytes=length - 1)
    with pytest.raises(DecodeError):
        decode_message(frame, max_frame_bytes=length - 1)

    refused = Message(msg.msg_type, [msg.payload, unsupported], msg.timestamp)
    with pytest.raises(EncodeError):
        encode_message(refused)
    with pytest.raises(EncodeError):
        encode_message_parts(refused)


# -- 2. capture sequence numbers ----------------------------------------------------

ANCHORS = [ProbeAnchor("/pilot/script.py", line, 4, f"v{line}") for line in range(1, 5)]
KINDS = ["int", "float", "np_float", "np_int", "list", "array_1d", "array_2d", "collection"]
OPS = ["capture"] * 6 + ["event"] * 2 + ["advance"] * 2
OPS += ["take", "drain", "final", "dropped", "detach", "replace"]


def make_value(kind: str, cid: int):
    """A value of ``kind`` that carries the number of the capture call, ``cid``."""
    return {
        "int": lambda: cid,
        "float": lambda: cid + 0.5,
        "np_float": lambda: np.float64(cid + 0.25),
        "np_int": lambda: np.int32(cid),
        "list": lambda: [cid, "x"],
        "array_1d": lambda: np.arange(cid, cid + 3, dtype=np.float64),
        "array_2d": lambda: np.full((2, 3), cid, dtype=np.int64),
        "collection": lambda: [np.array([cid]), np.arange(2.0)],
    }[kind]()


def scribble(value) -> None:
    """The script changes a mutable value after it was captured."""
    if isinstance(value, np.ndarray):
        value[...] = -1
    elif isinstance(value, list):
        if isinstance(value[0], np.ndarray):
            value[0][...] = -1
        value[0] = -1


def capture_id(value) -> int:
    """The ``cid`` a captured value (as the tracer snapshotted it) carries."""
    if isinstance(value, dict):  # an unknown value's description: {"type", "repr"}
        return ast.literal_eval(value["repr"])[0]
    if isinstance(value, list):  # array_collection: a list of array copies
        return int(value[0][0])
    if isinstance(value, np.ndarray):
        return int(value.flat[0])
    return int(value)


def decode_step(code: int) -> tuple:
    """One step of a program, from one drawn int (a draw per step keeps generation cheap;
    0 is the simplest step: capture an int on the first probe)."""
    code, op = divmod(code, len(OPS))
    code, slot = divmod(code, len(ANCHORS))
    code, kind = divmod(code, len(KINDS))
    op = OPS[op]
    if op in ("capture", "final"):
        return op, slot, KINDS[kind]
    if op == "event":  # 1 to 4 probes (each at most once), with various kinds
        return op, [(slot + i, KINDS[(kind + i) % len(KINDS)]) for i in range(1 + code % 4)]
    if op == "advance":  # 0 to 3 ms: around the sample periods below
        return op, (code % 7) * 500_000
    if op in ("detach", "replace"):
        return op, slot
    return (op,)


PROBE_SPECS = [(MODE_ALL, 60.0), (MODE_SAMPLE, 500.0), (MODE_SAMPLE, 1000.0), (MODE_SAMPLE, 1e6)]

capture_programs = st.tuples(
    st.lists(st.sampled_from(PROBE_SPECS[:1] * 2 + PROBE_SPECS), min_size=2, max_size=4),
    st.sampled_from([1, 3, DEFAULT_QUEUE_LIMIT, DEFAULT_QUEUE_LIMIT]),  # all mode's queue_limit
    st.lists(st.integers(0, 2**20).map(decode_step), min_size=15, max_size=60),
)


def increasing(numbers) -> bool:
    return all(a < b for a, b in pairwise(numbers))


def seen_record(record) -> tuple[int, int, int, int]:
    """(seq, cid, logical_order, timestamp_ns) of a CaptureRecord."""
    return record.seq, capture_id(record.value), record.logical_order, record.timestamp_ns


@dataclass(eq=False)
class Tracked:
    """What the model expects of one Probe object."""

    probe: Probe
    pending: int = 0  # all mode: captures queued since the last take
    next_due: int = 0  # sample mode: the clock value the next sample may be taken at
    latest: int | None = None  # sample mode: cid of the sample waiting to be taken
    attached: bool = True


class CaptureRun:
    """Runs a program against a CaptureManager and a model of what it must deliver."""

    def __init__(self, probes, queue_limit: int) -> None:
        self.now = 10**12
        self.limit = queue_limit
        self.manager = CaptureManager(queue_limit=queue_limit, clock=lambda: self.now)
        self.specs = probes
        self.slots: list[Tracked | None] = [self.attach(i) for i in range(len(probes))]
        self.live: list[Tracked] = list(self.slots)  # attached, or retired and not taken yet
        self.queued: set[int] = set()  # all-mode cids the next take must deliver
        self.dropped: dict[ProbeAnchor, int] = {}
        self.next_cid = 0
        self.clock_at: dict[int, int] = {}  # cid -> clock value when captured
        self.event_of: dict[int, int] = {}  # cid -> event token, -1 for none
        self.next_seq = 0
        self.last_seq = -1
        self.wall_offset: int | None = None

    def attach(self, index: int) -> Tracked:
        mode, max_hz = self.specs[index]
        tracked = Tracked(Probe(ANCHORS[index], mode=mode, max_hz=max_hz))
        self.manager.attach(tracked.probe)
        return tracked

    def slot(self, index: int) -> Tracked | None:
        return self.slots[index % len(self.slots)]

    # -- capture side

    def capture(self, tracked: Tracked, kind: str, event: int = -1, final: bool = False) -> None:
        cid, self.next_cid = self.next_cid, self.next_cid + 1
        value = make_value(kind, cid)
        probe = tracked.probe
        if final:
            tracked.latest = cid  # kept whatever the rate
            self.manager.capture_final(probe, value)
        else:
            if probe.mode == MODE_SAMPLE:
                if self.now >= tracked.next_due:
                    tracked.next_due = self.now + probe.period_ns
                    tracked.latest = cid  # overwrites a sample not taken yet
            elif tracked.pending >= self.limit:
                self.dropped[probe.anchor] = self.dropped.get(probe.anchor, 0) + 1
            else:
                tracked.pending += 1
                self.queued.add(cid)
            keep_observing = not self.manager.capture(probe, value, event)
            if probe.mode == MODE_ALL:
                assert keep_observing
        scribble(value)
        self.clock_at[cid] = self.now
        self.event_of[cid] = event

    def step(self, op: str, *args) -> None:
        if op in ("capture", "final"):
            tracked = self.slot(args[0])
            if tracked is not None:
                final = op == "final" and tracked.probe.mode == MODE_SAMPLE
                self.capture(tracked, args[1], final=final)
        elif op == "event":
            event = self.manager.new_event()
            chosen = {}
            for index, kind in args[0]:  # each probe at most once per trace event
                tracked = self.slot(index)
                if tracked is not None:
                    chosen.setdefault(id(tracked), (tracked, kind))
            for tracked, kind in chosen.values():
                self.capture(tracked, kind, event)
        elif op == "advance":
            self.now += args[0]
        elif op == "take":
            self.take()
        elif op == "drain":
            self.drain()
        elif op == "dropped":
            self.check_dropped()
        elif op in ("detach", "replace"):
            index = args[0] % len(self.slots)
            old = self.slots[index]
            if old is not None:
                old.attached = False
                if op == "detach":
                    self.manager.detach(old.probe.anchor)
                self.slots[index] = None
            if op == "replace":  # a new Probe for the anchor: the old one retires
                self.slots[index] = self.attach(index)
                self.live.append(self.slots[index])
        else:  # pragma: no cover
            raise AssertionError(op)

    # -- sender side

    def take(self) -> None:
        series, records = self.manager.take()
        seen = []  # (seq, cid, logical_order, timestamp_ns)
        for one in series:
            seqs = one.seqs.tolist()
            assert one.seqs.dtype == np.int64
            assert len(seqs) == len(one.values) == len(one.stamps)
            assert increasing(seqs), f"column out of order: {seqs}"
            for value, seq, stamp in zip(one.values, seqs, one.stamps.tolist(), strict=True):
                cid = capture_id(value)
                assert self.event_of[cid] < 0, "a capture of a shared event came as a column"
                seen.append((seq, cid, seq, stamp))
        seen += [seen_record(record) for record in records]
        self.check_take(seen)

    def drain(self) -> None:
        batches = self.manager.drain()
        flat = [record for batch in batches for record in batch]
        seqs = [record.seq for record in flat]
        assert increasing(seqs), f"drain out of seq order: {seqs}"
        orders = []
        events_seen = set()
        for batch in batches:
            assert len({record.logical_order for record in batch}) == 1
            orders.append(batch[0].logical_order)
            events = {self.event_of[capture_id(record.value)] for record in batch}
            if events == {-1}:
                assert len(batch) == 1, "captures that are their own event share a batch"
            else:  # one batch per trace event (each event's captures are contiguous here)
                assert len(events) == 1 and events.isdisjoint(events_seen), batches
                events_seen |= events
        assert increasing(orders), f"batch order: {orders}"
        self.check_take([seen_record(record) for record in flat])

    def check_take(self, seen: list[tuple[int, int, int, int]]) -> None:
        expected = set(self.queued) | {t.latest for t in self.live if t.latest is not None}
        self.queued.clear()
        for tracked in self.live:
            tracked.pending, tracked.latest = 0, None
        self.live = [t for t in self.live if t.attached]  # the retired were taken for good

        seqs = sorted(seq for seq, *_ in seen)
        # Consecutive, no duplicates, continuing where the previous take stopped.
        assert seqs == list(range(self.next_seq, self.next_seq + len(seen))), seqs
        assert not seqs or seqs[0] > self.last_seq
        self.next_seq += len(seen)
        self.last_seq = seqs[-1] if seqs else self.last_seq

        cids = [cid for _, cid, _, _ in sorted(seen)]
        assert sorted(cids) == sorted(expected), "captures lost, duplicated or invented"
        assert cids == sorted(cids), f"seq order is not capture order: {cids}"

        # Timestamps are the capture clock, shifted to wall time by one fixed offset.
        offsets = {stamp - self.clock_at[cid] for _, cid, _, stamp in seen}
        if self.wall_offset is None and offsets:
            self.wall_offset = min(offsets)
        assert offsets <= {self.wall_offset}, offsets

        # logical_order: a capture that is its own event has its seq; the captures of
        # one shared event one order, which is one of their seqs; events never share.
        by_event: dict[int, set[int]] = {}
        seqs_of: dict[int, set[int]] = {}
        for seq, cid, order, _ in seen:
            event = self.event_of[cid]
            if event < 0:
                assert order == seq
            else:
                by_event.setdefault(event, set()).add(order)
                seqs_of.setdefault(event, set()).add(seq)
        for event, orders in by_event.items():
            assert len(orders) == 1 and orders <= seqs_of[event], (event, orders)
        event_orders = [next(iter(orders)) for orders in by_event.values()]
        assert len(set(event_orders)) == len(event_orders)

    def check_dropped(self) -> None:
        assert self.manager.take_dropped() == {a: n for a, n in self.dropped.items() if n}
        self.dropped.clear()


@pytest.mark.property
@PILOT
@given(capture_programs)
def test_property_capture_sequence_never_decreases(program):
    probes, queue_limit, steps = program
    run = CaptureRun(probes, queue_limit)
    for op, *args in steps:
        run.step(op, *args)
    run.take()  # whatever is left
    run.check_dropped()
    assert run.manager.drain() == []


# -- 3. FrameReader on boundary and damaged input ---------------------------------


SEGMENT_KINDS = ["valid"] * 3 + ["edge_length"] * 2 + ["misdeclared", "bad_magic", "truncated"]
SEGMENT_KINDS += ["flipped", "damaged", "garbage"]


@st.composite
def segments(draw, limit: int, kinds: list[str]) -> tuple[bytes, Message | None]:
    """Some bytes of a stream, and the message they encode if they are one valid
    frame within ``limit``."""
    kind = draw(st.sampled_from(kinds))
    if kind == "garbage":
        return draw(st.binary(max_size=32)), None
    if kind == "edge_length":
        length = draw(st.sampled_from([0, 1, 8, 64, limit - 1, *[limit, limit + 1] * 2, 2**32 - 1]))
        length = min(max(length, 0), MAX_LENGTH_FIELD)
        if length <= 512 and draw(st.booleans()):
            body = draw(st.binary(min_size=length, max_size=length))
        else:
            body = draw(st.binary(max_size=min(length, 24)))
        return MAGIC + length.to_bytes(4, "big") + body, None
    msg = draw(small_messages)
    frame = bytes(encode_message(msg))
    if kind == "valid":
        return frame, (msg if len(frame) - PREFIX <= limit else None)
    if kind == "misdeclared":
        declared = draw(st.sampled_from([0, 1, len(frame) - PREFIX - 1, len(frame) - PREFIX + 1]))
        return frame[:4] + declared.to_bytes(4, "big") + frame[PREFIX:], None
    if kind == "bad_magic":
        bit = draw(st.integers(0, 31))
        magic = (int.from_bytes(MAGIC, "big") ^ (1 << bit)).to_bytes(4, "big")
        return draw(st.sampled_from([magic, b"\0\0\0\0", b"PPR+", MAGIC[::-1]])) + frame[4:], None
    if kind == "truncated":
        return frame[: draw(st.integers(0, len(frame) - 1))], None
    if kind == "flipped":
        data = bytearray(frame)
        for _ in range(draw(st.integers(1, 3))):
            data[draw(st.integers(0, len(data) - 1))] ^= 1 << draw(st.integers(0, 7))
        return bytes(data), None
    return draw(mutated(frame)), None  # "damaged": body edits with a matching length


@st.composite
def reader_cases(draw):
    edges = [MAX_LENGTH_FIELD, 2**32, 1, 8, 64, 65, None, None]
    limit = draw(st.sampled_from([DEFAULT_MAX_FRAME_BYTES] * 6 + edges))
    if limit is None:
        limit = draw(st.integers(64, 2000))  # some frames fit, some do not
    kinds = draw(
        st.sampled_from([["valid"], ["valid", "edge_length"], SEGMENT_KINDS, SEGMENT_KINDS])
    )
    parts = draw(st.lists(segments(limit, kinds), min_size=1, max_size=5))
    size = sum(len(data) for data, _ in parts)
    cuts = (
        "bytewise"
        if draw(st.integers(0, 5)) == 0
        else sorted(draw(st.lists(st.integers(0, size), max_size=12)))
    )
    feed_as = draw(st.sampled_from([bytes, bytearray, memoryview]))
    pull = draw(st.sampled_from(["iterate", "next_message", "messages"]))
    return limit, parts, cuts, feed_as, pull


def expected_from(stream: bytes, limit: int):
    """What a reader must give for ``stream``: the decoded messages with the offset
    each frame ends at, the offset the stream turns invalid at (None if never) and
    the bytes left buffered."""
    out, pos = [], 0
    while True:
        if len(stream) - pos < PREFIX:
            return out, None, len(stream) - pos
        length = int.from_bytes(stream[pos + 4 : pos + PREFIX], "big")
        if stream[pos : pos + 4] != MAGIC or length > limit:
            return out, pos + PREFIX, 0  # refused from the prefix alone
        end = pos + PREFIX + length
        if end > len(stream):
            return out, None, len(stream) - pos
        try:
            out.append((end, decode_message(stream[pos:end], max_frame_bytes=limit)))
        except ProtocolError:
            return out, end, 0
        pos = end


def pull_all(reader: FrameReader, how: str) -> list[Message]:
    if how == "iterate":
        return list(reader)
    if how == "messages":
        return reader.messages()
    got = []
    while (msg := reader.next_message()) is not None:
        got.append(msg)
    return got


@pytest.mark.property
@PILOT
@given(reader_cases())
def test_property_frame_reader_boundaries(case):
    limit, parts, cuts, feed_as, pull = case
    stream = b"".join(data for data, _ in parts)
    if cuts == "bytewise":
        cuts = range(1, len(stream))
    chunks = zip([0, *cuts], [*cuts, len(stream)], strict=True)
    expected, bad_at, buffered = expected_from(stream, limit)
    reader = FrameReader(max_frame_bytes=limit)
    got: list[Message] = []
    error = None
    for start, end in chunks:
        chunk = feed_as(bytearray(stream[start:end]))
        try:
            reader.feed(chunk)
        except ProtocolError as raised:  # anything else fails the test
            error = raised
            assert bad_at is not None and start < bad_at <= end, (bad_at, start, end)
            break
        finally:
            if isinstance(chunk, (bytearray, memoryview)):
                chunk[:] = bytes(len(chunk))  # the reader kept no reference to it
        got += pull_all(reader, pull)
        # Each frame is decoded as soon as its last byte is in.
        assert len(got) == sum(1 for frame_end, _ in expected if frame_end <= end)

    if error is None:
        assert bad_at is None
        assert reader.buffered_bytes == buffered
    else:  # poisoned: the messages completed before the damage, then that error for good
        while True:
            try:
                msg = reader.next_message()
            except ProtocolError as again:
                assert again is error
                break
            assert isinstance(msg, Message)
            got.append(msg)
        for call in (reader.next_message, reader.messages, lambda: list(reader)):
            with pytest.raises(ProtocolError) as again:
                call()
            assert again.value is error
        with pytest.raises(ProtocolError) as again:
            reader.feed(b"more")
        assert again.value is error

    assert len(got) == len(expected)
    for msg, (_, want) in zip(got, expected, strict=True):
        assert_same_message(msg, want)
    # Valid frames at the head of the stream come out as exactly the messages encoded.
    leading = []
    for _, msg in parts:
        if msg is None:
            break
        leading.append(msg)
    assert len(got) >= len(leading)
    for msg, want in zip(got[: len(leading)], leading, strict=True):
        assert_same_message(msg, want)
    if len(leading) == len(parts):
        assert error is None and len(got) == len(parts) and reader.buffered_bytes == 0
