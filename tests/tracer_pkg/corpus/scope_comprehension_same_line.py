"""A name read inside a comprehension and outside it on the same line.

``n`` in ``n * k`` is read once per item (inside the comprehension); ``n`` in ``range(n)``
once (outside it). Each probe sees only its own reads.

{
    "probes": {"inside": "@line:n:1", "outside": "@line:n:2", "k": "@line:k:2"},
    "order": [
        ("outside", 3),
        ("k", 0), ("inside", 3), ("k", 1), ("inside", 3), ("k", 2), ("inside", 3),
    ],
    "xfail": [
        {
            "python": ["3.10", "3.11"],
            "reason": (
                "engine bug: the comprehension is its own code object; find_sites falls back to "
                "the only candidate when the column does not match, so the inside/outside "
                "probes of n each capture both reads"
            ),
        },
        {
            "python": ["3.12"],
            "backends": ["settrace"],
            "reason": (
                "engine bug (3.12 settrace): reading frame.f_locals from the trace function "
                "writes the locals back, which breaks inlined (PEP 709) comprehensions at "
                "module/class level: the comprehension variable reads None or the shadowed "
                "global"
            ),
        },
        {
            "python": ["3.12"],
            "test": "agree",
            "reason": (
                "the 3.12 settrace backend diverges from monitoring here (see the capture "
                "xfail)"
            ),
        },
    ],
}
"""

n = 3
out = [n * k for k in range(n)]  # @line
