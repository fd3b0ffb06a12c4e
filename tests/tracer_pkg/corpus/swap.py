"""Swaps: the right-hand names are read (old values), then the targets stored left to right.

``a, b = b, a`` at module level (stored left to right) and a three-way rotation in a
function: there CPython stores the locals in whatever order saves stack swaps, and 3.13
fuses ``y, z`` into one load, so those captures are groups.

{
    "probes": {
        "a_new": "@swap:a:1",
        "b_new": "@swap:b:1",
        "b_old": "@swap:b:2",
        "a_old": "@swap:a:2",
        "x_new": "@rot:x:1",
        "y_new": "@rot:y:1",
        "z_new": "@rot:z:1",
        "y_old": "@rot:y:2",
        "z_old": "@rot:z:2",
        "x_old": "@rot:x:2",
    },
    "order": [
        ("b_old", 2), ("a_old", 1), ("a_new", 2), ("b_new", 1),
        ("b_old", 1), ("a_old", 2), ("a_new", 1), ("b_new", 2),
        [("y_old", 2), ("z_old", 3)], ("x_old", 1), [("x_new", 2), ("y_new", 3), ("z_new", 1)],
        [("y_old", 3), ("z_old", 1)], ("x_old", 2), [("x_new", 3), ("y_new", 1), ("z_new", 2)],
    ],
}
"""


def rotate(x, y, z):
    for _ in range(2):
        x, y, z = y, z, x  # @rot
    return x, y, z


a, b = 1, 2
for _ in range(2):
    a, b = b, a  # @swap

rotate(1, 2, 3)
