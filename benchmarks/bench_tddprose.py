"""tddprose sync speed on a generated 10,000-test repository, against pytest --collect-only.

The corpus (benchmarks/_tddprose_corpus.py, deterministic): 500 pytest files of 20 tests
each under tests/<domain>/<sub>/, classes, docstrings, parametrize, ~10 % anchors, and
its .tdd-prose/config.yml. Every case is the wall time of a whole process run with the
corpus as the working directory, as a user waits for it; per repetition, interleaved:

- reference: ``python -m pytest --collect-only -q -p no:cacheprovider``;
- cold sync: ``python -m tddprose sync --apply --no-runner`` (static, no test run)
  after deleting .tdd-prose/state.sqlite and spec/;
- no-op: the same command again at once; it must leave every file under the corpus
  root (.tdd-prose/ and spec/ included) as it was (path, mtime_ns, size);
- one file changed: a new test function appended to one test file (another file each
  repetition), then the same command.

``--jest``: the same three cases on a generated Jest corpus (100 files x 20 tests =
2,000 tests, describes, it.each tables, anchors; _tddprose_corpus.generate_jest) in
static mode, which needs no Node.js; with no framework listing to time against, each
figure's ratio is against its target. Same targets.

Targets (the tddprose issue, for 500 files x 20 tests): cold sync at most 5 s, no-op
at most 0.5 s, one file changed at most 1 s. Medians; the ratios are against the
reference measured in the same run. PYTHONDONTWRITEBYTECODE is removed from every
command's environment: without bytecode caches pytest rewrites and compiles every test
module on every collection (several times slower) and tddprose recompiles itself,
which is not what a user's machine does. Exit 1 when a target is missed or the no-op
changed a file, 2 when a command fails.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from _tddprose_corpus import appended_jest_test, appended_test, generate, generate_jest

ROOT = Path(__file__).resolve().parents[1]
TDDPROSE_SRC = ROOT / "packages" / "tddprose" / "src"
TARGETS = {"cold sync": 5.0, "no-op": 0.5, "one file changed": 1.0}  # seconds
TARGET_SHAPE = (500, 20)  # files, tests per file the targets are stated for
JEST_TARGET_SHAPE = (100, 20)  # the Jest corpus: 2,000 tests, the same targets
REFERENCE = "pytest --collect-only"
COLLECTED = re.compile(r"(\d+) tests? collected")
STATE_FILES = ("state.sqlite", "state.sqlite-wal", "state.sqlite-shm", "state.sqlite-journal")


class CommandFailed(Exception):
    pass


@dataclass
class Case:
    name: str
    walls: list[float] = field(default_factory=list)


def base_env() -> tuple[dict[str, str], str]:
    """The commands' environment, and a note when tddprose is taken from the source tree."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(TPR_ENV_VALIDATE="skip", PYTEST_ADDOPTS="")
    note = ""
    if importlib.util.find_spec("tddprose") is None and TDDPROSE_SRC.is_dir():
        # Not installed in this interpreter (nox's bench session installs it).
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(TDDPROSE_SRC), env.get("PYTHONPATH")])
        )
        note = f"tddprose is not installed here: using {TDDPROSE_SRC} through PYTHONPATH"
    return env, note


def run(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, str]:
    """Wall time of the whole process and its stdout; CommandFailed on a non-zero exit."""
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if result.returncode != 0:
        raise CommandFailed(
            f"`{' '.join(command)}` (in {cwd}) exited with {result.returncode}\n"
            f"--- stderr (last 3000 characters) ---\n{result.stderr[-3000:]}\n"
            f"--- stdout (last 1500 characters) ---\n{result.stdout[-1500:]}"
        )
    return wall, result.stdout


def collected(output: str) -> int | None:
    found = COLLECTED.findall(output)
    return int(found[-1]) if found else None


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """(mtime_ns, size) of every file under root, by relative path."""
    files = {}
    for directory, _dirs, names in os.walk(root):
        for name in names:
            path = Path(directory, name)
            stat = path.lstat()
            files[path.relative_to(root).as_posix()] = (stat.st_mtime_ns, stat.st_size)
    return files


