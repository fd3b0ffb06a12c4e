"""The tag-triggered release of the tracer: check, build, inspect, smoke-test. Never uploads.

    python -m pipelines release tracer-v0.2.0 [--dry-run] [--out-dir dist]

Like the gate, the release is a tuple of small steps run in order; the first that
fails stops it with a :class:`ReleaseError` naming the thing and the fix:

    tag -> versions -> build -> metadata -> twine -> smoke test

The three published packages go out together, at one version, in this order:
pyprobe-wire, pyprobe-transport, pyprobe-tracer. Each one's sdist and wheel are built
once into ``<out-dir>/<distribution>/``, the directory the publish workflow uploads
from. Uploading is the workflow's job (trusted publishing), never this module's.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email.message import Message
from email.parser import Parser
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from pipelines.errors import ExitCode, PipelineError

TAG_PREFIX = "tracer-v"
TAG_FORM = f"{TAG_PREFIX}X.Y.Z (a PEP 440 version, e.g. {TAG_PREFIX}0.2.0 or {TAG_PREFIX}0.2.0rc1)"
DEFAULT_OUT_DIR = "dist"
TOOL_TIMEOUT = 900  # seconds for one build, check or install


@dataclass(frozen=True)
class Package:
    """One published package: its distribution name, folder and import name."""

    dist: str
    folder: str
    module: str

    def version_file(self, root: Path) -> Path:
        return root / "packages" / self.folder / "src" / self.module / "__init__.py"


#: Published together, in this order (each one's pins are on PyPI before it is).
PACKAGES = (
    Package("pyprobe-wire", "wire", "pyprobe_wire"),
    Package("pyprobe-transport", "transport", "pyprobe_transport"),
    Package("pyprobe-tracer", "tracer", "pyprobe_tracer"),
)
SIBLINGS = {"pyprobe-tracer": ("pyprobe-wire", "pyprobe-transport")}  # pinned ==version


class ReleaseError(PipelineError):
    """A release check failed: ``<what>: <problem>; <fix>``. Exit code 1."""

    exit_code = ExitCode.GATE_FAILED


class TagError(ReleaseError):
    """The tag is not ``tracer-vX.Y.Z``. Bad usage: exit code 2."""

    exit_code = ExitCode.USAGE


class ToolMissing(ReleaseError):
    """``build`` or ``twine`` is not installed in this Python. Exit code 2."""

    exit_code = ExitCode.USAGE


# --- pure checks: tests call these without building anything -------------------------


def parse_tag(tag: str) -> str:
    """The version of ``tracer-vX.Y.Z``, in its normalized PEP 440 form."""
    text = tag.strip()
    if not text.startswith(TAG_PREFIX):
        raise TagError(f"tag {tag!r} is not a tracer release tag; use {TAG_FORM}")
    raw = text[len(TAG_PREFIX) :]
    try:
        version = Version(raw)
    except InvalidVersion:
        raise TagError(f"tag {tag!r}: {raw!r} is not a PEP 440 version; use {TAG_FORM}") from None
    if str(version) != raw or version.local is not None:
        hint = f"{TAG_PREFIX}{version.public}"
        raise TagError(f"tag {tag!r}: write the version in its normal form, e.g. {hint}")
    return raw


def source_version(path: Path) -> str:
    """``__version__`` of a package's ``__init__.py`` (the file hatch reads it from)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ReleaseError(f"{path}: cannot read the package version ({exc.strerror})") from None
    found = re.search(r"""^__version__\s*=\s*["']([^"']+)["']""", text, re.MULTILINE)
    if not found:
        raise ReleaseError(f'{path}: no __version__ = "X.Y.Z" line; add one')
    return found.group(1)


def check_versions(root: Path, version: str) -> None:
    """Every published package's source says ``version``; else name the files to edit."""
    wrong = []
    for package in PACKAGES:
        path = package.version_file(root)
        found = source_version(path)
        if found != version:
            shown = path.relative_to(root) if path.is_relative_to(root) else path
            wrong.append(f"{shown} says {found}")
    if wrong:
        raise ReleaseError(
            f"the tag's version {version} does not match: {'; '.join(wrong)}. "
            f'Set __version__ = "{version}" there (wire, transport and tracer are '
            "released together), commit, and tag that commit"
        )


