"""Render the BehaviorGraph to markdown: stable order, fixed wrapping, owned regions.

Only ``behavior`` eligibility is rendered. No timestamps, absolute paths or run
results ever appear. Output is UTF-8 text with LF endings and a trailing newline.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from tddprose.config import Config
from tddprose.identity import sha256_tag
from tddprose.model import BEHAVIOR, NEEDS_REVIEW, OK, ORPHANED, STALE, Behavior, BehaviorGraph
from tddprose.spec_regions import FILE_MARKER, ORPHANED_NOTES_MARKER

INDEX_NAME = "README.md"
ORPHANED_NOTES_NAME = "orphaned-notes.md"
_STATUS_RANK = {OK: 0, STALE: 1, ORPHANED: 2, NEEDS_REVIEW: 3}
_ESCAPES = str.maketrans({"*": "\\*", "<": "\\<", ">": "\\>"})


@dataclass(frozen=True)
class Block:
    block_id: str
    title: str
    behaviors: tuple[Behavior, ...]

    @property
    def status(self) -> str:
        statuses = [b.status for b in self.behaviors] or [OK]
        return max(statuses, key=lambda s: _STATUS_RANK.get(s, 0))

    def digest(self, wrap_column: int) -> str:
        content = [wrap_column, self.title] + [
            (
                b.behavior_id,
                b.title,
                b.status,
                b.reasons,
                [(e.nodeid, e.active) for e in b.evidence],
            )
            for b in self.behaviors
        ]
        return sha256_tag(repr(content), 32)


def block_title(block_id: str, config: Config) -> str:
    if block_id in config.block_titles:
        return config.block_titles[block_id]
    words = [part.replace("_", " ") for part in block_id.split(".")]
    return " / ".join(w[:1].upper() + w[1:] for w in words)


def ledger_blocks(graph: BehaviorGraph, config: Config) -> list[Block]:
    """The rendered blocks, sorted by block id; behaviors by behavior id."""
    blocks = []
    for block_id, behaviors in sorted(graph.blocks().items()):
        shown = tuple(
            sorted((b for b in behaviors if b.eligibility == BEHAVIOR), key=lambda b: b.behavior_id)
        )
        if shown:
            blocks.append(Block(block_id, block_title(block_id, config), shown))
    return blocks


def layout(blocks: list[Block], config: Config) -> dict[str, list[Block]]:
    """Output path (relative to the repo) -> the blocks it holds, in order."""
    if config.single_file:
        return {config.spec_output: list(blocks)}
    directory = config.spec_output.rstrip("/")
    files: dict[str, list[Block]] = {}
    for block in blocks:
        name = block.block_id if config.split == "block" else block.block_id.split(".")[0]
        files.setdefault(f"{directory}/{name}.md", []).append(block)
    return files


def _wrap(text: str, width: int, first: str, rest: str) -> list[str]:
    if len(first) + len(text) <= width:
        return [first + text]
    return textwrap.wrap(
        text,
        width=width,
        initial_indent=first,
        subsequent_indent=rest,
        break_long_words=False,
        break_on_hyphens=False,
    )


def _behavior_lines(behavior: Behavior, width: int) -> list[str]:
    text = f"**{behavior.title.translate(_ESCAPES)}** (`{behavior.behavior_id}`)"
    if behavior.status != OK:
        label = behavior.status.replace("_", " ")
        text += f" — {label}: {'; '.join(behavior.reasons)}"
    lines = _wrap(text, width, "- ", "  ")
    seen = set()
    for evidence in behavior.evidence:
        nodeid = evidence.nodeid[: -len(evidence.case) - 2] if evidence.is_case else evidence.nodeid
        if nodeid in seen:
            continue
        seen.add(nodeid)
        suffix = "" if evidence.active else " (inactive: skip or xfail)"
        lines.append(f"  - `{nodeid}`{suffix}")
    return lines


def render_block_body(block: Block, width: int) -> str:
    """The text between generated-begin and generated-end."""
    lines = [""]
    for behavior in block.behaviors:
        lines.extend(_behavior_lines(behavior, width))
    lines.append("")
    return "\n".join(lines) + "\n"


def render_block(block: Block, body: str, manual: str) -> str:
    return (
        f"## {block.title}\n"
        f"<!-- tdd-prose:block id={block.block_id} -->\n"
        f"<!-- tdd-prose:status {block.status} -->\n"
        "<!-- tdd-prose:generated-begin -->\n"
        f"{body}"
        "<!-- tdd-prose:generated-end -->\n"
        "\n"
        "<!-- tdd-prose:manual-begin -->\n"
        f"{manual}"
        "<!-- tdd-prose:manual-end -->\n"
    )


def render_file(title: str, sections: list[str], orphaned_notes: str | None = None) -> str:
    text = f"# {title}\n\n{FILE_MARKER}\n"
    for section in sections:
        text += "\n" + section
    if orphaned_notes is not None:
        text += f"\n{ORPHANED_NOTES_MARKER}{orphaned_notes}"
    return text if text.endswith("\n") else text + "\n"


def render_index(files: dict[str, list[Block]], directory: str) -> str:
    # No counts or statuses: they would change on every added test and make
    # parallel branches conflict in this file.
    lines = ["", "| block | file |", "|---|---|"]
    for path, blocks in sorted(files.items()):
        name = path[len(directory) + 1 :]
        for block in blocks:
            lines.append(f"| {block.title} (`{block.block_id}`) | [{name}]({name}) |")
    if not files:
        lines = ["", "No behaviors yet: the tests matched by test_globs define none."]
    lines.append("")
    return "\n".join(lines) + "\n"


def orphaned_note(block_id: str, manual: str) -> str:
    text = manual if manual.endswith("\n") else manual + "\n"
    return (
        f"\n<!-- tdd-prose:orphaned-note block={block_id} -->\n"
        f"Notes from block `{block_id}`, which no longer exists:\n\n"
        f"{text}"
        "<!-- tdd-prose:orphaned-note-end -->\n"
    )
