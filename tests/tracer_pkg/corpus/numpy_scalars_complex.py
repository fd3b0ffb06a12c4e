"""numpy scalars, complex numbers and 0-d arrays are scalars; complex arrays keep their values.

{
    "probes": {
        "acc": "@acc:acc",
        "n": "@n:n",
        "z": "@rot:z",
        "w": "@conj:w",
        "flag0": "@flag0:flag",
        "flag": "@flag:flag",
        "zero_d": "@zerod:zero_d",
        "f32": "@f32:f32",
        "sig": "@sig:sig",
        "sigrot": "@sigrot:sig",
        "mag": "@mag:mag",
    },
    "order": [
        ("acc", 0.5), ("acc", 1.0), ("acc", 1.5),
        ("n", 3),
        ("z", -1+1j),
        ("w", 2+3j),
        ("flag0", True), ("flag", False),
        ("zero_d", 4.5),
        ("f32", 0.25),
        ("sig", [1+2j, 3-1j]),
        ("sigrot", [-2+1j, 1+3j]),
        ("mag", 5.0),
    ],
    "dtypes": {
        "acc": "scalar",
        "z": "scalar",
        "w": "scalar",
        "zero_d": "scalar",
        "sig": "array_complex",
        "sigrot": "array_complex",
        "mag": "scalar",
    },
}
"""

import numpy as np

acc = np.float64(0.0)
for _ in range(3):
    acc += np.float64(0.5)  # @acc

n = np.int64(7)
n //= 2  # @n

z = 1 + 1j
z = z * 1j  # @rot

w = np.complex128(2 - 3j)
w = w.conjugate()  # @conj

flag = np.bool_(True)  # @flag0
flag = not flag  # @flag

zero_d = np.array(4.5)  # @zerod
f32 = np.float32(0.25)  # @f32

sig = np.array([1 + 2j, 3 - 1j])  # @sig
sig *= 1j  # @sigrot
mag = np.abs(np.complex64(3 + 4j))  # @mag
