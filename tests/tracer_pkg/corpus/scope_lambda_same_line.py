"""One name in two scopes on one line: ``y = (lambda y: y + 1)(y)``.

The lambda's ``y`` and the module's ``y`` are different variables; each probe sees only its
own: the argument read (old module value), the lambda's read, the module target (new value).

{
    "probes": {"target": "@line:y:1", "inner": "@line:y:2", "outer": "@line:y:3"},
    "order": [
        ("outer", 1), ("inner", 1), ("target", 2),
        ("outer", 2), ("inner", 2), ("target", 3),
    ],
}
"""

y = 1
for _ in range(2):
    y = (lambda y: y + 1)(y)  # @line
