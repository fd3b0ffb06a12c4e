"""``python -m pyprobe_wire dump FILE``: a recording as a table, one row per captured value.

A recording (``python -m pyprobe_tracer --record FILE``) is a sequence of wire frames.
The file is read in chunks through a FrameReader, so memory holds about one frame
however long the recording, and rows are printed as soon as their frame is decoded.

Reading (``open_recording``), turning messages into rows (``message_rows``), short
value text (``value_text``) and printing (``TableWriter``, ``JsonWriter``) are
separate steps; ``main`` wires them to the command line. numpy is never imported
here: a recording that holds arrays has loaded it while decoding them.
"""

from __future__ import annotations

import argparse
import heapq
import json
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from typing import IO, Any, NamedTuple

from .anchor import ProbeAnchor
from .constants import MAGIC
from .exceptions import ProtocolError
from .message import Message
from .message_type import MessageType
from .stream import FrameReader

EXIT_OK = 0
EXIT_INTERRUPTED = 1  # the recording ends mid-frame, or holds no message at all
EXIT_BAD_INPUT = 2  # usage error, missing file, not a recording, damaged frame

CHUNK_BYTES = 1 << 20  # read size; memory holds one chunk plus the frame being assembled
ALIGN_WINDOW = 200  # rows looked at to choose the column widths before printing starts
TEXT_WIDTH = 60  # most characters of a text or other non-array value
PREVIEW_WIDTH = 40  # most characters of an array's "[first, second, ... last]"
SCALAR_DIGITS = 12  # significant digits of a scalar value
ELEMENT_DIGITS = 4  # significant digits of array elements, min and max
COLUMNS = ("seq", "type", "probe", "dtype", "shape", "value")
MIN_WIDTHS = (6, len("PROBE_VALUE_BATCH"), 0, 0, 0, 0)  # seqs grow; batches may come late
ELLIPSIS = "…"

HOW_TO_RECORD = (
    "make one with: python -m pyprobe_tracer --probe LINE:SYMBOL --record FILE script.py"
)

# ---------------------------------------------------------------- reading


class RecordingError(Exception):
    """The file cannot be read (to its end) as a recording; ``str()`` says why and what to do."""

    def __init__(self, text: str, exit_code: int) -> None:
        super().__init__(text)
        self.exit_code = exit_code


class Recording:
    """An open recording file; ``messages()`` yields its messages in file order."""

    def __init__(self, path: str, file: IO[bytes], head: bytes) -> None:
        self.path = path
        self.count = 0  # complete messages read so far
        self._file = file
        self._head = head

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> Recording:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def messages(self, chunk_bytes: int = CHUNK_BYTES) -> Iterator[Message]:
        """Every complete message, oldest first, reading ``chunk_bytes`` at a time.

        After the last complete message, raises RecordingError if the file ends in the
        middle of a frame (exit code 1) or a frame is damaged (exit code 2).
        """
        reader = FrameReader()
        buffer = bytearray(chunk_bytes)
        view = memoryview(buffer)
        data = self._head
        while data:
            try:
                reader.feed(data)
            except ProtocolError as error:
                yield from self._counted(reader.completed())
                raise RecordingError(
                    f"{self.path}: a frame after {self.count} complete messages is damaged "
                    f"({error}); the messages before it are shown above",
                    EXIT_BAD_INPUT,
                ) from None
            yield from self._counted(reader)
            try:
                size = self._file.readinto(buffer)
            except OSError as error:
                raise RecordingError(
                    f"{self.path}: cannot read after {self.count} complete messages "
                    f"({error.strerror or error})",
                    EXIT_BAD_INPUT,
                ) from None
            data = view[:size]
        if reader.buffered_bytes:
            raise RecordingError(
                f"{self.path}: the last frame is cut short after {self.count} complete "
                "messages (the recording was interrupted)",
                EXIT_INTERRUPTED,
            )

    def _counted(self, messages: Iterable[Message]) -> Iterator[Message]:
        for message in messages:
            self.count += 1
            yield message