def differences(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]):
    changed = [
        f"changed {p}" for p in sorted(before.keys() & after.keys()) if before[p] != after[p]
    ]
    added = [f"added {p}" for p in sorted(after.keys() - before.keys())]
    removed = [f"removed {p}" for p in sorted(before.keys() - after.keys())]
    return changed + added + removed


def reset_state(root: Path) -> None:
    for name in STATE_FILES:
        (root / ".tdd-prose" / name).unlink(missing_ok=True)
    shutil.rmtree(root / "spec", ignore_errors=True)


def spec_files(root: Path) -> list[Path]:
    spec = root / "spec"
    return sorted(p for p in spec.rglob("*") if p.is_file()) if spec.is_dir() else []


def prepare(keep: Path | None) -> tuple[Path, tempfile.TemporaryDirectory | None]:
    if keep is None:
        holder = tempfile.TemporaryDirectory(prefix="tddprose-bench-")
        return Path(holder.name) / "corpus", holder
    keep = keep.resolve()
    if keep.exists() and any(keep.iterdir()):
        if not (keep / ".tdd-prose" / "config.yml").is_file():
            raise SystemExit(f"--keep {keep}: exists, is not empty and is not a corpus")
        for child in keep.iterdir():  # a previous corpus: regenerate it from scratch
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
    return keep, None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--runs", "--repeats", "--repeat", type=int, default=5, help="repetitions (default 5)"
    )
    parser.add_argument("--files", type=int, help="test files (default 500, --jest 100)")
    parser.add_argument("--tests-per-file", type=int, help="test functions per file (default 20)")
    parser.add_argument(
        "--jest",
        action="store_true",
        help="time a generated Jest corpus instead (static mode; needs no Node.js)",
    )
    parser.add_argument("--seed", type=int, default=0, help="corpus seed (default 0)")
    parser.add_argument(
        "--keep", type=Path, metavar="DIR", help="generate the corpus in DIR and leave it there"
    )
    parser.add_argument(
        "--reference-only",
        action="store_true",
        help=f"time only the reference ({REFERENCE}): checks the corpus without tddprose",
    )
    parser.add_argument("--quiet", action="store_true", help="no per-run progress on stderr")
    parser.add_argument(
        "--check", action="store_true", help="accepted for `nox -s bench -- --check`: always on"
    )
    args = parser.parse_args()
    shape = JEST_TARGET_SHAPE if args.jest else TARGET_SHAPE
    args.files = shape[0] if args.files is None else args.files
    args.tests_per_file = shape[1] if args.tests_per_file is None else args.tests_per_file
    if args.runs < 1 or args.files < 1 or args.tests_per_file < 1:
        parser.error("--runs, --files and --tests-per-file must be at least 1")

    def progress(line: str) -> None:
        if not args.quiet:
            print(line, file=sys.stderr, flush=True)

    root, holder = prepare(args.keep)
    try:
        return measure_jest(args, root, progress) if args.jest else measure(args, root, progress)
    except CommandFailed as error:
        print(f"FAILED: {error}", file=sys.stderr)
        return 2
    finally:
        if holder is not None:
            holder.cleanup()
        else:
            print(f"corpus kept in {root}", file=sys.stderr)


