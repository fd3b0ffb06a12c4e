"""Statements spanning several lines: each name is probed on its own physical line.

{
    "probes": {
        "first": "@first:first",
        "second": "@second:second",
        "total": "@total:total",
        "item1": "@item1:first",
        "item2": "@item2:second",
        "values": "@values:values",
        "arg": "@arg:total",
        "kw": "@kw:second",
        "result": "@result:result",
        "cond": "@cond:first",
        "inside": "@inside:result",
    },
    "order": [
        ("first", 2), ("second", 5), ("total", 17),
        ("item1", 2), ("item2", 5), ("values", [2, 5]),
        ("arg", 17), ("kw", 5), ("result", 85),
        ("cond", 2), ("inside", 85),
    ],
}
"""


def combine(value, scale=1):
    return value * scale


first = 2
second = 5
total = (  # @total
    first  # @first
    + second * 3  # @second
)
values = [  # @values
    first,  # @item1
    second,  # @item2
]
result = combine(  # @result
    total,  # @arg
    scale=second,  # @kw
)
if (
    first > 1  # @cond
    and second > 1
):
    shown = result  # @inside
