"""What the static adapters share: refusing bytes that cannot be test source, and
reading tree-sitter trees (node text, the first syntax error, a formatting-proof form)."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right

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


_SPACE = re.compile(rb"\s+")


def node_text(node) -> str:
    return node.text.decode("utf-8", errors="replace")


def first_error_line(node) -> int:
    """The 1-based line of the first ERROR or MISSING node under ``node``."""
    cursor = [node]
    while cursor:
        current = cursor.pop(0)
        if current.is_error or current.is_missing:
            return current.start_point[0] + 1
        cursor[:0] = [c for c in current.children if c.has_error or c.is_missing]
    return node.start_point[0] + 1


def compact(node, comment_start: bytes, string_types: tuple[str, ...]) -> bytes:
    """A node's source with whitespace and comments removed (formatting-proof); strings
    (``string_types``) stay as written."""
    text = node.text
    if comment_start not in text:
        # No comment: drop all whitespace (inside strings too; this is only a hash).
        return _SPACE.sub(b"", text)
    pieces = []
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == "comment":
            continue
        if current.type in string_types:
            pieces.append(current.text)
        elif current.child_count == 0:
            pieces.append(_SPACE.sub(b"", current.text))
        else:
            stack.extend(reversed(current.children))
    return b"".join(pieces)


class CommentAnchors:
    """A file's comment lines, each mapped to the anchor its comment names (on the
    comment's first line) or None, and the anchors found above or inside a node."""

    def __init__(self, comment_lines: dict[int, str | None]) -> None:
        self.comment_lines = comment_lines
        self.anchor_lines = sorted((line, a) for line, a in comment_lines.items() if a)
        self.anchor_starts = [line for line, _ in self.anchor_lines]

    def above(self, node) -> list[str]:
        """The anchors of the unbroken run of comment lines right above ``node``, in order."""
        anchors = []
        line = node.start_point[0] - 1
        while line in self.comment_lines:
            if self.comment_lines[line]:
                anchors.append(self.comment_lines[line])
            line -= 1
        anchors.reverse()
        return anchors

    def within(self, first_line: int, last_line: int) -> list[str]:
        """The anchors on the lines ``first_line`` to ``last_line``, both included."""
        lo = bisect_left(self.anchor_starts, first_line)
        hi = bisect_right(self.anchor_starts, last_line)
        return [anchor for _, anchor in self.anchor_lines[lo:hi]]


class NodesByStart:
    """Nodes sorted by where they start, to find those inside another node quickly."""

    def __init__(self, nodes) -> None:
        self.nodes = sorted(nodes, key=lambda n: n.start_byte)
        self.starts = [n.start_byte for n in self.nodes]

    def inside(self, node) -> list:
        lo = bisect_left(self.starts, node.start_byte)
        return self.nodes[lo : bisect_left(self.starts, node.end_byte)]
