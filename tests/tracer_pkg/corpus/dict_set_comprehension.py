"""Dict and set comprehensions: the key is evaluated before the value; targets and results.

{
    "probes": {
        "key": "@dict:key:3",
        "key_k": "@dict:key:1",
        "key_v": "@dict:key:2",
        "lengths": "@dict:lengths",
        "w": "@set:w:2",
        "w_use": "@set:w:1",
        "mods": "@set:mods",
    },
    "order": [
        ("key", "a"), ("key_k", "a"), ("key_v", "a"),
        ("key", "bb"), ("key_k", "bb"), ("key_v", "bb"),
        ("key", "ccc"), ("key_k", "ccc"), ("key_v", "ccc"),
        ("lengths", {"a": 1, "bb": 2, "ccc": 3}),
        ("w", 0), ("w_use", 0), ("w", 1), ("w_use", 1), ("w", 2), ("w_use", 2),
        ("w", 3), ("w_use", 3), ("w", 4), ("w_use", 4),
        ("mods", {0, 1, 2}),
    ],
    "xfail": [
        {
            "python": ["3.13"],
            "reason": (
                "engine bug (3.13): the first read of key in `{key: len(key) for key in ...}` "
                "is fused into STORE_FAST_LOAD_FAST, whose position is the target's column "
                "(right of the read); _choose finds no candidate at or left of the read's "
                "column and drops the probe"
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

keys = ["a", "bb", "ccc"]
lengths = {key: len(key) for key in keys}  # @dict
mods = {w % 3 for w in range(5)}  # @set
