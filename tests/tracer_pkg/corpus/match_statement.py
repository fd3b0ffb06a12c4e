"""``match``: the subject is read once per statement; case bodies run only when they match.

{
    "probes": {
        "cmd": "@subject:command",
        "total": "@add:total",
        "neg": "@neg:total",
        "label": "@other:label",
    },
    "order": [
        ("cmd", ("add", 2, 3)), ("total", 5),
        ("cmd", ("neg", 4)), ("neg", -4),
        ("cmd", "noop"), ("label", "noop"),
    ],
}
"""

for command in (("add", 2, 3), ("neg", 4), "noop"):
    match command:  # @subject
        case ("add", a, b):
            total = a + b  # @add
        case ("neg", a):
            total = -a  # @neg
        case _:
            label = command  # @other
