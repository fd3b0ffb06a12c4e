"""Names inside f-strings are probe-able like any other read.

{
    "probes": {"name": "@fmt:name", "value": "@fmt:value", "label": "@fmt:label"},
    "order": [
        ("name", "gain"), ("value", 1.5), ("label", "gain=1.5"),
        ("name", "bias"), ("value", -0.25), ("label", "bias=-0.2"),
    ],
}
"""

for name, value in (("gain", 1.5), ("bias", -0.25)):
    label = f"{name}={value:.1f}"  # @fmt
