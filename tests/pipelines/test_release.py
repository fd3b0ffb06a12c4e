"""The tracer's release: a tag names the version, the artifacts are checked, nothing uploads."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from pipelines.cli import main
from pipelines.errors import ExitCode
from pipelines.release import (
    PACKAGES,
    STEPS,
    ReleaseError,
    TagError,
    check_versions,
    check_wheel_metadata,
    parse_tag,
    run_release,
    source_version,
    uv_bin,
)
from tests._support.cli import run_main

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
VERSION = source_version(PACKAGES[-1].version_file(ROOT))  # the tracer's, 0.1.0 today


def fake_repo(tmp_path: Path, versions: dict[str, str]) -> Path:
    """A repository with just the three version files, ``folder -> version``."""
    for package in PACKAGES:
        path = package.version_file(tmp_path)
        path.parent.mkdir(parents=True)
        path.write_text(f'"""{package.dist}."""\n\n__version__ = "{versions[package.folder]}"\n')
    return tmp_path


def make_wheel(tmp_path: Path, requires: list[str], version: str = VERSION) -> Path:
    """A wheel of pyprobe-tracer holding only its METADATA."""
    lines = ["Metadata-Version: 2.4", "Name: pyprobe-tracer", f"Version: {version}"]
    lines += [f"Requires-Dist: {requirement}" for requirement in requires]
    wheel = tmp_path / f"pyprobe_tracer-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(f"pyprobe_tracer-{version}.dist-info/METADATA", "\n".join(lines) + "\n")
    return wheel


def release(capsys, root: Path, *args: str) -> tuple[int, str]:
    return run_main(main, capsys, ["--root", str(root), "release", *args])


# --- the tag -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tag", "version"),
    [("tracer-v0.2.0", "0.2.0"), ("tracer-v0.2.0rc1", "0.2.0rc1"), ("tracer-v1.0", "1.0")],
)
def test_a_tracer_tag_gives_its_pep440_version(tag, version):
    assert parse_tag(tag) == version


@pytest.mark.parametrize(
    "tag", ["v0.2.0", "tracer-0.2.0", "gui-v0.2.0", "tracer-vbanana", "tracer-v", ""]
)
def test_a_malformed_tag_is_bad_usage_naming_the_expected_form(tag):
    with pytest.raises(TagError) as raised:
        parse_tag(tag)
    assert raised.value.exit_code == ExitCode.USAGE
    assert "tracer-vX.Y.Z" in str(raised.value)


def test_a_tag_not_in_normal_form_names_the_normal_form():
    with pytest.raises(TagError, match=re.escape("tracer-v0.2.0rc1")):
        parse_tag("tracer-v0.2.0-RC1")


# --- the versions ------------------------------------------------------------------------


def test_the_repository_versions_agree_with_each_other():
    check_versions(ROOT, VERSION)
    for package in PACKAGES:  # what the check read is what the packages say they are
        assert importlib.import_module(package.module).__version__ == VERSION


def test_a_tag_that_does_not_match_names_the_file_to_edit(tmp_path):
    root = fake_repo(tmp_path, {"wire": "0.2.0", "transport": "0.1.0", "tracer": "0.2.0"})
    with pytest.raises(ReleaseError) as raised:
        check_versions(root, "0.2.0")
    message = str(raised.value)
    assert raised.value.exit_code == ExitCode.GATE_FAILED
    assert "packages/transport/src/pyprobe_transport/__init__.py says 0.1.0" in message
    assert "pyprobe_wire" not in message and "pyprobe_tracer" not in message
    assert '__version__ = "0.2.0"' in message


# --- the wheel's metadata ----------------------------------------------------------------


def test_a_wheel_pinning_its_siblings_passes(tmp_path):
    pins = [f"pyprobe-transport=={VERSION}", f"pyprobe-wire=={VERSION}"]
    check_wheel_metadata(make_wheel(tmp_path, ["numpy>=1.22", *pins]), VERSION)


def test_a_wheel_with_a_direct_reference_is_refused(tmp_path):
    wheel = make_wheel(
        tmp_path,
        [
            "numpy>=1.22",
            "pyprobe-wire @ file:///home/dev/pyprobe/packages/wire",
            f"pyprobe-transport=={VERSION}",
        ],
    )
    with pytest.raises(ReleaseError) as raised:
        check_wheel_metadata(wheel, VERSION)
    assert wheel.name in str(raised.value)
    assert "direct reference" in str(raised.value) and "PyPI" in str(raised.value)


@pytest.mark.parametrize(
    "pins",
    [
        ["pyprobe-wire>=0.1", "pyprobe-transport=={v}"],
        ["pyprobe-transport=={v}"],
        ["pyprobe-wire==9.9.9", "pyprobe-transport=={v}"],
    ],
)
def test_a_sibling_not_pinned_to_the_version_is_refused(tmp_path, pins):
    wheel = make_wheel(tmp_path, [pin.format(v=VERSION) for pin in pins])
    with pytest.raises(ReleaseError, match=re.escape(f"expected pyprobe-wire=={VERSION}")):
        check_wheel_metadata(wheel, VERSION)


def test_a_wheel_of_another_version_is_refused(tmp_path):
    with pytest.raises(ReleaseError, match=re.escape("Version is 0.0.9")):
        check_wheel_metadata(make_wheel(tmp_path, [], version="0.0.9"), VERSION)


# --- the command line --------------------------------------------------------------------


def test_cli_malformed_tag_exits_2_without_traceback(capsys):
    code, err = release(capsys, ROOT, "v0.2.0", "--dry-run")
    assert code == ExitCode.USAGE
    assert err.startswith("error: tag 'v0.2.0' is not a tracer release tag")


def test_cli_version_mismatch_exits_1_naming_the_files(capsys):
    code, err = release(capsys, ROOT, "tracer-v99.0.0", "--dry-run")
    assert code == ExitCode.GATE_FAILED
    assert err.startswith("error: the tag's version 99.0.0 does not match")
    for package in PACKAGES:
        assert str(package.version_file(ROOT).relative_to(ROOT)) in err


def test_cli_release_needs_the_tag_on_head_unless_dry_run(tmp_path, capsys):
    root = fake_repo(tmp_path, {"wire": "0.2.0", "transport": "0.2.0", "tracer": "0.2.0"})
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    code, err = release(capsys, root, "tracer-v0.2.0")
    assert code == ExitCode.GATE_FAILED
    assert "tag tracer-v0.2.0 does not exist here" in err
    assert "--dry-run" in err


def test_a_release_is_built_from_the_tagged_commit_with_clean_sources(tmp_path):
    root = fake_repo(tmp_path, {"wire": "0.2.0", "transport": "0.2.0", "tracer": "0.2.0"})
    git = ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "release"], check=True)
    subprocess.run([*git, "tag", "tracer-v0.2.0"], check=True)
    checks = [step for step in STEPS if step[0] in ("tag", "versions", "tagged commit")]
    lines = []
    run_release(root, "tracer-v0.2.0", steps=checks, progress=lines.append)
    assert any("HEAD is tracer-v0.2.0, sources clean" in line for line in lines)

    (root / "packages" / "wire" / "src" / "pyprobe_wire" / "extra.py").write_text("x = 1\n")
    with pytest.raises(ReleaseError, match="sources differ from tag tracer-v0"):
        run_release(root, "tracer-v0.2.0", steps=checks, progress=lines.append)
    run_release(root, "tracer-v0.2.0", steps=checks, dry_run=True, progress=lines.append)


# --- the whole release, on this repository -------------------------------------------------


def tools_python(tmp_path: Path) -> str:
    """A Python with the `build` group and pyyaml: this one, or a fresh venv made by uv."""
    if all(importlib.util.find_spec(name) for name in ("build", "twine", "yaml")):
        return sys.executable
    uv = uv_bin()
    if uv is None:
        pytest.skip("needs uv (the test group) or the `build` group installed")
    groups = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    requirements = [*groups["dependency-groups"]["build"], "pyyaml>=6"]
    env = tmp_path / "tools"
    subprocess.run([uv, "venv", "-q", "--python", sys.executable, str(env)], check=True)
    python = str(env / "bin" / "python")
    subprocess.run([uv, "pip", "install", "-q", "--python", python, *requirements], check=True)
    return python


@pytest.mark.packaging
@pytest.mark.slow
def test_dry_run_of_the_current_version_builds_checks_and_smoke_tests(tmp_path):
    out = tmp_path / "dist"
    command = ["-m", "pipelines", "release", f"tracer-v{VERSION}", "--dry-run"]
    result = subprocess.run(
        [tools_python(tmp_path), *command, "--out-dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"fresh venv: pyprobe-tracer {VERSION}" in result.stdout
    assert "nothing uploaded" in result.stdout
    built = {path.relative_to(out).as_posix() for path in out.rglob("*") if path.is_file()}
    assert built == {
        f"{package.dist}/{package.module}-{VERSION}{suffix}"
        for package in PACKAGES
        for suffix in ("-py3-none-any.whl", ".tar.gz")
    }
