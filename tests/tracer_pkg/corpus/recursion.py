"""Recursion: every frame's values, in call order (factorial, then fibonacci's call tree).

{
    "probes": {
        "n_base": "@base:n",
        "n_mul": "@rec:n:1",
        "n_arg": "@rec:n:2",
        "r": "@rec:r",
        "m": "@fib:m",
    },
    "order": [
        ("n_base", 4), ("n_mul", 4), ("n_arg", 4),
        ("n_base", 3), ("n_mul", 3), ("n_arg", 3),
        ("n_base", 2), ("n_mul", 2), ("n_arg", 2),
        ("n_base", 1),
        ("r", 2), ("r", 6), ("r", 24),
        ("m", 4), ("m", 3), ("m", 2), ("m", 1), ("m", 0), ("m", 1), ("m", 2), ("m", 1), ("m", 0),
    ],
}
"""


def fact(n):
    if n <= 1:  # @base
        return 1
    r = n * fact(n - 1)  # @rec
    return r


def fib(m):
    if m < 2:  # @fib
        return m
    return fib(m - 1) + fib(m - 2)


if __name__ == "__main__":
    answer = fact(4)
    fib(4)
