"""Wire format speed: a 1M-sample complex128 probe value against np.copy of the same array.

Prints ``name: value (ratio vs baseline)`` lines with median times, then a verdict on
the target (encode+decode <= 1.5x np.copy). Exits 0 unless --check is given and the
target is missed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable

import numpy as np

from pyprobe_wire import (
    Message,
    MessageType,
    ProbeAnchor,
    decode_message,
    encode_message,
    encode_message_parts,
)

TARGET_RATIO = 1.5
SAMPLES = 1_000_000


def median_ms(fn: Callable[[], object], repeat: int, warmup: int) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter_ns()
        fn()
        times.append(time.perf_counter_ns() - start)
    return statistics.median(times) / 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30, help="timed runs per case (default 30)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed runs first (default 5)")
    parser.add_argument(
        "--check", action="store_true", help=f"exit 1 if encode+decode > {TARGET_RATIO}x np.copy"
    )
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.warmup < 0:
        parser.error("--repeat must be >= 1 and --warmup >= 0")

    rng = np.random.default_rng(0)
    arr = rng.standard_normal(SAMPLES) + 1j * rng.standard_normal(SAMPLES)
    anchor = ProbeAnchor("script.py", 10, 4, "signal", func="main")
    msg = Message(MessageType.DATA_PROBE_VALUE, {"anchor": anchor, "value": arr})
    swapped = Message(MessageType.DATA_PROBE_VALUE, {"anchor": anchor, "value": arr.astype(">c16")})
    frame = encode_message(msg)
    assert np.array_equal(decode_message(frame).payload["value"], arr)

    def parts_and_decode():
        # What a transport does: hand the parts to sendmsg, the peer decodes the bytes.
        return decode_message(b"".join(encode_message_parts(msg)))

    cases = {
        "numpy.copy_1M_c128": lambda: np.copy(arr),
        "wire.encode_decode_1M_c128": lambda: decode_message(encode_message(msg)),
        "wire.encode_1M_c128": lambda: encode_message(msg),
        "wire.decode_1M_c128": lambda: decode_message(frame),
        "wire.encode_parts_1M_c128": lambda: encode_message_parts(msg),
        "wire.parts_join_decode_1M_c128": parts_and_decode,
        # Needs conversion: byte-swapped while copied into a reserved, zeroed region.
        "wire.encode_byteswapped_1M_c128": lambda: encode_message(swapped),
    }
    results = {name: median_ms(fn, args.repeat, args.warmup) for name, fn in cases.items()}

    baseline = results["numpy.copy_1M_c128"]
    for name, ms in results.items():
        print(f"{name}: {ms:.3f} ms ({ms / baseline:.2f}x np.copy)")
    ratio = results["wire.encode_decode_1M_c128"] / baseline
    met = ratio <= TARGET_RATIO
    print(
        f"verdict: target <= {TARGET_RATIO}x np.copy {'met' if met else 'MISSED'} "
        f"(encode+decode {ratio:.2f}x, median of {args.repeat})"
    )
    return 1 if args.check and not met else 0


if __name__ == "__main__":
    sys.exit(main())
