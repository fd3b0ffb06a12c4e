"""A generator driven by ``send``: ``got = yield total`` stores the sent value on resume.

``close()`` raises GeneratorExit at the paused ``yield``: the ``finally`` block still runs.

{
    "probes": {
        "total_out": "@recv:total",
        "got": "@recv:got",
        "total": "@add:total",
        "done": "@fin:done",
    },
    "order": [
        ("total_out", 0), ("got", 5), ("total", 5),
        ("total_out", 5), ("got", 7), ("total", 12),
        ("total_out", 12), ("done", 12),
    ],
}
"""


def accumulator():
    total = 0
    try:
        while True:
            got = yield total  # @recv
            total += got  # @add
    finally:
        done = total  # @fin
        print("closed at", done)


acc = accumulator()
next(acc)
acc.send(5)
acc.send(7)
acc.close()
