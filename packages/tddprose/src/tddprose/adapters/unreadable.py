"""What every static adapter refuses to parse: binary files and files that are not UTF-8."""

from __future__ import annotations

from tddprose.ir import Diagnostic, TestFileIR


def unreadable(framework: str, path: str, data: bytes, fingerprint: str) -> TestFileIR | None:
    """The file's IR with one error diagnostic when its bytes cannot be test source,
    else None. Never raises: problems become diagnostics."""

    def failed(code: str, message: str, fix: str, line: int = 0) -> TestFileIR:
        diagnostic = Diagnostic("error", code, message, path, line, fix)
        return TestFileIR(framework, path, fingerprint, (), (diagnostic,), parse_error=True)

    if b"\x00" in data:
        return failed("binary_file", "binary content (NUL bytes)", "rename it or exclude it")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return failed(
            "not_utf8",
            f"not UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start}",
            "save the file as UTF-8",
            data[: exc.start].count(b"\n") + 1,
        )
    return None