def wheel_metadata(wheel: Path) -> Message:
    """The ``*.dist-info/METADATA`` of a wheel."""
    with zipfile.ZipFile(wheel) as archive:
        names = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        if len(names) != 1:
            raise ReleaseError(f"{wheel.name}: expected one .dist-info/METADATA, found {names}")
        return Parser().parsestr(archive.read(names[0]).decode("utf-8"))


def sdist_metadata(sdist: Path) -> Message:
    """The top-level ``PKG-INFO`` of an sdist."""
    with tarfile.open(sdist) as archive:
        members = [
            m
            for m in archive.getmembers()
            if m.name.count("/") == 1 and m.name.endswith("/PKG-INFO")
        ]
        if len(members) != 1:
            raise ReleaseError(f"{sdist.name}: expected one top-level PKG-INFO")
        return Parser().parsestr(archive.extractfile(members[0]).read().decode("utf-8"))


def check_metadata(metadata: Message, version: str, source: str) -> None:
    """Name and version as released, no direct references, siblings pinned ``==version``.

    ``twine check --strict`` passes ``name @ file:///...``; PyPI then rejects the upload,
    and a user's pip could never resolve it. ``source`` names the artifact in errors."""
    name = canonicalize_name(metadata.get("Name") or "")
    if metadata.get("Version") != version:
        raise ReleaseError(
            f"{source}: Version is {metadata.get('Version')}, the tag says {version}; "
            "rebuild from the tagged commit"
        )
    pins: dict[str, str] = {}
    for line in metadata.get_all("Requires-Dist") or []:
        try:
            requirement = Requirement(line)
        except InvalidRequirement as exc:
            raise ReleaseError(f"{source}: Requires-Dist {line!r} is invalid: {exc}") from None
        if requirement.url:
            raise ReleaseError(
                f"{source}: Requires-Dist {line!r} is a direct reference, which PyPI "
                "rejects; depend on the package by name and version (hatch_build.py "
                "pins the siblings ==version)"
            )
        pins[canonicalize_name(requirement.name)] = str(requirement.specifier)
    for sibling in SIBLINGS.get(name, ()):
        if pins.get(sibling) != f"=={version}":
            found = f"{sibling}{pins[sibling]}" if sibling in pins else "nothing"
            raise ReleaseError(
                f"{source}: requires {found}, expected {sibling}=={version} (the siblings "
                "are released together); check the sibling-packages hook in pyproject.toml"
            )


def check_wheel_metadata(wheel: Path, version: str) -> None:
    check_metadata(wheel_metadata(wheel), version, wheel.name)


# --- the steps ------------------------------------------------------------------------


@dataclass
class ReleaseRun:
    """The state one release run builds up as its steps run."""

    root: Path
    tag: str
    out_dir: Path
    dry_run: bool = False
    progress: Callable[[str], None] = print
    version: str = ""
    artifacts: dict[str, list[Path]] = field(default_factory=dict)  # dist -> [sdist, wheel]

    def all_artifacts(self) -> list[Path]:
        return [path for package in PACKAGES for path in self.artifacts.get(package.dist, [])]


def run_tool(command: Sequence[str], what: str, fix: str, **kwargs) -> str:
    """Run one tool; its output on success, a ReleaseError with its last lines if not."""
    try:
        result = subprocess.run(
            list(command),
            capture_output=True,
            text=True,
            timeout=TOOL_TIMEOUT,
            check=False,
            **kwargs,
        )
    except subprocess.TimeoutExpired:
        raise ReleaseError(f"{what}: no answer after {TOOL_TIMEOUT} s; {fix}") from None
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
        raise ReleaseError(f"{what} failed (exit {result.returncode}); {fix}\n{tail}")
    return result.stdout


def uv_bin() -> str | None:
    """uv, if installed (the build group's ``build[uv]`` brings it): faster venvs."""
    try:
        from uv import find_uv_bin
    except ImportError:
        return shutil.which("uv")
    return find_uv_bin()


def step_tag(run: ReleaseRun) -> str:
    run.version = parse_tag(run.tag)
    return f"version {run.version}"


def step_tools(run: ReleaseRun) -> str:
    missing = [name for name in ("build", "twine") if importlib.util.find_spec(name) is None]
    if missing:
        raise ToolMissing(
            f"{' and '.join(missing)} not installed in {sys.executable}; run the release "
            f"through `invoke release {run.tag}` (or `nox -s release -- {run.tag}`), or "
            "install the root pyproject.toml's `build` group"
        )
    return "build and twine found"


