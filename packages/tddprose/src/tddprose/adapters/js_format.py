"""JavaScript values and the ``.each`` title formatting of Jest and Vitest, in Python.

Only what a test file states literally is evaluated: strings (quotes, template
literals without substitutions), numbers (as IEEE doubles, printed the way
``Number.prototype.toString`` prints them), booleans, ``null``, ``undefined``, and
arrays and objects of those. Anything else is ``UNKNOWN``. A title that would need an
unknown value, or an object or array printed inline, raises ``Undeterminable``: the
caller then uses its documented fallback (``#<index>``) and the runner, when it is
used, supplies the real title.

The two frameworks format differently, and both are mirrored:

- Jest (``jest-each``, as of Jest 30): array rows consume one value per placeholder,
  in order, through Node's ``util.format`` (``%s %d %i %f %o %O``), pretty-format
  (``%p``) or JSON (``%j``); ``%#`` is the row index, ``%$`` the index + 1, ``%%`` a
  literal percent. Object rows (and tagged template tables) interpolate ``$key`` /
  ``$key.path`` with ``String(value)``; ``$#`` is the index.
- Vitest (4): ``%#`` (index) and ``%$`` (index + 1) everywhere, then each ``%x`` is
  formatted alone with the next row value (``@vitest/utils``' ``format``); ``$key`` of
  an object row (and ``$0``, ``$1`` of an array row) is printed as ``loupe`` prints
  it (strings single-quoted).
"""

from __future__ import annotations

import json
import math
import re


class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"


class _Undefined:
    def __repr__(self) -> str:
        return "undefined"


UNKNOWN = _Unknown()
UNDEFINED = _Undefined()


class Undeterminable(Exception):
    """A title that cannot be computed from the source alone."""


# --- values ------------------------------------------------------------------------

_ESCAPES = re.compile(r"\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|\r\n|[\s\S])")
_SIMPLE = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}
_CONTINUATIONS = ("\n", "\r\n", "\r", "\u2028", "\u2029")


def unescape(body: str) -> str | _Unknown:
    """The value of a JS string literal's body (between its quotes)."""

    def replace(match: re.Match) -> str:
        code = match.group(1)
        if code in _CONTINUATIONS:
            return ""
        if code[0] == "u" and len(code) > 1:
            digits = code[2:-1] if code[1] == "{" else code[1:]
            return chr(int(digits, 16))
        if code[0] == "x" and len(code) == 3:
            return chr(int(code[1:], 16))
        return _SIMPLE.get(code, code)

    try:
        text = _ESCAPES.sub(replace, body)
        # \uD83D\uDE00 pairs: join them; a lone surrogate is not representable here.
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le")
    except (ValueError, UnicodeError):
        return UNKNOWN


def number(text: str) -> float | _Unknown:
    """A JS numeric literal's value (a double); BigInt and legacy octal are unknown."""
    text = text.replace("_", "")
    lower = text.lower()
    try:
        if lower.startswith(("0x", "0o", "0b")):
            return float(int(lower, 0))
        if lower.endswith("n") or (len(text) > 1 and text[0] == "0" and text[1].isdigit()):
            return UNKNOWN
        return float(text)
    except (ValueError, OverflowError):
        return UNKNOWN


