"""Deep recursion: one capture per frame on the way down, one per frame on the way back up.

{
    "probes": {"down": "@down:n", "up": "@up:acc"},
    "values": {
        "down": [30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15,
                 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
        "up": [1, 3, 6, 10, 15, 21, 28, 36, 45, 55, 66, 78, 91, 105, 120, 136,
               153, 171, 190, 210, 231, 253, 276, 300, 325, 351, 378, 406, 435, 465],
    },
}
"""


def total(n):
    if n == 0:  # @down
        return 0
    acc = n + total(n - 1)  # @up
    return acc


total(30)
