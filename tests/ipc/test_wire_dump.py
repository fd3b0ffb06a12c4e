"""``python -m pyprobe_wire dump FILE``: recordings made by the real tracer, read back as rows.

The DSP script saves what it computed (every filtered block, the running energy) next
to the recording, so each row is checked against numpy's own numbers, not against
the dump's formatting code.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import sys
import textwrap
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from pyprobe_wire import Message, MessageType, ProbeAnchor, decode_message, encode_message
from pyprobe_wire.dump import main, message_rows, open_recording
from tests._support.fake_gui import run_tracer

COLUMNS = ("seq", "type", "probe", "dtype", "shape", "value")
BLOCKS = 6
BLOCK_SIZE = 512

DSP_SCRIPT = f"""\
import sys

import numpy as np

TAPS = np.hanning(15) / np.hanning(15).sum()


def main(truth_path):
    rng = np.random.default_rng(1234)
    history = np.zeros(len(TAPS) - 1)
    energy = 0.0
    ys, energies = [], []
    for block in range({BLOCKS}):
        x = rng.standard_normal({BLOCK_SIZE})
        extended = np.concatenate([history, x])
        y = np.convolve(extended, TAPS, mode="valid")
        history = extended[-(len(TAPS) - 1):]
        energy += float(np.dot(y, y))
        ys.append(y.copy())
        energies.append(energy)
    grid = np.stack(ys[:4])
    print(f"blocks: {{len(ys)}}\\nenergy: {{energy:.3f}}")
    np.savez(truth_path, ys=np.array(ys), energies=np.array(energies), grid=grid)
    raise RuntimeError("filter state\\nnot flushed")


main(sys.argv[1])
"""

LONG_SCRIPT = """\
s = 0.0
for i in range(30000):
    s = s * 0.5 + i
"""


def line_of(script: str, start: str) -> int:
    return next(
        n for n, line in enumerate(script.splitlines(), 1) if line.strip().startswith(start)
    )


Y_LINE = line_of(DSP_SCRIPT, "y = ")
ENERGY_LINE = line_of(DSP_SCRIPT, "energy += ")
GRID_LINE = line_of(DSP_SCRIPT, "grid = ")


class Recorded:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / "run.ppr"
        truth = np.load(directory / "truth.npz")
        self.ys, self.energies, self.grid = truth["ys"], truth["energies"], truth["grid"]


@pytest.fixture(scope="module")
def dsp(tmp_path_factory) -> Recorded:
    directory = tmp_path_factory.mktemp("dump-dsp")
    script = directory / "fir_blocks.py"
    script.write_text(DSP_SCRIPT)
    result = run_tracer(
        *("--probe", f"{Y_LINE}:y", "--probe", f"{ENERGY_LINE}:energy"),
        *("--probe", f"{GRID_LINE}:grid", "--record", directory / "run.ppr"),
        script,
        directory / "truth.npz",
        cwd=directory,
    )
    assert result.returncode == 1, result.stderr  # the script raises at the end, on purpose
    return Recorded(directory)


@pytest.fixture(scope="module")
def long_recording(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("dump-long")
    script = directory / "accumulate.py"
    script.write_text(LONG_SCRIPT)
    recording = directory / "long.ppr"
    result = run_tracer("--probe", "3:s", "--record", recording, script, cwd=directory)
    assert result.returncode == 0, result.stderr
    return recording


BIG_BLOCKS = 12
BIG_SCRIPT = f"""\
import time

import numpy as np

rng = np.random.default_rng(5)
for block in range({BIG_BLOCKS}):
    frame = rng.standard_normal(1 << 18)
    time.sleep(0.05)  # the tracer flushes every 20 ms: about one 2 MB frame per block