def step_versions(run: ReleaseRun) -> str:
    check_versions(run.root, run.version)
    return f"wire, transport and tracer say {run.version}"


def step_tagged_commit(run: ReleaseRun) -> str:
    """A release (not a dry run) is built from the tagged commit and clean sources."""
    if run.dry_run:
        return "skipped (dry run: the tag need not exist yet)"
    git = ["git", "-C", str(run.root)]
    tagged = subprocess.run(
        [*git, "rev-parse", "--verify", "--quiet", f"refs/tags/{run.tag}^{{commit}}"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    if not tagged.strip():
        raise ReleaseError(
            f"tag {run.tag} does not exist here; tag the release commit "
            f"(git tag {run.tag}), or rehearse with --dry-run"
        )
    head = run_tool([*git, "rev-parse", "HEAD"], "git rev-parse HEAD", "commit the release")
    if tagged.strip() != head.strip():
        raise ReleaseError(
            f"HEAD is not the commit tag {run.tag} names; check out the tag "
            f"(git checkout {run.tag}), or rehearse with --dry-run"
        )
    folders = [str(Path("packages") / package.folder) for package in PACKAGES]
    dirty = run_tool([*git, "status", "--porcelain", "--", *folders], "git status", "")
    if dirty.strip():
        raise ReleaseError(
            f"the packages' sources differ from tag {run.tag}:\n{dirty.rstrip()}\n"
            "commit or remove the changes, or rehearse with --dry-run"
        )
    return f"HEAD is {run.tag}, sources clean"


def step_build(run: ReleaseRun) -> str:
    installer = ["--installer", "uv"] if uv_bin() else []
    for package in PACKAGES:
        out = run.out_dir / package.dist
        shutil.rmtree(out, ignore_errors=True)  # only this package's own folder
        started = time.monotonic()
        source = run.root / "packages" / package.folder
        # python -m build: the sdist, then the wheel built from that sdist (as pip would).
        run_tool(
            [sys.executable, "-m", "build", *installer, "--outdir", str(out), str(source)],
            f"building {package.dist}",
            f"run `python -m build {source.relative_to(run.root)}` to see the whole output",
            env={**os.environ, "PYPROBE_RELEASE_BUILD": "1"},  # as `nox -s build` builds
        )
        sdists, wheels = sorted(out.glob("*.tar.gz")), sorted(out.glob("*.whl"))
        if len(sdists) != 1 or len(wheels) != 1:
            raise ReleaseError(f"{out}: expected one sdist and one wheel, found {sorted(out)}")
        run.artifacts[package.dist] = [sdists[0], wheels[0]]
        run.progress(
            f"      {wheels[0].name} + {sdists[0].name} ({time.monotonic() - started:.1f} s)"
        )
    return f"{len(run.all_artifacts())} artifacts in {run.out_dir}"


def step_metadata(run: ReleaseRun) -> str:
    for sdist, wheel in run.artifacts.values():
        check_wheel_metadata(wheel, run.version)
        check_metadata(sdist_metadata(sdist), run.version, sdist.name)
    return "no direct references; siblings pinned ==" + run.version


def step_twine(run: ReleaseRun) -> str:
    paths = [str(path) for path in run.all_artifacts()]
    run_tool(
        [sys.executable, "-m", "twine", "check", "--strict", *paths],
        "twine check --strict",
        "fix the metadata it names (README, classifiers) in the package's pyproject.toml",
    )
    return "twine check --strict passed"


SMOKE_CHECK = """
import importlib.metadata as m, json
names = ("pyprobe-wire", "pyprobe-transport", "pyprobe-tracer")
urls = {n: json.loads(m.distribution(n).read_text("direct_url.json") or "{}") for n in names}
print(json.dumps({
    "versions": {n: m.version(n) for n in names},
    "editable": [n for n in names if urls[n].get("dir_info", {}).get("editable")],
}))
"""


def step_smoke(run: ReleaseRun) -> str:
    """A fresh venv with only the three wheels (numpy from the index) runs the tracer."""
    wheels = {dist: files[1] for dist, files in run.artifacts.items()}
    third_party = sorted(
        {
            line
            for wheel in wheels.values()
            for line in wheel_metadata(wheel).get_all("Requires-Dist") or []
            if not canonicalize_name(Requirement(line).name).startswith("pyprobe-")
        }
    )
    fix = "the wheels do not install together; see the output above"
    with tempfile.TemporaryDirectory(prefix="pyprobe-release-") as tmp:
        venv_dir = Path(tmp) / "venv"
        python = venv_dir / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
        uv = uv_bin()
        env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
        env.pop("PYTHONPATH", None)
        env.pop("VIRTUAL_ENV", None)
        if uv:
            create = [uv, "venv", "--quiet", "--python", sys.executable, str(venv_dir)]
            install = [uv, "pip", "install", "--quiet", "--python", str(python)]
            local = ["--no-cache"]  # never a cached wheel of the same name and version
        else:
            create = [sys.executable, "-m", "venv", str(venv_dir)]
            install = [str(python), "-m", "pip", "install", "--quiet"]
            install += ["--disable-pip-version-check"]
            local = ["--no-cache-dir"]
        run_tool(create, "creating the smoke-test venv", "check that venv works", env=env)
        if third_party:
            run_tool([*install, *third_party], "installing " + ", ".join(third_party), fix, env=env)
        # Only the local wheels: the == pins must resolve among the artifacts themselves.
        links = [arg for wheel in wheels.values() for arg in ("--find-links", str(wheel.parent))]
        run_tool(
            [*install, *local, "--no-index", "--only-binary", ":all:", *links]
            + [f"{dist}=={run.version}" for dist in wheels],
            "installing the three wheels into a fresh venv",
            fix,
            env=env,
        )
        isolated = [str(python), "-I"]
        report = json.loads(
            run_tool([*isolated, "-c", SMOKE_CHECK], "reading the installed versions", fix, cwd=tmp)
        )
        expected = {dist: run.version for dist in wheels}
        if report["versions"] != expected or report["editable"]:
            raise ReleaseError(f"the fresh venv holds {report}, expected {expected}; {fix}")
        said = run_tool(
            [*isolated, "-m", "pyprobe_tracer", "--version"],
            "python -m pyprobe_tracer --version",
            "the installed tracer does not start; see its output",
            cwd=tmp,
        ).strip()
    if f"pyprobe-tracer {run.version}" not in said:
        raise ReleaseError(
            f"python -m pyprobe_tracer --version printed {said!r}, expected "
            f"pyprobe-tracer {run.version}"
        )
    return f"fresh venv: {said}"


STEPS: tuple[tuple[str, Callable[[ReleaseRun], str]], ...] = (
    ("tag", step_tag),
    ("versions", step_versions),
    ("tagged commit", step_tagged_commit),
    ("tools", step_tools),
    ("build", step_build),
    ("metadata", step_metadata),
    ("twine", step_twine),
    ("smoke test", step_smoke),
)


def run_release(
    root: Path,
    tag: str,
    *,
    out_dir: Path | None = None,
    dry_run: bool = False,
    progress: Callable[[str], None] = print,
    steps: Sequence[tuple[str, Callable[[ReleaseRun], str]]] = STEPS,
) -> ReleaseRun:
    """Run the release steps in order; the first failure raises a ReleaseError."""
    out = (out_dir or root / DEFAULT_OUT_DIR).resolve()
    run = ReleaseRun(root=root, tag=tag, out_dir=out, dry_run=dry_run, progress=progress)
    mode = "dry run" if dry_run else "release build"
    progress(f"release {tag} ({mode}): {len(steps)} steps, artifacts into {out}")
    started = time.monotonic()
    for number, (name, step) in enumerate(steps, start=1):
        progress(f"[{number}/{len(steps)}] {name} ...")
        step_started = time.monotonic()
        summary = step(run)
        progress(f"      ok: {summary} ({time.monotonic() - step_started:.1f} s)")
    elapsed = time.monotonic() - started
    folders = ", ".join(str(out / package.dist) for package in PACKAGES)
    if dry_run:
        progress(f"dry run passed in {elapsed:.0f} s: {tag} would release; nothing uploaded")
    else:
        progress(
            f"release {tag} verified in {elapsed:.0f} s; nothing uploaded. Publish "
            f"{folders} in that order (the publish-tracer workflow does, on the tag)"
        )
    return run