def open_recording(path: str) -> Recording:
    """Open ``path`` and check that it starts like a recording; RecordingError if not."""
    try:
        file = open(path, "rb")  # noqa: SIM115 - Recording closes it
    except FileNotFoundError:
        raise RecordingError(f"{path}: no such file ({HOW_TO_RECORD})", EXIT_BAD_INPUT) from None
    except IsADirectoryError:
        raise RecordingError(
            f"{path}: is a directory; give the recording file inside it", EXIT_BAD_INPUT
        ) from None
    except OSError as error:
        raise RecordingError(
            f"{path}: cannot open ({error.strerror or error})", EXIT_BAD_INPUT
        ) from None
    try:
        head = file.read(len(MAGIC))
    except OSError as error:
        file.close()
        raise RecordingError(
            f"{path}: cannot read ({error.strerror or error})", EXIT_BAD_INPUT
        ) from None
    if not head:
        file.close()
        raise RecordingError(
            f"{path}: the file is empty (the recording was interrupted before its first message)",
            EXIT_INTERRUPTED,
        )
    if head != MAGIC[: len(head)]:
        file.close()
        raise RecordingError(
            f"{path}: not a PyProbe recording (it starts with {head!r}; a recording starts "
            f"with {MAGIC!r}; {HOW_TO_RECORD})",
            EXIT_BAD_INPUT,
        )
    return Recording(path, file, head)


# ---------------------------------------------------------------- rows


class Row(NamedTuple):
    """One printed line: every field already text, except ``seq``."""

    seq: int | None
    type: str
    probe: str
    dtype: str
    shape: str
    value: str


class RowFilter(NamedTuple):
    """Which rows to keep. Empty ``probes`` or ``types`` keep everything."""

    probes: tuple[tuple[str, int | None], ...] = ()  # (symbol, line or None)
    types: frozenset[MessageType] = frozenset()

    def keeps_type(self, msg_type: MessageType) -> bool:
        return not self.types or msg_type in self.types

    def keeps_anchor(self, anchor: ProbeAnchor | None) -> bool:
        if not self.probes:
            return True
        if anchor is None:
            return False
        return any(
            symbol == anchor.symbol and line in (None, anchor.line) for symbol, line in self.probes
        )


KEEP_ALL = RowFilter()


def type_name(msg_type: MessageType) -> str:
    """The type column: the member name without its ``DATA_`` prefix."""
    return msg_type.name.removeprefix("DATA_")


def probe_text(anchor: ProbeAnchor | None) -> str:
    """``symbol@line``, with the function in parentheses when there is one."""
    if anchor is None:
        return ""
    text = f"{anchor.symbol}@{anchor.line}"
    return f"{text} ({anchor.func})" if anchor.func else text


def message_rows(message: Message, keep: RowFilter = KEEP_ALL) -> Iterator[Row]:
    """The rows of one message: one per captured value (a batch in seq order), else one."""
    msg_type = message.msg_type
    if not keep.keeps_type(msg_type):
        return
    payload = message.payload
    name = type_name(msg_type)
    if msg_type is MessageType.DATA_PROBE_VALUE and type(payload) is dict:
        if keep.keeps_anchor(_anchor_of(payload)):
            yield _capture_row(name, payload)
    elif msg_type is MessageType.DATA_PROBE_VALUE_BATCH and type(payload) is dict:
        yield from _batch_rows(name, payload, keep)
    else:
        anchor = _anchor_of(payload)
        if keep.keeps_anchor(anchor):
            yield Row(None, name, probe_text(anchor), "", "", message_text(msg_type, payload))


def _anchor_of(payload: Any) -> ProbeAnchor | None:
    anchor = payload.get("anchor") if type(payload) is dict else None
    return anchor if type(anchor) is ProbeAnchor else None


def _seq_of(value: Any) -> int | None:
    return value if type(value) is int else None


def _capture_row(name: str, entry: dict) -> Row:
    value = entry.get("value")
    return Row(
        _seq_of(entry.get("seq")),
        name,
        probe_text(_anchor_of(entry)),
        _cell(_plain(entry.get("dtype"))),
        shape_text(entry.get("shape"), value),
        value_text(value),
    )


def _batch_rows(name: str, payload: dict, keep: RowFilter) -> Iterator[Row]:
    """Entries and series columns merged into one run in seq order (no seq: last)."""
    entries = payload.get("values")
    entries = entries if type(entries) is list else []
    entries = [e for e in entries if type(e) is dict and keep.keeps_anchor(_anchor_of(e))]
    sources = [_ordered(_seq_of(e.get("seq")) for e in entries)]
    columns = payload.get("series")
    columns = columns if type(columns) is list else []
    series = [_Series.of(c) for c in columns if type(c) is dict]
    series = [s for s in series if s is not None and keep.keeps_anchor(s.anchor)]
    sources.extend(_ordered(s.seqs) for s in series)
    for (_, seq), source, index in heapq.merge(*(_tagged(i, s) for i, s in enumerate(sources))):
        if source == 0:
            yield _capture_row(name, entries[index])
        else:
            column = series[source - 1]
            yield Row(seq, name, column.probe, "scalar", "", value_text(column.values[index]))