"""


@pytest.fixture(scope="module")
def big_recording(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("dump-big")
    script = directory / "frames.py"
    script.write_text(BIG_SCRIPT)
    recording = directory / "big.ppr"
    probe = line_of(BIG_SCRIPT, "frame = ")
    result = run_tracer("--probe", f"{probe}:frame", "--record", recording, script, cwd=directory)
    assert result.returncode == 0, result.stderr
    return recording


def run_dump(*args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pyprobe_wire", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=60,
        **kwargs,
    )


def dump_in_process(capsys, *args) -> tuple[int, str, str]:
    code = main([*map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def parse_table(text: str) -> list[dict[str, str]]:
    """Rows by column: the header's labels mark where each left-aligned column starts."""
    header, *lines = text.splitlines()
    labels = list(re.finditer(r"\S+", header))
    assert [m.group() for m in labels] == list(COLUMNS)
    starts = [m.start() for m in labels[1:]]
    rows = []
    for line in lines:
        cells = [line[: starts[0]].strip()]
        cells += [line[a:b].strip() for a, b in itertools.pairwise(starts)]
        cells.append(line[starts[-1] :])
        rows.append(dict(zip(COLUMNS, cells, strict=True)))
    return rows


ARRAY_SUMMARY = re.compile(
    r"\[(?P<first>\S+), (?P<second>\S+), \.\.\. (?P<last>\S+)\] min=(?P<min>\S+) max=(?P<max>\S+)"
)


def close_to(printed: str, expected: float, digits: int = 4):
    assert float(printed) == pytest.approx(expected, rel=0.6 * 10.0 ** (1 - digits), abs=1e-300)


def frame_ends(data: bytes) -> list[int]:
    """Where each frame ends, walking the 8-byte prefixes (magic, big-endian length)."""
    ends, position = [], 0
    while position + 8 <= len(data):
        assert data[position : position + 4] == b"PPR*"
        position += 8 + int.from_bytes(data[position + 4 : position + 8], "big")
        if position > len(data):
            break
        ends.append(position)
    return ends


def row_count(message: Message) -> int:
    if message.msg_type is not MessageType.DATA_PROBE_VALUE_BATCH:
        return 1
    payload = message.payload
    return len(payload["values"]) + sum(len(s["values"]) for s in payload.get("series", []))


# ---------------------------------------------------------------- the table


def test_dump_prints_one_row_per_block_with_numpys_first_last_min_and_max(dsp):
    result = run_dump("dump", dsp.path)

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    rows = parse_table(result.stdout)
    y_rows = [r for r in rows if r["probe"] == f"y@{Y_LINE} (main)"]
    assert len(y_rows) == BLOCKS
    for row, y in zip(y_rows, dsp.ys, strict=True):
        assert (row["type"], row["dtype"], row["shape"]) == (
            "PROBE_VALUE_BATCH",
            "array_1d",
            str(BLOCK_SIZE),
        )
        summary = ARRAY_SUMMARY.fullmatch(row["value"])
        assert summary, row["value"]
        close_to(summary["first"], y[0])
        close_to(summary["second"], y[1])
        close_to(summary["last"], y[-1])
        close_to(summary["min"], np.min(y))
        close_to(summary["max"], np.max(y))
        assert len(row["value"].split("]")[0]) <= 40


def test_dump_scalar_rows_carry_twelve_significant_digits(dsp, capsys):
    code, out, _ = dump_in_process(capsys, "dump", dsp.path, "--probe", "energy")

    assert code == 0
    rows = parse_table(out)
    assert [r["probe"] for r in rows] == [f"energy@{ENERGY_LINE} (main)"] * BLOCKS
    assert {(r["dtype"], r["shape"]) for r in rows} == {("scalar", "")}
    for row, energy in zip(rows, dsp.energies, strict=True):
        close_to(row["value"], energy, digits=12)
        assert len(row["value"].replace("-", "").replace(".", "")) <= 12


