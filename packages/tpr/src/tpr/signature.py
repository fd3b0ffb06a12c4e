"""The environment signature: what a run's results depend on, recorded once
(``env.signature.json``) and compared before every validated run."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import os
import platform
import sys
import sysconfig
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .artifacts import ArtifactError, read_json, sha256_bytes, sha256_file
from .config import DEFAULT_LOCK_CANDIDATES, TprConfig
from .errors import TprError

SIGNATURE_NAME = "env.signature.json"
SIGNATURE_VERSION = 1
TOOLS = ("pytest", "hypothesis", "coverage")
SIGNATURE_FIELDS = ("python", "lock", "platform", "env", "tools")
RECORD_FIX = "record it again with `tpr signature --record` (or restore it from git)"


class SignatureError(TprError, ValueError):
    """The recorded signature is missing or corrupt; names the file, the field and the fix."""


def lock_files(root: Path, config: TprConfig) -> list[Path]:
    if config.lock_files:
        return [root / name for name in config.lock_files]
    for name in DEFAULT_LOCK_CANDIDATES:
        if (root / name).is_file():
            return [root / name]
    return []


def lock_section(root: Path, config: TprConfig) -> dict[str, Any]:
    files = {}
    for path in lock_files(root, config):
        relative = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
        files[relative] = sha256_file(path) if path.is_file() else None
    combined = sha256_bytes("".join(f"{k}:{v}\n" for k, v in sorted(files.items())).encode())
    return {"files": files, "hash": combined if files else None}


def tool_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def current_signature(
    root: Path, config: TprConfig, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    environ = os.environ if environ is None else environ
    return {
        "signature_version": SIGNATURE_VERSION,
        "python": {
            "version": platform.python_version(),
            "minor": f"{sys.version_info.major}.{sys.version_info.minor}",
            "implementation": sys.implementation.name,
        },
        "lock": lock_section(root, config),
        "platform": {
            "os": platform.system(),
            "arch": platform.machine(),
            "platform_tag": sysconfig.get_platform(),
        },
        "env": {
            "required": list(config.required_env),
            "present": sorted(name for name in config.required_env if environ.get(name)),
            "seed": config.seed,
        },
        "tools": {name: tool_version(name) for name in TOOLS},
        "timestamp": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "monotonic_start": time.monotonic(),
    }


def load_signature(path: Path) -> dict[str, Any]:
    try:
        data = read_json(path, what="the recorded environment signature", fix=RECORD_FIX)
    except ArtifactError as exc:
        raise SignatureError(str(exc)) from None
    if not isinstance(data, dict):
        raise SignatureError(f"{path}: the signature must be a JSON object; {RECORD_FIX}")
    for name in SIGNATURE_FIELDS:
        if not isinstance(data.get(name), dict):
            raise SignatureError(
                f"{path}: field {name!r} is missing or not an object; {RECORD_FIX}"
            )
    for section, key in (("python", "minor"), ("platform", "os"), ("platform", "arch")):
        if not isinstance(data[section].get(key), str):
            raise SignatureError(f"{path}: field {section}.{key} is missing; {RECORD_FIX}")
    return data
