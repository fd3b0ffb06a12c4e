"""Frame buffers that are about to be overwritten, allocated without zeroing them.

``bytearray(n)`` fills the new buffer with zeros. For a 16 MiB frame that costs
about a third of receiving it (see benchmarks/bench_transport.py), only for
recv_into to overwrite every byte straight away. The C API's
``PyByteArray_FromStringAndSize(NULL, n)`` returns a bytearray whose contents are
left as they are; it is reached through ctypes, loaded on the first big frame.
Where that is not available (no ctypes, not CPython) frames are zero-filled.
"""

from __future__ import annotations

import functools

# Below this, zero-filling costs less than the foreign function call.
UNINITIALISED_FROM = 64 * 1024


@functools.cache
def _uninitialised_bytearray():
    try:
        import ctypes

        # A private prototype, so that nothing else's use of ctypes.pythonapi changes it.
        prototype = ctypes.PYFUNCTYPE(ctypes.py_object, ctypes.c_char_p, ctypes.c_ssize_t)
        new = prototype(("PyByteArray_FromStringAndSize", ctypes.pythonapi))
    except Exception:  # ctypes missing, or not CPython
        return bytearray
    return lambda size: new(None, size)


def frame_buffer(size: int) -> bytearray:
    """A new bytearray of ``size`` bytes with unspecified contents: the caller must
    overwrite all of them before anyone else sees the buffer."""
    if size < UNINITIALISED_FROM:
        return bytearray(size)
    return _uninitialised_bytearray()(size)
