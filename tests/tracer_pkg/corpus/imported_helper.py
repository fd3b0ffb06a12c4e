"""Probes in another file: a module the script imports (module body and a function).

{
    "probes": {
        "taps": "_corpus_helpers/dsp.py::@taps:TAPS",
        "s": "_corpus_helpers/dsp.py::@acc:s",
        "acc": "_corpus_helpers/dsp.py::@acc:acc",
        "drop": "_corpus_helpers/dsp.py::@drop:acc",
        "sums": "@call:sums",
    },
    "order": [
        ("taps", [1, 2, 3]),
        ("s", 1), ("acc", 1), ("s", 2), ("acc", 3),
        ("s", 3), ("acc", 6), ("drop", 5),
        ("s", 4), ("acc", 9), ("drop", 7),
        ("sums", [1, 3, 5, 7]),
    ],
}
"""

from _corpus_helpers.dsp import moving_sum

sums = moving_sum([1, 2, 3, 4], 2)  # @call