def test_dump_rows_follow_the_file_and_seq_order_with_the_other_messages(dsp, capsys):
    code, out, _ = dump_in_process(capsys, "dump", dsp.path)

    assert code == 0
    rows = parse_table(out)
    assert rows[0]["type"] == "SCRIPT_START"
    assert re.fullmatch(r"….*/fir_blocks\.py \(pid \d+\)", rows[0]["value"]), rows[0]
    assert rows[-1]["type"] == "SCRIPT_END" and rows[-1]["value"] == "exit_code=1"
    value_rows = [r for r in rows if r["seq"]]
    assert [r["seq"] for r in rows if r["type"].startswith("PROBE_VALUE")] == [
        r["seq"] for r in value_rows
    ]
    seqs = [int(r["seq"]) for r in value_rows]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert len(value_rows) == 2 * BLOCKS + 1  # y and energy per block, grid once
    # within the batch: a block's y, then the energy it added to, block after block
    symbols = [r["probe"].split("@")[0] for r in value_rows]
    assert symbols == ["y", "energy"] * BLOCKS + ["grid"]
    (grid,) = [r for r in value_rows if r["probe"] == f"grid@{GRID_LINE} (main)"]
    assert (grid["dtype"], grid["shape"]) == ("array_2d", f"4x{BLOCK_SIZE}")
    summary = ARRAY_SUMMARY.fullmatch(grid["value"])
    close_to(summary["min"], dsp.grid.min())
    close_to(summary["max"], dsp.grid.max())
    stdout = "".join(r["value"] for r in rows if r["type"] == "STDOUT")
    assert stdout == f"blocks: {BLOCKS}\\nenergy: {dsp.energies[-1]:.3f}\\n"
    (exception,) = [r for r in rows if r["type"] == "EXCEPTION"]
    assert exception["value"] == "RuntimeError: filter state\\nnot flushed"
    assert all("\n" not in r["value"] and len(r["value"]) <= 60 for r in rows)


def test_the_columns_line_up_under_the_header(dsp, capsys):
    _, out, _ = dump_in_process(capsys, "dump", dsp.path)

    header, *lines = out.splitlines()
    seq_label, *labels = re.finditer(r"\S+", header)
    for line in lines:
        seq = line[: seq_label.end()]
        assert seq.strip() == "" or seq[-1] != " ", line  # right-aligned under "seq"
        for label in labels:  # left-aligned, two spaces after the column before
            assert line[label.start() - 2 : label.start()] == "  ", line


# ---------------------------------------------------------------- options


def test_probe_filter_keeps_only_the_named_probes(dsp, capsys):
    _, out, _ = dump_in_process(capsys, "dump", dsp.path, "--probe", f"y@{Y_LINE}")
    assert [r["probe"] for r in parse_table(out)] == [f"y@{Y_LINE} (main)"] * BLOCKS

    _, out, _ = dump_in_process(capsys, "dump", dsp.path, "--probe", "y", "--probe", "grid")
    assert [r["probe"].split("@")[0] for r in parse_table(out)] == ["y"] * BLOCKS + ["grid"]

    code, out, _ = dump_in_process(capsys, "dump", dsp.path, "--probe", f"y@{Y_LINE + 1}")
    assert code == 0
    assert parse_table(out) == []  # the header alone


def test_type_filter_keeps_only_that_message_type(dsp, capsys):
    _, out, _ = dump_in_process(capsys, "dump", dsp.path, "--type", "EXCEPTION")
    assert [r["type"] for r in parse_table(out)] == ["EXCEPTION"]

    _, out, _ = dump_in_process(
        capsys, "dump", dsp.path, "--type", "data_script_start", "--type", "script_end"
    )
    assert [r["type"] for r in parse_table(out)] == ["SCRIPT_START", "SCRIPT_END"]


def test_limit_stops_after_n_rows(dsp, capsys):
    _, everything, _ = dump_in_process(capsys, "dump", dsp.path)
    code, out, _ = dump_in_process(capsys, "dump", dsp.path, "--limit", "4")

    assert code == 0
    assert parse_table(out) == parse_table(everything)[:4]
    _, out, _ = dump_in_process(capsys, "dump", dsp.path, "--limit", "3", "--probe", "energy")
    assert len(parse_table(out)) == 3
    _, out, _ = dump_in_process(capsys, "dump", dsp.path, "--limit", "0")
    assert parse_table(out) == []