def number_string(value: float) -> str:
    """``Number.prototype.toString()``: ``1``, ``1.5``, ``1e+21``, ``1e-7``, ``NaN``."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "0"
    if value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    shortest = repr(value)
    if "e" not in shortest and abs(value) >= 1e-6 and not value.is_integer():
        return shortest  # the same shortest round-trip digits, in positional notation
    from decimal import Decimal

    sign = "-" if value < 0 else ""
    digits_tuple = Decimal(repr(abs(value))).as_tuple()
    digits = "".join(map(str, digits_tuple.digits))
    exponent = int(digits_tuple.exponent)
    stripped = digits.rstrip("0")
    exponent += len(digits) - len(stripped)
    digits = stripped or "0"
    k = len(digits)
    n = exponent + k
    if k <= n <= 21:
        body = digits + "0" * (n - k)
    elif 0 < n <= 21:
        body = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        body = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        mantissa = digits if k == 1 else digits[0] + "." + digits[1:]
        body = f"{mantissa}e{'+' if e >= 0 else '-'}{abs(e)}"
    return sign + body


def _negative_zero(value) -> bool:
    return isinstance(value, float) and value == 0 and math.copysign(1.0, value) < 0


def _primitive(value) -> bool:
    return value is None or value is UNDEFINED or isinstance(value, (str, bool, float))


def to_string(value) -> str:
    """JS ``String(value)`` of a primitive."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return number_string(value)
    if value is None:
        return "null"
    if value is UNDEFINED:
        return "undefined"
    raise Undeterminable


_DECIMAL = re.compile(r"[+-]?(?:Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)")
_WHITESPACE = " \t\n\r\v\f\u00a0\ufeff\u2028\u2029"


def to_number(value) -> float:
    """JS ``Number(value)`` of a primitive."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, float):
        return value
    if value is None:
        return 0.0
    if value is UNDEFINED:
        return math.nan
    if isinstance(value, str):
        text = value.strip(_WHITESPACE)
        if not text:
            return 0.0
        if re.fullmatch(r"0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+", text):
            return float(int(text, 0))
        if _DECIMAL.fullmatch(text):
            return float(text.replace("Infinity", "inf"))
        return math.nan
    raise Undeterminable


def parse_int(value) -> float:
    """JS ``parseInt(String(value))``."""
    text = to_string(value).lstrip(_WHITESPACE)
    sign = -1.0 if text.startswith("-") else 1.0
    text = text[1:] if text[:1] in "+-" else text
    match = re.match(r"0[xX]([0-9a-fA-F]+)", text)
    if match:
        return sign * float(int(match.group(1), 16))
    match = re.match(r"\d+", text)
    return sign * float(int(match.group(0))) if match else math.nan


def parse_float(value) -> float:
    """JS ``parseFloat(String(value))``."""
    text = to_string(value).lstrip(_WHITESPACE)
    match = _DECIMAL.match(text)
    if not match:
        return math.nan
    return float(match.group(0).replace("Infinity", "inf"))


def _number_out(value: float) -> str:
    """Node's ``formatNumber``: like ``String`` but ``-0`` stays ``-0``."""
    return "-0" if _negative_zero(value) else number_string(value)


def json_string(value) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return number_string(value) if math.isfinite(value) else "null"
    if value is None:
        return "null"
    if value is UNDEFINED:
        return "undefined"
    raise Undeterminable


def _quoted(value: str, quote: str = "'") -> str:
    if any(ord(c) < 0x20 or c == "\\" for c in value):
        raise Undeterminable
    return quote + value + quote


def node_inspect(value) -> str:
    """Node's ``util.inspect`` of a primitive."""
    if isinstance(value, str):
        if "'" not in value:
            return _quoted(value)
        if '"' not in value:
            return _quoted(value, '"')
        if "`" not in value:
            return _quoted(value, "`")
        raise Undeterminable
    if isinstance(value, float):
        return _number_out(value)
    if _primitive(value):
        return to_string(value)
    raise Undeterminable


def pretty(value) -> str:
    """pretty-format (``min``) of a primitive, as Jest's ``%p`` prints it."""
    if isinstance(value, str):
        return '"' + re.sub(r'(["\\])', r"\\\1", value) + '"'
    if isinstance(value, float):
        return _number_out(value)
    if _primitive(value):
        return to_string(value)
    raise Undeterminable


