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
}
"""

keys = ["a", "bb", "ccc"]
lengths = {key: len(key) for key in keys}  # @dict
mods = {w % 3 for w in range(5)}  # @set
