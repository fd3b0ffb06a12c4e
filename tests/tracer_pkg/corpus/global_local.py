"""A global and a local with the same name: each probe sees its own scope.

{
    "probes": {
        "top": "@top:level",
        "g": "@g:level",
        "loc": "@l:level",
        "seen": "@seen:level",
        "calls": "@calls:calls",
    },
    "order": [
        ("top", 0),
        ("g", 1), ("calls", 1), ("loc", 100), ("seen", 1),
        ("g", 2), ("calls", 2), ("loc", 200), ("seen", 2),
    ],
}
"""

level = 0  # @top
calls = 0


def set_global(v):
    global level, calls
    level = v  # @g
    calls += 1  # @calls


def local_only(v):
    level = v * 100  # @l
    return level


for step in (1, 2):
    set_global(step)
    local_only(step)
    seen = level  # @seen