def measure(args: argparse.Namespace, root: Path, progress) -> int:
    start = time.perf_counter()
    corpus = generate(root, args.files, args.tests_per_file, args.seed)
    progress(f"corpus: {corpus.describe()} ({time.perf_counter() - start:.1f} s) in {root}")
    env, note = base_env()
    if note:
        progress(note)
    reference_cmd = [
        sys.executable,
        "-m",
        "pytest",
        "--collect-only",
        "-q",
        "-p",
        "no:cacheprovider",
    ]
    sync_cmd = [sys.executable, "-m", "tddprose", "sync", "--apply", "--no-runner"]

    # Untimed warm-up: pytest's assertion-rewrite cache, and the item count.
    expected = corpus.items
    wall, output = run(reference_cmd, root, env)
    if collected(output) != expected:
        raise CommandFailed(
            f"{REFERENCE} collected {collected(output)} items, the corpus has {expected}"
        )
    progress(f"warm-up {REFERENCE}: {wall:.2f} s, {expected} items")
    tddprose_version = "not timed"
    if not args.reference_only:
        try:
            wall, _ = run(sync_cmd, root, env)
        except CommandFailed as error:
            raise CommandFailed(
                f"{error}\n(is tddprose installed, with its CLI `python -m tddprose sync`?)"
            ) from None
        progress(f"warm-up tddprose sync: {wall:.2f} s, {len(spec_files(root))} files in spec/")
        version_cmd = [sys.executable, "-c", "import tddprose; print(tddprose.__version__)"]
        tddprose_version = run(version_cmd, root, env)[1].strip()

    reference = Case(REFERENCE)
    cases = {name: Case(name) for name in TARGETS}
    noop_writes: list[str] = []
    spec_changed: list[int] = []
    targets = random.Random(args.seed).sample(corpus.test_files, len(corpus.test_files))
    total = args.runs * (1 if args.reference_only else 4)
    done = 0

    def timed(case: Case, command: list[str], extra: str = "") -> str:
        nonlocal done
        wall, output = run(command, root, env)
        case.walls.append(wall)
        done += 1
        progress(f"[{done}/{total}] {case.name}: {wall:.2f} s{extra}")
        return output

    for repeat in range(args.runs):
        output = timed(reference, reference_cmd)
        if collected(output) != expected:
            raise CommandFailed(f"{REFERENCE} collected {collected(output)}, expected {expected}")
        if args.reference_only:
            continue
        reset_state(root)
        timed(cases["cold sync"], sync_cmd)
        before = snapshot(root)
        timed(cases["no-op"], sync_cmd)
        diff = differences(before, snapshot(root))
        if diff:
            noop_writes += [f"run {repeat + 1}: {line}" for line in diff]
            progress(f"  no-op changed {len(diff)} files: {', '.join(diff[:5])}")
        path = root / targets[repeat % len(targets)]
        with path.open("a", encoding="utf-8") as handle:
            handle.write(appended_test(repeat))
        expected += 1
        spec_before = {p: p.read_bytes() for p in spec_files(root)}
        timed(cases["one file changed"], sync_cmd, f" ({path.relative_to(root)})")
        spec_after = {p: p.read_bytes() for p in spec_files(root)}
        keys = spec_before.keys() | spec_after.keys()
        spec_changed.append(sum(spec_before.get(p) != spec_after.get(p) for p in keys))

    shape = (args.files, args.tests_per_file)
    print(
        f"# {corpus.files} files x {args.tests_per_file} tests = {corpus.test_functions} test "
        f"functions, {corpus.items} items, {corpus.anchors} anchors; {args.runs} runs per case, "
        f"interleaved, medians; Python {platform.python_version()}, pytest {pytest.__version__}, "
        f"tddprose {tddprose_version}"
    )
    base = statistics.median(reference.walls)
    print(f"{REFERENCE}: {base:.2f} s (1.00x reference, {expected} items at the end)")
    if args.reference_only:
        return 0
    if shape != TARGET_SHAPE:
        print(f"# note: the targets are stated for {TARGET_SHAPE[0]} x {TARGET_SHAPE[1]} tests")
    verdicts = []
    for name, target in TARGETS.items():
        wall = statistics.median(cases[name].walls)
        print(
            f"{name}: {wall:.2f} s ({wall / base:.3f}x {REFERENCE} {base:.2f} s; "
            f"target <= {target:.2f} s)"
        )
        met = wall <= target
        verdicts.append(met)
        print(
            f"verdict: {name} <= {target:.2f} s {'PASS' if met else 'FAIL'} "
            f"({wall:.2f} s, median of {args.runs})"
        )
    print(
        f"# spec files changed by one file changed: {', '.join(map(str, spec_changed))} "
        f"(per run); {len(spec_files(root))} files in spec/"
    )
    clean = not noop_writes
    for line in noop_writes[:20]:
        print(f"# no-op wrote: {line}")
    if len(noop_writes) > 20:
        print(f"# ... and {len(noop_writes) - 20} more")
    print(
        f"verdict: no-op leaves every file unchanged {'PASS' if clean else 'FAIL'} "
        f"({len(noop_writes)} changes in {args.runs} runs)"
    )
    return 0 if all(verdicts) and clean else 1