def loupe(value) -> str:
    """Vitest's ``objDisplay`` of a primitive (strings single-quoted; long ones are
    truncated by Vitest, so they are not determinable here)."""
    if isinstance(value, str):
        shown = "'" + _quoted(value)[1:-1].replace("'", "\\'") + "'"
        if len(shown) >= 40:
            raise Undeterminable
        return shown
    if isinstance(value, float):
        return _number_out(value)
    if _primitive(value):
        return to_string(value)
    raise Undeterminable


# --- Jest (jest-each) -----------------------------------------------------------------

JEST_PLACEHOLDERS = re.compile(r"%[#Odfijops]")
_ESCAPE_MARK = "@@__JEST_EACH_PLACEHOLDER_ESCAPE__@@"


def _node_convert(code: str, value) -> str:
    if code == "s":
        if isinstance(value, float):
            return _number_out(value)
        return to_string(value)
    if code == "d":
        return _number_out(to_number(value))
    if code == "i":
        return _number_out(parse_int(value))
    if code == "f":
        return _number_out(parse_float(value))
    if code == "j":
        return json_string(value)
    if code in "oO":
        return node_inspect(value)
    return ""  # %c


def node_format(template: str, value) -> str:
    """Node's ``util.format(template, value)`` (one argument)."""
    out, last, used, i = [], 0, False, 0
    while i < len(template) - 1:
        if template[i] == "%":
            i += 1
            code = template[i]
            if not used:
                if code in "sdifjoOc":
                    out.append(template[last : i - 1])
                    out.append(_node_convert(code, value))
                    used = True
                    last = i + 1
                elif code == "%":
                    out.append(template[last:i])
                    last = i + 1
            elif code == "%":
                out.append(template[last:i])
                last = i + 1
        i += 1
    if last == 0:
        return template + " " + (value if isinstance(value, str) else node_inspect(value))
    out.append(template[last:])
    text = "".join(out)
    if not used:
        text += " " + (value if isinstance(value, str) else node_inspect(value))
    return text


def jest_is_template_table(title: str, rows: list) -> bool:
    """jest-each's ``isTemplates``: object rows and a title without placeholders."""
    if JEST_PLACEHOLDERS.search(title.replace("%%", _ESCAPE_MARK)):
        return False
    known = [r for r in rows if r is not UNKNOWN]
    if known and all(isinstance(r, list) for r in known):
        return False
    return all(isinstance(r, (list, dict)) for r in known)


def jest_row_title(title: str, row: list, index: int) -> str:
    """jest-each's ``formatTitle`` for one array row."""
    text = title.replace("%%", _ESCAPE_MARK).replace("%#", str(index), 1)
    text = text.replace("%$", str(index + 1), 1)
    for value in row:
        if value is UNKNOWN:
            raise Undeterminable
        match = JEST_PLACEHOLDERS.search(text)
        if match is None:
            continue
        if isinstance(value, str):
            value = value.replace("%", _ESCAPE_MARK)
        if match.group(0) == "%p":
            text = text.replace("%p", pretty(value), 1)
        elif match.group(0) == "%j":
            text = text.replace("%j", json_string(value), 1)
        else:
            if not _primitive(value):
                raise Undeterminable
            text = node_format(text, value)
    return text.replace(_ESCAPE_MARK, "%")


def jest_object_title(title: str, row: dict, index: int, percent: bool = True) -> str:
    """jest-each's ``interpolateVariables`` for one object row (``percent``: then
    ``%%`` becomes ``%``) or one tagged template row."""
    keys = sorted((k for k in row if k), key=len, reverse=True)
    if not keys:
        text = title.replace("$#", str(index), 1)
        return text.replace("%%", "%") if percent else text
    pattern = re.compile(r"\$(" + "|".join(map(re.escape, keys)) + r")[.\w]*")

    def replace(match: re.Match) -> str:
        path = match.group(0)[1:].split(".")
        value = row
        for head in path:
            if value is None:
                return "null"
            if value is UNDEFINED:
                return "undefined"
            if not head:
                break
            if not isinstance(value, dict):
                raise Undeterminable
            if head not in value:
                break
            value = value[head]
        if value is UNKNOWN or not _primitive(value):
            raise Undeterminable
        return to_string(value)

    text = pattern.sub(replace, title).replace("$#", str(index), 1)
    return text.replace("%%", "%") if percent else text


