"""The pipeline: discover -> parse (cached) -> collect -> graph -> render -> plan.

``compile_repo`` computes everything and returns a ``Plan`` (what the spec and
the snapshot should be, which files differ). ``apply_plan`` writes it. Nothing
is written unless its bytes change; a run whose inputs and outputs are exactly
as the last sync left them stops early and touches nothing.
"""

from __future__ import annotations

import json
import marshal
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from tddprose import __version__
from tddprose.adapters.dispatch import (
    adapter_versions,
    framework_for,
    js_framework,
    parse_source,
    suite_path_of,
)
from tddprose.adapters.pytest_static import ADAPTER_VERSION
from tddprose.config import SNAPSHOT_PATH, STATE_DIR, Config
from tddprose.discovery import SourceFile, discover
from tddprose.errors import SpecError
from tddprose.files import read_text_or_none, write_atomic
from tddprose.graph import build_graph
from tddprose.identity import sha256_tag, suite_prefixes
from tddprose.ir import Diagnostic, TestFileIR, TestIR
from tddprose.model import BehaviorGraph
from tddprose.render import (
    INDEX_NAME,
    ORPHANED_NOTES_NAME,
    Block,
    layout,
    ledger_blocks,
    orphaned_note,
    render_block,
    render_block_body,
    render_file,
    render_index,
)
from tddprose.snapshot import Snapshot, load_snapshot, snapshot_from_graph
from tddprose.spec_regions import ParsedSpec, parse_spec
from tddprose.state import State


@dataclass
class Plan:
    graph: BehaviorGraph | None
    snapshot: Snapshot
    previous_snapshot: Snapshot
    outputs: dict[str, str] = field(default_factory=dict)  # path -> wanted text
    current: dict[str, str | None] = field(default_factory=dict)  # path -> text on disk
    deletes: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    up_to_date: bool = False  # the early exit: nothing can have changed
    inputs: str = ""  # the inputs' stamp key, recorded by apply_plan for the next early exit
    broken: list[str] = field(default_factory=list)  # spec files with broken regions

    @property
    def changes(self) -> list[str]:
        changed = [p for p, text in sorted(self.outputs.items()) if self.current.get(p) != text]
        return changed + sorted(self.deletes)


def cache_key(config: Config) -> str:
    import tree_sitter

    parts = [
        __version__,
        ADAPTER_VERSION,
        tree_sitter.__version__,
        sys.version,
        config.digest(),
        *adapter_versions(js_framework(config.frameworks)),
    ]
    return sha256_tag("|".join(parts), 32)