class _Series(NamedTuple):
    anchor: ProbeAnchor | None
    probe: str
    values: list
    seqs: list[int | None]

    @classmethod
    def of(cls, column: dict) -> _Series | None:
        values = _as_list(column.get("values"))
        if values is None:
            return None
        seqs = _as_list(column.get("seq")) or []
        seqs = [_seq_of(s) for s in seqs[: len(values)]]
        seqs += [None] * (len(values) - len(seqs))
        anchor = _anchor_of(column)
        return cls(anchor, probe_text(anchor), values, seqs)


def _as_list(value: Any) -> list | None:
    if type(value) is list:
        return value
    if _is_ndarray(value) and value.ndim == 1:
        return value.tolist()
    return None


def _ordered(seqs: Iterable[int | None]) -> Iterator[tuple[tuple[bool, int], int]]:
    """(sort key, index) in seq order; captures without a seq keep their order, last."""
    keyed = [((seq is None, seq or 0), index) for index, seq in enumerate(seqs)]
    if any(keyed[i][0] > keyed[i + 1][0] for i in range(len(keyed) - 1)):
        keyed.sort()  # the tracer sends them in order; a hand-made file may not
    return iter(keyed)


def _tagged(source: int, keyed: Iterator[tuple[tuple[bool, int], int]]):
    for key, index in keyed:
        yield key, source, index


# ---------------------------------------------------------------- value text


