"""Annotated assignments store like plain ones; a bare annotation stores nothing.

{
    "probes": {
        "total": "@top:total",
        "bare": "@bare:later",
        "acc": "@acc:acc",
        "step": "@step:step",
        "x": "@x:x",
    },
    "order": [("total", 0.5), ("acc", 0), ("step", 2), ("step", 4), ("x", 4)],
}
"""

total: float = 0.5  # @top
later: int  # @bare


def run(n: int) -> int:
    acc: int = 0  # @acc
    for _ in range(n):
        step: int = acc + 2  # @step
        acc = step
    return acc


x: int = run(2)  # @x
