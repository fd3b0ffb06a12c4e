"""A comprehension variable with the name of a global: the comprehension's own variable is
captured inside it, the global is untouched (and read back unchanged) after it.

{
    "probes": {"x": "@comp:x:2", "x_use": "@comp:x:1", "ys": "@comp:ys", "after": "@after:x"},
    "order": [
        ("x", -1), ("x_use", -1), ("x", 0), ("x_use", 0), ("x", 1), ("x_use", 1),
        ("ys", [1, 0, 1]),
        ("after", 10),
    ],
}
"""

x = 10
ys = [abs(x) for x in range(-1, 2)]  # @comp
after = x  # @after
