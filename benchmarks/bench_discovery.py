"""Interpreter discovery: ``PythonDiscovery.discover(script)``, cold and warm.

The script sits next to a ``.venv`` (a real venv, made here without pip), and PATH is
a directory of this run's own with ``python3`` and ``python`` (links to the base
interpreter); VIRTUAL_ENV, CONDA_PREFIX and PYENV_ROOT are left out, so the figures do
not depend on this machine's shims. ``--environment`` discovers in this process's
environment as it is instead. Cold: the probe cache is cleared before every run, so
each run starts every candidate's probe (in parallel). Warm: the cache is full. The
baseline, measured in the same run, is one bare ``python -c pass`` spawn, waited for.
Targets: cold at most 200 ms, warm at most 5 ms.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import venv
from pathlib import Path

from bench_launch import bare_spawn
from bench_wire import median_ms

from pyprobe.core import PythonDiscovery, clear_cache

COLD_TARGET_MS = 200.0
WARM_TARGET_MS = 5.0


def own_world(tmp: Path) -> Path:
    """A script next to a .venv, and a PATH of links to the base interpreter; the script."""
    project = tmp / "project"
    venv.create(project / ".venv", with_pip=False, symlinks=True)
    base = os.path.realpath(getattr(sys, "_base_executable", sys.executable))
    (tmp / "bin").mkdir()
    for name in ("python3", "python"):
        (tmp / "bin" / name).symlink_to(base)
    os.environ["PATH"] = str(tmp / "bin")
    for name in ("VIRTUAL_ENV", "CONDA_PREFIX", "PYENV_ROOT"):
        os.environ.pop(name, None)
    return project / "dsp.py"


def cold_discover(script: Path) -> str:
    clear_cache()
    return PythonDiscovery.discover(script)


def report(name: str, ms: float, base: float, target: float) -> bool:
    print(
        f"{name}: {ms:.3f} ms ({ms / base:.3f}x bare python -c pass {base:.1f} ms; "
        f"target <= {target:g} ms)"
    )
    return ms <= target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=11, help="runs per case (median)")
    parser.add_argument("--environment", action="store_true", help="discover in this environment")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pyprobe-bench-discovery-") as tmp:
        script = Path(tmp) / "dsp.py" if args.environment else own_world(Path(tmp))
        script.parent.mkdir(parents=True, exist_ok=True)
        script.write_text("x = 1\n")
        print(f"# discover({script.name}) -> {cold_discover(script)}")
        base = median_ms(bare_spawn, args.repeat, warmup=1)
        cold = median_ms(lambda: cold_discover(script), args.repeat, warmup=1)
        warm = median_ms(lambda: PythonDiscovery.discover(script), args.repeat, warmup=1)
    met = [
        report("discovery.cold", cold, base, COLD_TARGET_MS),
        report("discovery.warm", warm, base, WARM_TARGET_MS),
    ]
    return 1 if (args.check and not all(met)) else 0


if __name__ == "__main__":
    sys.exit(main())
