"""x = x + 1 with both occurrences probed: the use reads old values, the target gets new ones.

Module level (LOAD_NAME/STORE_NAME) and inside a function (fast locals).

{
    "probes": {
        "new": "@inc:x:1",
        "old": "@inc:x:2",
        "y_new": "@dbl:y:1",
        "y_old": "@dbl:y:2",
    },
    "order": [
        ("old", 0), ("new", 1), ("old", 1), ("new", 2), ("old", 2), ("new", 3),
        ("y_old", 10), ("y_new", 20), ("y_old", 20), ("y_new", 40),
    ],
}
"""


def double(times):
    y = 10
    for _ in range(times):
        y = y * 2  # @dbl
    return y


x = 0
for _ in range(3):
    x = x + 1  # @inc

double(2)