def test_json_prints_one_parseable_object_per_row_with_numeric_seq(dsp, capsys):
    _, table, _ = dump_in_process(capsys, "dump", dsp.path)
    code, out, _ = dump_in_process(capsys, "dump", dsp.path, "--json")

    assert code == 0
    objects = [json.loads(line) for line in out.splitlines()]
    rows = parse_table(table)
    assert len(objects) == len(rows)
    for obj, row in zip(objects, rows, strict=True):
        assert list(obj) == list(COLUMNS)
        assert obj["seq"] is None if not row["seq"] else obj["seq"] == int(row["seq"])
        assert {k: obj[k] for k in COLUMNS[1:]} == {k: row[k] for k in COLUMNS[1:]}
    y_values = [o["value"] for o in objects if o["probe"].startswith("y@")]
    for value, y in zip(y_values, dsp.ys, strict=True):
        close_to(ARRAY_SUMMARY.fullmatch(value)["max"], np.max(y))


def test_help_shows_an_example():
    result = run_dump("dump", "--help")

    assert result.returncode == 0
    assert "python -m pyprobe_wire dump run.ppr" in result.stdout
    assert "--probe SYMBOL[@LINE]" in result.stdout


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--probe", "12:y"], "--probe y@12"),
        (["--type", "STDIN"], "unknown message type (one of CMD_ADD_PROBE"),
        (["--limit", "-3"], "expected a row count"),
    ],
)
def test_a_bad_option_is_a_usage_error_that_names_the_fix(dsp, capsys, args, expected):
    code, out, err = dump_in_process(capsys, "dump", dsp.path, *args)

    assert code == 2
    assert out == ""
    assert expected in err


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("inside", ["last frame", "value batch"])
def test_a_cut_short_recording_prints_every_complete_message_then_exits_1(dsp, tmp_path, inside):
    data = dsp.path.read_bytes()
    ends = frame_ends(data)
    frames = [data[a:b] for a, b in zip([0, *ends], ends, strict=False)]
    messages = [decode_message(frame) for frame in frames]
    if inside == "last frame":
        cut_frame = len(frames) - 1
    else:
        cut_frame = next(
            i for i, m in enumerate(messages) if m.msg_type is MessageType.DATA_PROBE_VALUE_BATCH
        )
    start = ([0, *ends])[cut_frame]
    cut = tmp_path / "cut.ppr"
    cut.write_bytes(data[: start + len(frames[cut_frame]) // 2])

    result = run_dump("dump", "--json", cut.name, cwd=tmp_path)

    assert result.returncode == 1
    assert result.stderr == (
        f"cut.ppr: the last frame is cut short after {cut_frame} complete messages "
        "(the recording was interrupted)\n"
    )
    full = run_dump("dump", "--json", dsp.path).stdout.splitlines()
    expected_rows = sum(row_count(m) for m in messages[:cut_frame])
    assert result.stdout.splitlines() == full[:expected_rows]


def test_a_damaged_frame_mid_file_stops_there_with_exit_2(dsp, tmp_path, capsys):
    data = bytearray(dsp.path.read_bytes())
    ends = frame_ends(bytes(data))
    data[ends[1] : ends[1] + 4] = b"XXXX"  # the third frame's magic
    damaged = tmp_path / "damaged.ppr"
    damaged.write_bytes(data)

    code, out, err = dump_in_process(capsys, "dump", damaged)

    assert code == 2
    # how many rows the two good frames make depends on how the tracer's flushes fell
    bounds = zip([0, ends[0]], ends[:2], strict=True)
    good = [decode_message(bytes(data[start:end])) for start, end in bounds]
    assert len(parse_table(out)) == sum(row_count(message) for message in good)
    assert err.startswith(f"{damaged}: a frame after 2 complete messages is damaged (bad magic")
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "content", [DSP_SCRIPT.encode(), b"abc", b"\x89PNG\r\n\x1a\n" + bytes(100)]
)
def test_a_file_that_is_not_a_recording_exits_2_and_says_so(tmp_path, content):
    path = tmp_path / "run.ppr"
    path.write_bytes(content)

    result = run_dump("dump", "run.ppr", cwd=tmp_path)

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("run.ppr: not a PyProbe recording (it starts with ")
    assert "--record FILE" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_file_exits_2_naming_it(tmp_path):
    result = run_dump("dump", "missing.ppr", cwd=tmp_path)

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("missing.ppr: no such file (make one with: ")
    assert "Traceback" not in result.stderr


def test_an_empty_file_is_an_interrupted_recording(tmp_path, capsys):
    (tmp_path / "empty.ppr").write_bytes(b"")

    code, out, err = dump_in_process(capsys, "dump", tmp_path / "empty.ppr")

    assert code == 1
    assert out == ""
    assert "the file is empty (the recording was interrupted" in err


@pytest.mark.parametrize("how", ["closed before the first write", "closed after one line"])
@pytest.mark.parametrize("which", ["long", "short", "help"])
def test_a_closed_stdout_prints_no_broken_pipe_traceback(dsp, long_recording, tmp_path, how, which):
    args = {"long": [long_recording], "short": [dsp.path], "help": ["--help"]}[which]
    read_end, write_end = os.pipe()
    if how == "closed before the first write":
        os.close(read_end)
    process = subprocess.Popen(
        [sys.executable, "-m", "pyprobe_wire", "dump", *map(str, args)],
        stdout=write_end,
        stderr=subprocess.PIPE,
        text=True,
    )
    os.close(write_end)
    if how == "closed after one line":
        with os.fdopen(read_end, "rb") as reader:
            assert reader.readline()  # like `| head -1`
    _, stderr = process.communicate(timeout=60)

    assert "Traceback" not in stderr
    assert "BrokenPipeError" not in stderr
    assert stderr == ""
    assert process.returncode == 0


# ---------------------------------------------------------------- reading and odd payloads


def test_the_file_is_read_in_chunks_of_any_size(dsp):
    def rows(chunk_bytes):
        with open_recording(str(dsp.path)) as recording:
            found = [row for m in recording.messages(chunk_bytes) for row in message_rows(m)]
        return found, recording.count

    whole, count = rows(1 << 24)
    assert count == len(frame_ends(dsp.path.read_bytes()))
    for chunk_bytes in (1, 7, 4096):
        assert rows(chunk_bytes) == (whole, count)


def test_memory_holds_about_one_frame_however_long_the_recording(big_recording, capsys):
    size = big_recording.stat().st_size
    largest = max(
        b - a
        for a, b in zip(
            [0, *frame_ends(big_recording.read_bytes())],
            frame_ends(big_recording.read_bytes()),
            strict=False,
        )
    )
    assert size > 3 * largest  # several frames, so holding the whole file would show
    tracemalloc.start()
    try:
        code, out, _ = dump_in_process(capsys, "dump", big_recording, "--probe", "frame")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert code == 0
    assert len(parse_table(out)) == BIG_BLOCKS
    assert peak < 2 * largest + (2 << 20), (peak, largest, size)


ANCHOR = ProbeAnchor(file="s.py", line=3, col=0, symbol="v", func="f")


def write_frames(path: Path, *messages: tuple[MessageType, object]) -> Path:
    path.write_bytes(b"".join(encode_message(Message(t, p)) for t, p in messages))
    return path


def entry(value, seq, dtype="scalar", shape=None, anchor=ANCHOR):
    return {"anchor": anchor, "value": value, "dtype": dtype, "shape": shape, "seq": seq}


def test_values_of_every_kind_are_summarised_on_one_short_line(tmp_path, capsys):
    values = [  # value, the shape the tracer declares, the shape column
        (np.float32(0.1), None, ""),
        (1 / 3, None, ""),
        (complex(1, -2), None, ""),
        (10**20, None, ""),
        (np.array([True, False, True, True]), None, "4"),
        (np.array([np.nan, 1.0, 2.0, 3.0]), None, "4"),
        (np.zeros(0), [0], "0"),
        (np.array(2.5), None, ""),
        ({"samples": np.arange(8.0), "t0": 0.0, "dt": 0.001}, [8], "8"),
        ({"type": "str", "repr": "'hello'"}, None, ""),
        ([np.zeros(3), np.ones(2, complex)], [2], "2"),
        (np.exp(1j * np.linspace(0, 1, 100)), [100], "100"),
    ]
    path = write_frames(
        tmp_path / "kinds.ppr",
        *[
            (MessageType.DATA_PROBE_VALUE, entry(value, seq, shape=shape))
            for seq, (value, shape, _) in enumerate(values)
        ],
    )

    code, out, _ = dump_in_process(capsys, "dump", path)

    assert code == 0
    rows = parse_table(out)
    assert [r["shape"] for r in rows] == [column for _, _, column in values]
    assert [r["value"] for r in rows] == [
        "0.1",
        "0.333333333333",
        "(1-2j)",
        "1.0e+20",
        "[True, False, ... True] true=3",
        "[nan, 1, ... 3] min=1 max=3 nan=1",
        "[]",
        "2.5",
        "[0, 1, ... 7] min=0 max=7 t0=0 dt=0.001",
        "'hello'",
        "[array(3 float64), array(2 complex128)]",
        "[1+0j, ... 0.5403+0.8415j] min|z|=1 max|z|=1",
    ]


def test_batches_merge_entries_and_series_in_seq_order(tmp_path, capsys):
    other = ProbeAnchor(file="s.py", line=9, col=4, symbol="w")
    batch = {
        "values": [entry(np.arange(3.0), 1, "array_1d", [3]), entry(7, 4)],
        "series": [
            {
                "anchor": other,
                "dtype": "scalar",
                "values": np.array([0.5, 1.5, 2.5]),
                "seq": np.array([0, 2, 3]),
                "timestamp_ns": np.zeros(3, np.int64),
            }
        ],
    }
    path = write_frames(tmp_path / "batch.ppr", (MessageType.DATA_PROBE_VALUE_BATCH, batch))

    _, out, _ = dump_in_process(capsys, "dump", path)

    rows = parse_table(out)
    assert [(r["seq"], r["probe"], r["value"]) for r in rows] == [
        ("0", "w@9", "0.5"),
        ("1", "v@3 (f)", "[0, 1, 2] min=0 max=2"),
        ("2", "w@9", "1.5"),
        ("3", "w@9", "2.5"),
        ("4", "v@3 (f)", "7"),
    ]


def test_messages_with_unexpected_payloads_still_get_a_row(tmp_path, capsys):
    path = write_frames(
        tmp_path / "odd.ppr",
        (
            MessageType.HANDSHAKE,
            {
                "protocol_version": "1.0",
                "tracer_version": "0.1.0",
                "python_version": "3.12.1",
                "platform": "linux",
                "pid": 5,
            },
        ),
        (MessageType.CMD_SET_THROTTLE, {"max_hz": 30.0}),
        (MessageType.CMD_START, None),
        (MessageType.DATA_PROBE_VALUE, 5),
        (MessageType.DATA_PROBE_VALUE_BATCH, {"values": "no", "series": [{"values": 1}]}),
        (MessageType.DATA_DROPPED, {"count": 7, "anchor": ANCHOR}),
        (MessageType.DATA_STDOUT, {"text": "bad \udcff byte\tand a tab"}),
        (MessageType.DATA_STDERR, {"text": "x" * 500}),
        (MessageType.DATA_EXCEPTION, {"type": 3}),
    )

    code, out, err = dump_in_process(capsys, "dump", path)

    assert (code, err) == (0, "")
    assert [(r["type"], r["probe"], r["value"]) for r in parse_table(out)] == [
        ("HANDSHAKE", "", "tracer 0.1.0, protocol 1.0, Python 3.12.1 on linux, pid 5"),
        ("CMD_SET_THROTTLE", "", "max_hz=30.0"),
        ("CMD_START", "", ""),
        ("PROBE_VALUE", "", "5"),
        ("DROPPED", "v@3 (f)", "7 captures dropped"),
        ("STDOUT", "", "bad \\udcff byte\\tand a tab"),
        ("STDERR", "", "x" * 59 + "…"),
        ("EXCEPTION", "", "3:"),
    ]
    _, out, _ = dump_in_process(capsys, "dump", path, "--probe", "v")
    assert [r["type"] for r in parse_table(out)] == ["DROPPED"]


def test_importing_the_dump_module_does_not_import_numpy():
    code = textwrap.dedent(
        """\
        import sys
        import pyprobe_wire.dump
        print("numpy" in sys.modules)
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