def message_text(msg_type: MessageType, payload: Any) -> str:
    """The value column of a message that is not a capture."""
    if payload is None:
        return ""
    if type(payload) is not dict:
        return _cell(_brief(payload))
    get = payload.get
    if msg_type in (MessageType.DATA_STDOUT, MessageType.DATA_STDERR):
        text = _plain(get("text"))
    elif msg_type is MessageType.DATA_EXCEPTION:
        text = f"{_plain(get('type'))}: {_plain(get('message'))}"
    elif msg_type is MessageType.DATA_SCRIPT_START:  # a long path loses its start, not the pid
        pid = _cell(f" (pid {_plain(get('pid'))})", TEXT_WIDTH // 2)
        return _cell(_plain(get("script")), TEXT_WIDTH - len(pid), keep_end=True) + pid
    elif msg_type is MessageType.DATA_SCRIPT_END:
        text = f"exit_code={_plain(get('exit_code'))}" + (" (stopped)" if get("stopped") else "")
    elif msg_type is MessageType.DATA_DROPPED:
        text = f"{_plain(get('count'))} captures dropped"
    elif msg_type is MessageType.HANDSHAKE:
        text = (
            f"tracer {_plain(get('tracer_version'))}, protocol {_plain(get('protocol_version'))}"
            f", Python {_plain(get('python_version'))} on {_plain(get('platform'))}"
            f", pid {_plain(get('pid'))}"
        )
    elif msg_type is MessageType.HANDSHAKE_ACK:
        text = "accepted" if get("accepted") is True else f"refused: {_plain(get('message'))}"
    else:
        text = " ".join(
            f"{key}={_brief(value)}" for key, value in payload.items() if key != "anchor"
        )
    return _cell(text)


def _plain(value: Any) -> str:
    """A string as itself, anything else briefly (None: empty)."""
    if value is None:
        return ""
    return value if type(value) is str else _brief(value)


def shape_text(declared: Any, value: Any) -> str:
    """``512``, ``8x256``; empty for a scalar. The declared shape wins over the value's."""
    if type(declared) in (list, tuple) and all(type(n) is int for n in declared):
        return "x".join(map(str, declared))
    if _is_ndarray(value):
        return "x".join(map(str, value.shape))
    return ""


def value_text(value: Any) -> str:
    """The value column of a capture: a scalar, an array summary, or a short description."""
    if _is_ndarray(value):
        return array_text(value)
    if type(value) is dict and _is_ndarray(value.get("samples")):  # a waveform
        return (
            f"{array_text(value['samples'])} t0={_element(value.get('t0'))}"
            f" dt={_element(value.get('dt'))}"
        )
    if type(value) is dict and set(value) == {"type", "repr"}:  # an unknown value described
        return _cell(_plain(value["repr"]))
    if _is_scalar(value):
        return scalar_text(value)
    return _cell(_brief(value))


def scalar_text(value: Any) -> str:
    """A number as ``repr`` would show it, with at most 12 significant digits."""
    np = sys.modules.get("numpy")
    if np is not None and isinstance(value, np.generic):
        if isinstance(value, np.inexact) and value.dtype.itemsize < 8:  # float16/32, complex64
            return str(value)  # numpy's shortest text for that precision
        value = value.item()
    kind = type(value)
    if kind is float:
        return _float_text(value)
    if kind is complex:
        if all(_float_text(part) == repr(part) for part in (value.real, value.imag)):
            return repr(value)
        return f"({value.real:.{SCALAR_DIGITS}g}{value.imag:+.{SCALAR_DIGITS}g}j)"
    if kind is int and abs(value) >= 10**15:
        digits = str(abs(value))
        mantissa = f"{digits[0]}.{digits[1:SCALAR_DIGITS].rstrip('0') or '0'}"
        return f"{'-' if value < 0 else ''}{mantissa}e+{len(digits) - 1}"
    return repr(value)


def _float_text(value: float) -> str:
    short = f"{value:.{SCALAR_DIGITS}g}"
    return repr(value) if float(short) == value or value != value else short


def array_text(array: Any) -> str:
    """``[first, second, ... last] min=.. max=..`` (bool arrays: the count of True)."""
    if array.ndim == 0:
        return scalar_text(array[()])
    size = array.size
    if size == 0:
        return "[]"
    flat = array.reshape(-1)
    if size <= 3:
        preview = [_element(x) for x in flat.tolist()]
    else:
        preview = [_element(flat[i].item()) for i in (0, 1)] + ["...", _element(flat[-1].item())]
        if len(", ".join(preview)) + 2 > PREVIEW_WIDTH:
            del preview[1]
    text = "[" + ", ".join(preview).replace("..., ", "... ") + "]"
    return f"{text} {_array_stats(flat)}"


def _array_stats(flat: Any) -> str:
    np = sys.modules["numpy"]  # an array exists, so numpy is loaded
    kind = flat.dtype.kind
    if kind == "b":
        return f"true={int(np.count_nonzero(flat))}"
    if kind == "c":
        flat = np.abs(flat)
        names = ("min|z|", "max|z|")
    else:
        names = ("min", "max")
    nans = int(np.count_nonzero(np.isnan(flat))) if flat.dtype.kind == "f" else 0
    if nans:
        flat = flat[~np.isnan(flat)]
    if flat.size:
        low, high = (_element(v.item()) for v in (flat.min(), flat.max()))
    else:
        low = high = "nan"
    text = f"{names[0]}={low} {names[1]}={high}"
    return f"{text} nan={nans}" if nans else text


def _element(value: Any) -> str:
    """A number with ELEMENT_DIGITS significant digits (an array element, min, max)."""
    kind = type(value)
    if kind is bool or value is None:
        return str(value)
    if kind is int:
        text = str(value)
        return text if len(text) <= ELEMENT_DIGITS + 4 else f"{value:.{ELEMENT_DIGITS - 1}e}"
    if kind is float:
        return f"{value:.{ELEMENT_DIGITS}g}"
    if kind is complex:
        return f"{value.real:.{ELEMENT_DIGITS}g}{value.imag:+.{ELEMENT_DIGITS}g}j"
    np = sys.modules.get("numpy")
    if np is not None and isinstance(value, np.generic):
        return _element(value.item())
    return _brief(value)


def _is_ndarray(value: Any) -> bool:
    np = sys.modules.get("numpy")
    return np is not None and type(value) is np.ndarray


def _is_scalar(value: Any) -> bool:
    if type(value) in (bool, int, float, complex):
        return True
    np = sys.modules.get("numpy")
    return np is not None and isinstance(value, np.generic) and value.dtype.kind in "biufc"


def _brief(value: Any, budget: int = TEXT_WIDTH + 1) -> str:
    """A compact description of any payload value, built only up to ``budget`` characters."""
    out: list[str] = []
    _brief_into(value, out, [budget])
    return "".join(out)


def _brief_into(value: Any, out: list[str], budget: list[int]) -> None:
    def put(text: str) -> None:
        out.append(text)
        budget[0] -= len(text)

    if budget[0] <= 0:
        return
    kind = type(value)
    if value is None or _is_scalar(value):
        put("None" if value is None else scalar_text(value))
    elif kind is str:
        put(repr(value[: budget[0]]))
    elif kind is ProbeAnchor:
        put(probe_text(value))
    elif _is_ndarray(value):
        put(f"array({shape_text(None, value) or '()'} {value.dtype})")
    elif kind is dict and _is_ndarray(value.get("samples")):
        put(f"waveform({shape_text(None, value['samples'])})")
    elif kind in (list, tuple, dict):
        opening, closing = ("{", "}") if kind is dict else ("(", ")") if kind is tuple else "[]"
        put(opening)
        items = value.items() if kind is dict else ((None, item) for item in value)
        for number, (key, item) in enumerate(items):
            if budget[0] <= 0:
                break
            if number:
                put(", ")
            if kind is dict:
                put(f"{key}: ")
            _brief_into(item, out, budget)
        put(closing)
    else:
        put(f"<{kind.__name__}>")


_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _cell(text: str, width: int = TEXT_WIDTH, *, keep_end: bool = False) -> str:
    """One line of at most ``width`` characters: newlines as ``\\n``, cut with ``…``
    at the end (or, with ``keep_end``, at the start)."""
    text = text[-width - 1 :] if keep_end else text[: width + 1]
    if not text.isprintable():
        text = "".join(
            ch if ch.isprintable() else _ESCAPES.get(ch) or ascii(ch)[1:-1] for ch in text
        )
    if len(text) <= width:
        return text
    return ELLIPSIS + text[1 - width :] if keep_end else text[: width - 1] + ELLIPSIS


# ---------------------------------------------------------------- output


class TableWriter:
    """Aligned columns under a header line.

    Widths are chosen from the first ALIGN_WINDOW rows (held back until then); a
    later, wider cell pushes the rest of its own line to the right.
    """

    def __init__(self, out: IO[str]) -> None:
        self._out = out
        self._held: list[tuple[str, ...]] | None = []
        self._widths: list[int] = []

    def write(self, row: Row) -> None:
        cells = ("" if row.seq is None else str(row.seq), *row[1:])
        if self._held is None:
            self._line(cells)
            return
        self._held.append(cells)
        if len(self._held) >= ALIGN_WINDOW:
            self._release()

    def close(self) -> None:
        if self._held is not None:
            self._release()

    def _release(self) -> None:
        held, self._held = self._held or [], None
        widths = [max(len(c[i]) for c in [COLUMNS, *held]) for i in range(len(COLUMNS))]
        self._widths = [max(w, least) for w, least in zip(widths, MIN_WIDTHS, strict=True)]
        self._line(COLUMNS)
        for cells in held:
            self._line(cells)

    def _line(self, cells: Sequence[str]) -> None:
        widths = self._widths
        parts = [cells[0].rjust(widths[0])]
        parts += [cell.ljust(width) for cell, width in zip(cells[1:-1], widths[1:-1], strict=True)]
        parts.append(cells[-1])
        self._out.write("  ".join(parts).rstrip() + "\n")


class JsonWriter:
    """One JSON object per row (JSON lines); ``seq`` is a number or null."""

    def __init__(self, out: IO[str]) -> None:
        self._out = out

    def write(self, row: Row) -> None:
        self._out.write(json.dumps(row._asdict(), ensure_ascii=False) + "\n")

    def close(self) -> None:
        pass


# ---------------------------------------------------------------- command line

DESCRIPTION = """\
Look into PyProbe wire files."""

DUMP_DESCRIPTION = """\
Print a recording (python -m pyprobe_tracer --record FILE) as a table: one row
per captured value (batches and scalar series expanded, in seq order) and one
row per other message (stdout, exceptions, script start and end, drops), in
the order they are in the file. Arrays are summarised as
[first, second, ... last] min=.. max=.. ; text shows newlines as \\n."""

DUMP_EPILOG = """\
examples:
  python -m pyprobe_tracer --probe 12:y --record run.ppr filter.py
  python -m pyprobe_wire dump run.ppr
  python -m pyprobe_wire dump run.ppr --probe y@12 --limit 20
  python -m pyprobe_wire dump run.ppr --type STDOUT --type EXCEPTION
  python -m pyprobe_wire dump run.ppr --json | jq -r .value

exit status: 0 done; 1 the recording was interrupted (its last frame is cut
short, or it is empty): every complete message is still printed; 2 usage
error, missing file, not a recording, or a damaged frame."""


def _probe_option(text: str) -> tuple[str, int | None]:
    symbol, at, line = text.partition("@")
    if symbol.isidentifier() and (not at or line.isdigit()):
        return symbol, int(line) if at else None
    tracer_form = text.split(":")  # the tracer's LINE:SYMBOL[:N]
    if len(tracer_form) in (2, 3) and tracer_form[0].isdigit() and tracer_form[1].isidentifier():
        hint = f"--probe {tracer_form[1]}@{tracer_form[0]}"
    else:
        hint = "--probe y or --probe y@12"
    raise argparse.ArgumentTypeError(f"{text!r}: expected SYMBOL or SYMBOL@LINE, e.g. {hint}")


def _type_option(text: str) -> MessageType:
    name = text.upper()
    for candidate in (name, "DATA_" + name):
        if candidate in MessageType.__members__:
            return MessageType[candidate]
    names = ", ".join(type_name(t) for t in MessageType)
    raise argparse.ArgumentTypeError(f"{text!r}: unknown message type (one of {names})")


def _limit_option(text: str) -> int:
    try:
        limit = int(text)
    except ValueError:
        limit = -1
    if limit < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a row count (0 or more)")
    return limit


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pyprobe_wire", description=DESCRIPTION)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    dump = commands.add_parser(
        "dump",
        help="print a recording (.ppr) as a table of captured values and messages",
        description=DUMP_DESCRIPTION,
        epilog=DUMP_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    dump.add_argument("file", metavar="FILE", help="the recording, e.g. run.ppr")
    dump.add_argument(
        "--probe",
        action="append",
        type=_probe_option,
        default=[],
        metavar="SYMBOL[@LINE]",
        help="only rows of this probe (captures, drops); repeat for more probes",
    )
    dump.add_argument(
        "--type",
        action="append",
        type=_type_option,
        default=[],
        metavar="NAME",
        help="only messages of this type, as the type column shows it (PROBE_VALUE, "
        "PROBE_VALUE_BATCH, STDOUT, EXCEPTION, ...); repeat for more types",
    )
    dump.add_argument(
        "--limit", type=_limit_option, metavar="N", help="stop after N rows (after filtering)"
    )
    dump.add_argument(
        "--json", action="store_true", help="one JSON object per row (JSON lines) instead"
    )
    return parser


def dump(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    """Print the rows of ``args.file`` to ``out``; problems go to ``err``. The exit code."""
    keep = RowFilter(tuple(args.probe), frozenset(args.type))
    try:
        recording = open_recording(args.file)
    except RecordingError as error:
        err.write(f"{error}\n")
        return error.exit_code
    writer = JsonWriter(out) if args.json else TableWriter(out)
    failure: RecordingError | None = None
    with recording:
        try:
            _write_rows(recording.messages(), keep, args.limit, writer)
        except RecordingError as error:
            failure = error
    writer.close()
    if failure is None:
        return EXIT_OK
    out.flush()  # the rows first, then what went wrong
    err.write(f"{failure}\n")
    return failure.exit_code


def _write_rows(messages: Iterator[Message], keep: RowFilter, limit: int | None, writer) -> None:
    if limit == 0:
        return
    written = 0
    for message in messages:
        rows = message_rows(message, keep)
        del message  # so that its frame can go before the next one is read
        for row in rows:
            writer.write(row)
            written += 1
            if written == limit:
                return


def main(argv: list[str] | None = None) -> int:
    """``python -m pyprobe_wire``; returns the exit code."""
    try:
        code = _main(argv)
        sys.stdout.flush()
        return code
    except BrokenPipeError:  # the reader went away (| head): stop quietly
        _stdout_to_devnull()
        return EXIT_OK
    except KeyboardInterrupt:
        return 130


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit:  # --help, or a usage error already printed
        sys.stdout.flush()
        return exit.code if isinstance(exit.code, int) else EXIT_BAD_INPUT
    if args.command is None:
        parser.print_usage(sys.stderr)
        sys.stderr.write(
            f"{parser.prog}: give a command, e.g. {parser.prog} dump run.ppr (see --help)\n"
        )
        return EXIT_BAD_INPUT
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if reconfigure is not None:  # lone surrogates, a narrow locale: escape, never fail
        reconfigure(errors="backslashreplace")
    return dump(args, sys.stdout, sys.stderr)


def _stdout_to_devnull() -> None:
    """Point fd 1 at /dev/null, so flushing at exit cannot raise BrokenPipeError again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # stdout is not a file (an in-process caller)
        pass


__all__ = [
    "Recording",
    "RecordingError",
    "Row",
    "RowFilter",
    "array_text",
    "build_parser",
    "dump",
    "main",
    "message_rows",
    "open_recording",
    "scalar_text",
    "value_text",
]
