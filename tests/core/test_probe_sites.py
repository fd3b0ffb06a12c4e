"""Click-to-probe: which names are probeable, and the anchor a click makes."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyprobe.core.probe_sites import SourceIndex
from pyprobe_tracer.engine.anchor import resolve_probes

ROOT = Path(__file__).resolve().parents[2]
CORPUS = sorted(
    [
        *ROOT.joinpath("tests", "tracer_pkg", "corpus").glob("*.py"),
        *ROOT.joinpath("examples").glob("*.py"),
    ]
)

DSP = """\
import numpy as np
from numpy.fft import fft

def design(n_taps, cutoff):
    n = np.arange(n_taps) - (n_taps - 1) / 2
    h = np.sinc(2 * cutoff * n) * np.hamming(n_taps)
    return h / h.sum()

taps = design(31, 0.1)
x = np.random.default_rng(0).standard_normal(1024)
y = np.convolve(x, taps, mode="same")
spectrum = np.abs(fft(y)) ** 2
print(len(y), spectrum.max())
"""


def symbols(index: SourceIndex, line: int) -> list[str]:
    return [site.symbol for site in index.on_line(line)]


@pytest.mark.parametrize("script", CORPUS, ids=lambda p: p.name)
def test_every_clickable_name_is_the_occurrence_the_tracer_resolves(script):
    index = SourceIndex(script.read_text(encoding="utf-8"), script)
    assert index.error is None
    assert index.sites, f"{script.name}: nothing probeable"
    anchors = resolve_probes(script, [site.spec for site in index.sites])
    assert anchors == [site.anchor(script) for site in index.sites]


def test_modules_functions_and_builtins_are_not_clickable():
    index = SourceIndex(DSP, "dsp.py")
    assert symbols(index, 5) == ["n", "n_taps", "n_taps"]  # np is a module
    assert symbols(index, 9) == ["taps"]  # design is a function
    assert symbols(index, 12) == ["spectrum", "y"]  # fft is imported, abs a builtin
    assert symbols(index, 13) == ["y", "spectrum"]  # print, len


def test_a_rebound_builtin_is_data_and_clickable():
    index = SourceIndex("sum = 0\nfor v in [1, 2]:\n    sum += v\n", "s.py")
    assert symbols(index, 3) == ["sum", "v"]


def test_a_click_maps_characters_to_the_anchors_byte_columns():
    source = "gain = 2\nlabel = 'αβγ'; y = gain * 3\n"
    index = SourceIndex(source, "u.py")
    text = source.splitlines()[1]
    char_col = text.index("gain")
    site = index.site_at(2, char_col + 2)
    assert site is not None and site.symbol == "gain"
    assert site.char_col == char_col
    assert site.col == len(text[:char_col].encode("utf-8"))  # three 2-byte letters before it
    assert site.col == char_col + 3
    assert index.site_at(2, text.index("=")) is None


def test_the_same_name_twice_on_a_line_gives_two_anchors():
    index = SourceIndex("x = 1\nx = x + x\n", "t.py")
    first, second, third = index.on_line(2)
    assert [s.occurrence for s in (first, second, third)] == [1, 2, 3]
    assert first.is_assignment and not second.is_assignment
    assert index.site_at(2, 4) == second
    assert index.site_at(2, 8) == third
    assert len({s.anchor("t.py") for s in (first, second, third)}) == 3


def test_the_anchor_names_the_function_and_the_resolved_file(tmp_path):
    script = tmp_path / "f.py"
    script.write_text(DSP)
    site = next(s for s in SourceIndex(DSP, script).on_line(6) if s.symbol == "h")
    anchor = site.anchor(script)
    assert (anchor.file, anchor.func, anchor.is_assignment) == (
        str(script.resolve()),
        "design",
        True,
    )


def test_a_syntax_error_gives_no_sites_and_says_where():
    index = SourceIndex("x = 1\ny = (x +\n", "bad.py")
    assert index.sites == []
    assert index.error.startswith("line 2") or index.error.startswith("line 3")
    assert index.site_at(1, 0) is None


def test_an_edited_line_that_moved_is_found_again():
    before = SourceIndex(DSP, "dsp.py")
    site = next(s for s in before.on_line(11) if s.symbol == "x")
    anchor = site.anchor("dsp.py")
    after = SourceIndex("# a new first line\n\n" + DSP, "dsp.py")
    assert after.find(anchor) is None  # the old position no longer holds it
    moved = after.relocate(anchor, site.occurrence, before.line_text(11))
    assert (moved.line, moved.symbol, moved.occurrence) == (13, "x", site.occurrence)


def test_a_changed_line_is_not_relocated():
    before = SourceIndex(DSP, "dsp.py")
    site = before.on_line(9)[0]
    after = SourceIndex(DSP.replace("design(31, 0.1)", "design(63, 0.05)"), "dsp.py")
    assert after.relocate(site.anchor("dsp.py"), site.occurrence, before.line_text(9)) is None
