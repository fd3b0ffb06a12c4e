"""Names and ids: test_id, slugs of suite segments, humanised titles, hashes."""

from __future__ import annotations

import hashlib
import re
from functools import cache

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NOT_WORD = re.compile(r"[^a-z0-9]+")
_WHITESPACE = re.compile(r"\s+")


def sha256_tag(data: bytes | str, length: int = 64) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return "sha256:" + hashlib.sha256(data).hexdigest()[:length]


def make_test_id(framework: str, suite_path: tuple[str, ...], name: str) -> str:
    """The stable id of one test: framework, suite path and name.

    Assertion and parameter signatures are deliberately left out: they go into
    the behavior fingerprint instead, so editing an assertion never changes an id.
    """
    return f"test:{framework}:{'/'.join(suite_path)}:{name}"


def suite_prefixes(framework: str, suite_path: tuple[str, ...]) -> tuple[str, str]:
    """The prefixes of every test_id under ``suite_path``: its module-level tests'
    (``...:``) and its classes' (``.../``)."""
    base = f"test:{framework}:{'/'.join(suite_path)}"
    return (f"{base}:", f"{base}/")


@cache
def slug(segment: str) -> str:
    """``test_login`` -> ``login``, ``TestSessionRefresh`` -> ``session_refresh``."""
    text = segment
    if text.endswith(".py"):
        text = text[:-3]
    if text.startswith("Test") and text[4:5].isupper():
        text = text[4:]
    text = _CAMEL.sub("_", text).lower()
    for prefix in ("test_", "tests_"):
        if text.startswith(prefix):
            text = text[len(prefix) :]
    if text.endswith("_test"):
        text = text[: -len("_test")]
    return _NOT_WORD.sub("_", text).strip("_")


def humanise(name: str) -> str:
    """``test_rejects_invalid_password`` -> ``Rejects invalid password``."""
    text = name
    for prefix in ("test_", "test"):
        if text.startswith(prefix) and len(text) > len(prefix):
            text = text[len(prefix) :]
            break
    text = " ".join(part for part in text.split("_") if part)
    return text[:1].upper() + text[1:] if text else name


def normalise_space(text: str) -> str:
    return _WHITESPACE.sub(" ", text).strip()
