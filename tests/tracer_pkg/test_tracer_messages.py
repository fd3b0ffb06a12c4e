"""What a new user sees when the script itself is the problem: Python's own messages."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pyprobe_tracer.engine.anchor import ScriptSyntaxError, resolve_probes
from pyprobe_tracer.engine.errors import ProbeSpecError
from pyprobe_tracer.engine.script_main import ScriptNotRunnable, script_entry
from tests._support.fake_gui import run_tracer

BROKEN = "a = 1\nb = 2\nx = (a +\n"


def python(*args, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *map(str, args)], capture_output=True, text=True, timeout=60, cwd=cwd
    )


def test_a_script_with_a_syntax_error_is_reported_as_python_reports_it(tmp_path):
    (tmp_path / "syntax.py").write_text(BROKEN)
    expected = python("syntax.py", cwd=tmp_path)
    result = run_tracer("--record", "run.ppr", "syntax.py", cwd=tmp_path)
    assert result.returncode == expected.returncode == 1
    assert result.stderr == expected.stderr
    assert f'File "{tmp_path / "syntax.py"}", line 3' in result.stderr and "^" in result.stderr
    assert "runner.py" not in result.stderr and "runpy" not in result.stderr


def test_a_syntax_error_found_while_resolving_probes_is_the_scripts_not_the_probes(tmp_path):
    script = tmp_path / "syntax.py"
    script.write_text(BROKEN)
    with pytest.raises(ScriptSyntaxError) as caught:
        resolve_probes(script, ["1:a"])
    assert not isinstance(caught.value, ProbeSpecError)
    assert str(caught.value) == python(script, cwd=tmp_path).stderr.rstrip()


def test_a_probe_past_the_end_of_the_script_says_how_many_lines_the_script_has(tmp_path):
    script = tmp_path / "short.py"
    script.write_text("".join(f"v{i} = {i}\n" for i in range(23)))
    result = run_tracer("--probe", "99:y", "--record", tmp_path / "run.ppr", script)
    assert result.returncode == 2
    assert f"{script}:99: no 'y' on this line" in result.stderr
    assert f"{script} has only 23 lines" in result.stderr


def test_a_directory_with_a_main_file_runs_it_as_python_dir_does(tmp_path):
    app = tmp_path / "app"
    app.mkdir()
    (app / "__main__.py").write_text(
        "import os, sys\n"
        "paths = [os.path.abspath(p) for p in sys.path]\n"
        "print(__name__, sys.argv, paths[0] == os.path.abspath('app'), os.getcwd() in paths)\n"
    )
    runner = (
        "import sys\nfrom pathlib import Path\n"
        "from pyprobe_tracer.engine.script_main import run_script\n"
        "sys.exit(run_script(Path(sys.argv[1]), sys.argv[2:]))\n"
    )
    expected = python("app", "one", cwd=tmp_path)
    result = python("-c", runner, "app", "one", cwd=tmp_path)
    assert expected.stdout == "__main__ ['app', 'one'] True False\n"
    assert (result.returncode, result.stdout) == (0, expected.stdout)


def test_script_entry_of_a_directory_is_its_main_file(tmp_path):
    (tmp_path / "__main__.py").write_text("")
    assert script_entry(tmp_path) == tmp_path / "__main__.py"


def test_a_directory_without_a_main_file_is_named_as_a_directory(tmp_path):
    with pytest.raises(ScriptNotRunnable, match=r"is a directory with no __main__\.py"):
        script_entry(tmp_path)
    with pytest.raises(ScriptNotRunnable, match="File not found"):
        script_entry(tmp_path / "missing.py")
