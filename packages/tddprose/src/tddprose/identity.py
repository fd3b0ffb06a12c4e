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


_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
# A sentence ends at . ! or ? followed by space and a capital letter; not after a
# common abbreviation or a single capital letter (an initial).
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")
_ABBREVIATION = re.compile(r"(?:\b(?:e\.g|i\.e|etc|vs|cf|approx|Mr|Mrs|Ms|Dr|St|No)|\b[A-Z])\.$")


def docstring_title(docstring: str) -> str:
    """A docstring's title: its first paragraph with the lines joined, cut after the
    first sentence. ``"Adds two\n    numbers. Then more."`` -> ``"Adds two numbers."``."""
    text = docstring.strip()
    if not text:
        return ""
    paragraph = normalise_space(_PARAGRAPH_BREAK.split(text, 1)[0])
    start = 0
    for match in _SENTENCE_END.finditer(paragraph):
        if not _ABBREVIATION.search(paragraph, start, match.start()):
            return paragraph[: match.start()]
    return paragraph


_CLASS_WORDS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")


def class_meaning(class_name: str) -> str:
    """``AdderTests`` -> ``Adder``, ``TestParseFloat`` -> ``Parse float``,
    ``HTTPServerTestCase`` -> ``HTTP server``: the class name's words without the
    ``Test``/``Tests``/``TestCase`` affixes."""
    words = [w for part in class_name.split("_") for w in _CLASS_WORDS.findall(part)]
    if len(words) > 1 and words[0] in ("Test", "Tests"):
        words = words[1:]
    if len(words) > 2 and words[-2:] == ["Test", "Case"]:
        words = words[:-2]
    elif len(words) > 1 and words[-1] in ("Test", "Tests", "TestCase"):
        words = words[:-1]
    if not words:
        return class_name
    shown = [words[0][:1].upper() + words[0][1:]]
    shown += [w if len(w) > 1 and w.isupper() else w.lower() for w in words[1:]]
    return " ".join(shown)


def unittest_title(class_name: str, method: str) -> str:
    """The heuristic title of a unittest method keeps its class's meaning:
    ``AdderTests.test_basic`` -> ``Adder: basic``, ``QueueSpec.test_False`` ->
    ``Queue spec: False``."""
    text = method
    for prefix in ("test_", "test"):
        if text.startswith(prefix):
            text = text[len(prefix) :]
            break
    words = " ".join(part for part in text.split("_") if part)
    meaning = class_meaning(class_name)
    return f"{meaning}: {words}" if words else meaning
