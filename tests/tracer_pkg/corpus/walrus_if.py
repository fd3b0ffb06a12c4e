"""Walrus in an ``if`` (and in a comprehension filter): captured after the store, every time.

{
    "probes": {"n": "@check:n", "n_use": "@use:n", "y": "@comp:y:2", "pick": "@comp:y:1"},
    "order": [
        ("n", 2), ("n", 4), ("n_use", 4), ("n", 0), ("n", 3), ("n_use", 3),
        ("y", 2), ("y", 6), ("pick", 6), ("y", 10), ("pick", 10),
    ],
}
"""


def classify(items):
    labels = []
    for item in items:
        if (n := len(item)) > 2:  # @check
            labels.append(n)  # @use
    return labels


classify(["ab", "abcd", "", "xyz"])
big = [y for x in (1, 3, 5) if (y := x * 2) > 2]  # @comp