def measure_jest(args: argparse.Namespace, root: Path, progress) -> int:
    """The same three cases on the generated Jest corpus, static mode. Without Node.js
    there is no framework listing to time against, so each figure's ratio is against
    its target, and the per-test cost is compared with the pytest targets' (the
    targets are stated for 10,000 pytest tests; the Jest corpus has 2,000)."""
    start = time.perf_counter()
    corpus = generate_jest(root, args.files, args.tests_per_file, args.seed)
    progress(f"corpus: {corpus.describe()} ({time.perf_counter() - start:.1f} s) in {root}")
    env, note = base_env()
    if note:
        progress(note)
    sync_cmd = [sys.executable, "-m", "tddprose", "sync", "--apply", "--no-runner"]
    wall, _ = run(sync_cmd, root, env)
    progress(f"warm-up tddprose sync: {wall:.2f} s, {len(spec_files(root))} files in spec/")
    cases = {name: Case(name) for name in TARGETS}
    noop_writes: list[str] = []
    targets = random.Random(args.seed).sample(corpus.test_files, len(corpus.test_files))
    total, done = args.runs * 3, 0

    def timed(case: Case, extra: str = "") -> None:
        nonlocal done
        wall, _ = run(sync_cmd, root, env)
        case.walls.append(wall)
        done += 1
        progress(f"[{done}/{total}] {case.name}: {wall:.2f} s{extra}")

    for repeat in range(args.runs):
        reset_state(root)
        timed(cases["cold sync"])
        before = snapshot(root)
        timed(cases["no-op"])
        diff = differences(before, snapshot(root))
        noop_writes += [f"run {repeat + 1}: {line}" for line in diff]
        path = root / targets[repeat % len(targets)]
        with path.open("a", encoding="utf-8") as handle:
            handle.write(appended_jest_test(repeat))
        timed(cases["one file changed"], f" ({path.relative_to(root)})")
    print(
        f"# Jest corpus: {corpus.describe()}; {args.runs} runs per case, interleaved, "
        f"medians; static mode (--no-runner); Python {platform.python_version()}"
    )
    if (args.files, args.tests_per_file) != JEST_TARGET_SHAPE:
        print(f"# note: the targets are stated for {JEST_TARGET_SHAPE[0]} x {JEST_TARGET_SHAPE[1]}")
    verdicts = []
    for name, target in TARGETS.items():
        wall = statistics.median(cases[name].walls)
        per_test = wall / max(corpus.tests, 1) * 1e6
        print(
            f"jest {name}: {wall:.2f} s ({wall / target:.3f}x target {target:.2f} s; "
            f"{per_test:.0f} us per test)"
        )
        verdicts.append(wall <= target)
        print(
            f"verdict: jest {name} <= {target:.2f} s {'PASS' if wall <= target else 'FAIL'} "
            f"({wall:.2f} s, median of {args.runs})"
        )
    clean = not noop_writes
    for line in noop_writes[:20]:
        print(f"# no-op wrote: {line}")
    print(
        f"verdict: jest no-op leaves every file unchanged {'PASS' if clean else 'FAIL'} "
        f"({len(noop_writes)} changes in {args.runs} runs)"
    )
    return 0 if all(verdicts) and clean else 1


if __name__ == "__main__":
    sys.exit(main())