def _stamp(path: Path) -> list[int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return [stat.st_size, stat.st_mtime_ns]


def _inputs_key(files: list[SourceFile], runner: bool) -> str:
    # The snapshot is an output too: its stamp is checked with the spec files'.
    listing = [(f.path, f.size, f.mtime_ns) for f in files]
    return sha256_tag(json.dumps([listing, runner]), 32)


PARALLEL_PARSE_MIN_FILES = 64


def _encode_ir(data: dict) -> bytes:
    """The cache's form of one file's IR. marshal (plain dicts, lists and strings only,
    written and read by this code alone) decodes several times faster than JSON, and
    the cache key includes the Python version, whose marshal format it is."""
    return marshal.dumps(data)


def _decode_ir(blob: bytes) -> dict:
    return marshal.loads(blob)


def _parse_encoded(job: tuple[str, bytes, str, str, str]) -> bytes:
    """Worker: parse one file, return its IR encoded (plain bytes cross processes)."""
    return _encode_ir(parse_source(*job).to_json())


def _parse_all(jobs: list[tuple[str, bytes, str, str, str]]) -> list[bytes]:
    """Parse files, on every core when there are many (cold runs)."""
    workers = min(os.cpu_count() or 1, 8)
    if len(jobs) < PARALLEL_PARSE_MIN_FILES or workers < 2:
        return [_parse_encoded(job) for job in jobs]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("forkserver" if os.name == "posix" else "spawn")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        return list(pool.map(_parse_encoded, jobs, chunksize=max(1, len(jobs) // (workers * 4))))


def _read_irs(
    root: Path, files: list[SourceFile], config: Config, state: State
) -> list[TestFileIR]:
    """Each file's IR: from the cache when its stat or its hash is unchanged, else parsed."""
    irs: list[TestFileIR | None] = [None] * len(files)
    jobs, pending = [], []
    js = js_framework(config.frameworks)
    for index, source in enumerate(files):
        cached = state.files.get(source.path)
        if cached is not None and cached[0] == source.size and cached[1] == source.mtime_ns:
            irs[index] = _keep_last_good(TestFileIR.from_json(_decode_ir(cached[3])), cached)
            continue
        if source.size > config.max_file_bytes:
            irs[index] = _unparsed(
                source,
                cached,
                "huge_file",
                f"{source.size} bytes, over limits.max_file_bytes ({config.max_file_bytes})",
                "split the file, exclude it, or raise limits.max_file_bytes",
                js,
            )
            continue
        try:
            data = (root / source.path).read_bytes()
        except OSError as exc:
            irs[index] = _unparsed(
                source,
                cached,
                "unreadable_file",
                f"cannot read: {exc.strerror}",
                "fix its permissions",
                js,
            )
            continue
        sha = sha256_tag(data)
        if cached is not None and cached[2] == sha:
            blob = cached[3]
            irs[index] = _keep_last_good(TestFileIR.from_json(_decode_ir(blob)), cached)
            state.put_file(source.path, source.size, source.mtime_ns, sha, blob, cached[4])
            continue
        jobs.append((source.path, data, source.suite_root, config.anchor_tag, js))
        pending.append((index, source, sha, cached))
    for (index, source, sha, cached), blob in zip(pending, _parse_all(jobs), strict=True):
        ir = TestFileIR.from_json(_decode_ir(blob))
        good = blob if not ir.parse_error else (cached[4] if cached else None)
        state.put_file(source.path, source.size, source.mtime_ns, sha, blob, good)
        irs[index] = _keep_last_good(ir, cached) if ir.parse_error else ir
    return irs


def _unparsed(
    source: SourceFile, cached, code: str, message: str, fix: str, js: str = ""
) -> TestFileIR:
    diagnostic = Diagnostic("error", code, message, source.path, 0, fix)
    framework = framework_for(source.path, js)
    ir = TestFileIR(framework, source.path, "", (), (diagnostic,), parse_error=True)
    return _keep_last_good(ir, cached)


def _keep_last_good(ir: TestFileIR, cached) -> TestFileIR:
    """A file that does not parse keeps the tests of its last good parse."""
    if not ir.parse_error or cached is None or cached[4] is None:
        return ir
    good = TestFileIR.from_json(_decode_ir(cached[4]))
    return TestFileIR(ir.framework, ir.file, ir.file_fingerprint, good.tests, ir.diagnostics, True)


def compile_repo(
    root: Path,
    config: Config,
    *,
    runner: bool,
    state: State,
    allow_early_exit: bool = False,
) -> Plan:
    files, diagnostics = discover(root, config.test_globs, config.exclude_globs)
    inputs = _inputs_key(files, runner)
    last = state.get_json("last_sync")
    if (
        allow_early_exit
        and last
        and last["inputs"] == inputs
        and last["outputs"]
        and all(_stamp(root / p) == stamp for p, stamp in last["outputs"].items())
    ):
        return Plan(None, Snapshot(), Snapshot(), up_to_date=True, inputs=inputs)
    previous = load_snapshot(root / SNAPSHOT_PATH, SNAPSHOT_PATH)
    irs = _read_irs(root, files, config, state)
    state.forget_files({f.path for f in files})
    tests: list[TestIR] = [t for ir in irs for t in ir.tests]
    for ir in irs:
        diagnostics.extend(ir.diagnostics)
    if runner:
        tests, found = _with_runner(root, config, state, files, irs, tests)
        diagnostics.extend(found)
    kept = tuple(
        prefix
        for ir, src in zip(irs, files, strict=True)
        if ir.parse_error
        for prefix in suite_prefixes(
            ir.framework, suite_path_of(ir.framework, ir.file, src.suite_root)
        )
    )
    if not files:
        diagnostics.append(
            Diagnostic(
                "warn",
                "no_test_files",
                f"no files match test_globs {list(config.test_globs)}",
                ".tdd-prose/config.yml",
                0,
                "check test_globs",
            )
        )
    graph = build_graph(
        tests,
        previous,
        config,
        runner_used=runner,
        kept_prefixes=kept,
        diagnostics=tuple(diagnostics),
    )
    snapshot = snapshot_from_graph(graph, previous)
    plan = Plan(graph, snapshot, previous, diagnostics=list(graph.diagnostics), inputs=inputs)
    _plan_outputs(root, config, graph, snapshot, plan, state)
    return plan


def _with_runner(root, config, state, files, irs, tests):
    """Each configured framework's collection, reconciled with its own tests."""
    from tddprose.adapters import js_runner
    from tddprose.runner import collect, reconcile

    roots = {f.path: f.suite_root for f in files}
    listed = {f.name for f in config.frameworks}
    merged = [t for t in tests if t.test_id.split(":", 2)[1] not in listed]
    diagnostics: list[Diagnostic] = []
    fingerprints = [[ir.file, ir.file_fingerprint] for ir in irs]
    for framework in config.frameworks:
        key = sha256_tag(json.dumps([*fingerprints, framework.collect_cmd]), 32)
        slot = "manifest" if framework.name == "pytest" else f"manifest:{framework.name}"
        cached = state.get_json(slot)
        if cached and cached.get("key") == key:
            manifest = cached["manifest"]
        else:  # collected afresh: cache it (a cached manifest is not written again)
            if framework.name == "pytest":
                manifest = collect(root, framework.collect_cmd)
            else:
                manifest = js_runner.collect(root, framework.name, framework.collect_cmd)
            state.put_json(slot, {"key": key, "manifest": manifest})
        mine = [t for t in tests if t.test_id.startswith(f"test:{framework.name}:")]
        if framework.name == "pytest":
            found, problems = reconcile(mine, manifest, roots)
        else:
            found, problems = js_runner.reconcile(mine, manifest, roots, framework.name)
        merged.extend(found)
        diagnostics.extend(problems)
    return merged, diagnostics


def _existing_spec(root: Path, config: Config) -> dict[str, str]:
    """Spec files tddprose owns (carrying its file marker), path -> text."""
    if config.single_file:
        text = read_text_or_none(root / config.spec_output)
        return {config.spec_output: text} if text is not None else {}
    directory = root / config.spec_output
    found = {}
    if directory.is_dir():
        for path in sorted(directory.glob("*.md")):
            text = read_text_or_none(path)
            if text is not None:
                found[path.relative_to(root).as_posix()] = text
    return found


def _plan_outputs(root, config, graph, snapshot, plan: Plan, state: State) -> None:
    existing = _existing_spec(root, config)
    parsed: dict[str, ParsedSpec] = {p: parse_spec(t, p) for p, t in existing.items()}
    broken = {p: s for p, s in parsed.items() if s.errors}
    for spec in broken.values():
        plan.diagnostics.extend(spec.errors)
    manual = {}
    for spec in parsed.values():
        manual.update(spec.manual)
    blocks = ledger_blocks(graph, config)
    files = layout(blocks, config)
    body_of = {
        block.block_id: state.block_body(
            block.digest(config.wrap_column),
            lambda block=block: render_block_body(block, config.wrap_column),
        )
        for block in blocks
    }
    rendered_ids = {b.block_id for b in blocks}
    lost = {b: m for b, m in manual.items() if b not in rendered_ids and m.strip()}

    def section(block: Block) -> str:
        return render_block(block, body_of[block.block_id], manual.get(block.block_id, ""))

    outputs: dict[str, str] = {}
    if config.single_file:
        notes = next(iter(parsed.values())).orphaned_notes if parsed else ""
        notes += "".join(orphaned_note(b, lost[b]) for b in sorted(lost))
        sections = [section(b) for b in blocks]
        outputs[config.spec_output] = render_file(
            "Behavior ledger", sections, notes if notes else None
        )
    else:
        directory = config.spec_output.rstrip("/")
        for path, file_blocks in files.items():
            title = file_blocks[0].title if config.split == "block" else _domain_title(file_blocks)
            outputs[path] = render_file(title, [section(b) for b in file_blocks])
        index_path = f"{directory}/{INDEX_NAME}"
        index_manual = manual.get("_index", "")
        index_block = Block("_index", "Contents", ())
        outputs[index_path] = render_file(
            "Behavior ledger",
            [render_block(index_block, render_index(files, directory), index_manual)],
        )
        notes_path = f"{directory}/{ORPHANED_NOTES_NAME}"
        if lost or notes_path in existing:
            previous_notes = parse_spec(existing.get(notes_path, ""), notes_path)
            header = previous_notes.orphaned_notes or (
                "\nManual notes whose block no longer exists. Move them into a block's "
                "manual region, or delete them.\n"
            )
            notes = header + "".join(orphaned_note(b, lost[b]) for b in sorted(lost))
            outputs[notes_path] = render_file("Orphaned notes", [], notes)
        for path, spec in parsed.items():
            if path not in outputs and spec.owned:
                plan.deletes.append(path)
    # A file with broken regions is reported, never planned for a rewrite or a delete.
    plan.deletes = [p for p in plan.deletes if p not in broken]
    plan.outputs = {p: text for p, text in outputs.items() if p not in broken}
    plan.outputs[SNAPSHOT_PATH] = snapshot.to_text()
    plan.current = {
        p: existing[p] if p in existing else read_text_or_none(root / p) for p in plan.outputs
    }
    plan.broken = sorted(broken)


def _domain_title(blocks: list[Block]) -> str:
    return blocks[0].title.split(" / ")[0]


def apply_plan(root: Path, plan: Plan, state: State) -> list[str]:
    """Write what changed; refuse when a spec file's owned regions are broken."""
    if plan.broken:
        first = next(d for d in plan.diagnostics if d.code == "malformed_block")
        raise SpecError(
            f"{first.path}:{first.line}: {first.message}; not rewriting it so that no manual "
            f"text is lost. {first.fix}"
        )
    written = plan.changes  # compared with the bytes read while planning
    deleted = set(plan.deletes)
    for path in written:
        if path in deleted:
            (root / path).unlink(missing_ok=True)
        else:
            write_atomic(root / path, plan.outputs[path])
    outputs = {p: _stamp(root / p) for p in sorted(plan.outputs)}
    state.put_json("last_sync", {"inputs": plan.inputs, "outputs": outputs})
    return written


def state_for(root: Path, config: Config) -> State:
    return State(root / STATE_DIR, cache_key(config))