def jest_template_headings(strings: list[str]) -> list[str] | None:
    """The column names of a tagged template table (its first ``a | b`` line)."""
    match = re.search(r"^\s*\w+\s*(\|\s*\w+\s*)*$", strings[0] if strings else "", re.M)
    if match is None:
        return None
    return re.sub(r"\s", "", match.group(0)).split("|")


# --- Vitest -----------------------------------------------------------------------------

_VITEST_FORMAT = re.compile(r"%[sdjifoOc%]")


def _vitest_convert(code: str, value) -> str:
    if code == "s":
        if isinstance(value, float):
            return _number_out(value)
        return to_string(value)
    if code == "d":
        return number_string(to_number(value))
    if code == "i":
        return number_string(parse_int(value))
    if code == "f":
        return number_string(parse_float(value))
    if code == "j":
        return json_string(value)
    if code in "oO":
        return loupe(value)
    return ""  # %c


def vitest_format(template: str, values: list) -> str:
    """``@vitest/utils``' ``format(template, ...values)``."""
    position = 0

    def replace(match: re.Match) -> str:
        nonlocal position
        code = match.group(0)
        if code == "%%":
            return "%"
        if position >= len(values):
            return code
        value = values[position]
        position += 1
        if value is UNKNOWN or not _primitive(value):
            raise Undeterminable
        return _vitest_convert(code[1], value)

    text = _VITEST_FORMAT.sub(replace, template)
    for value in values[position:]:
        if value is UNKNOWN or not _primitive(value):
            raise Undeterminable
        text += " " + to_string(value)
    return text


def vitest_title(title: str, items: list, index: int) -> str:
    """Vitest's ``formatTitle`` (Vitest 4): ``items`` is the row (an array row) or
    ``[row]``. Each ``%x`` of the title is formatted alone with the next row value
    (while there are ``%`` characters' worth of them); ``$key`` is read in the text
    between placeholders only."""
    if "%#" in title or "%$" in title:
        title = (
            title.replace("%%", "__vitest_escaped_%__")
            .replace("%#", str(index))
            .replace("%$", str(index + 1))
            .replace("__vitest_escaped_%__", "%%")
        )
    count = title.count("%")
    if "%f" in title and any(_negative_zero(v) for v in items[: title.count("%f")]):
        raise Undeterminable
    object_row = bool(items) and isinstance(items[0], dict)

    def attribute(match: re.Match) -> str:
        key = match.group(1)
        array_key = key.isdigit()
        if not object_row and not array_key:
            return "$" + key
        if object_row:
            value = items[0]
            for part in re.sub(r"\[(\d+)\]", r".\1", key).split("."):
                if not isinstance(value, dict) or part not in value:
                    value = UNDEFINED if isinstance(value, dict) else UNKNOWN
                    break
                value = value[part]
        else:
            value = items[int(key)] if int(key) < len(items) else UNDEFINED
        if value is UNKNOWN:
            raise Undeterminable
        return loupe(value)

    out, used, last = [], 0, 0
    for match in _VITEST_FORMAT.finditer(title):
        out.append(re.sub(r"\$([$\w.]+)", attribute, title[last : match.start()]))
        if used < count:
            value = items[used] if used < len(items) else UNDEFINED
            out.append(vitest_format(match.group(0), [value]))
            used += 1
        else:
            out.append(match.group(0))
        last = match.end()
    out.append(re.sub(r"\$([$\w.]+)", attribute, title[last:]))
    return "".join(out)


def vitest_template_headings(strings: list[str]) -> list[str]:
    return "".join(strings).strip().replace(" ", "").split("\n")[0].split("|")
