"""The Jest and Vitest adapters: the static parse (tree-sitter), the ``.each`` title
formatting, the reconciliation with the frameworks' own listings, and the fixture
projects in ``js_projects/`` (with a real ``npm install`` for the runner tests)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from tddprose.adapters import js_format
from tddprose.adapters.js_runner import jest_manifest, reconcile, vitest_manifest
from tddprose.adapters.js_static import is_test_file, parse_js_file, suite_path_for
from tddprose.config import parse_config
from tddprose.errors import ConfigError
from tddprose.ir import ACTIVE, SKIP, XFAIL
from tests._support.once import made_once
from tests._support.tddprose_project import behaviors, outputs, run

PROJECTS = Path(__file__).parent / "js_projects"
NPM = shutil.which("npm")


def parse(source: str, path: str = "tests/auth/login.test.js", framework: str = "jest"):
    return parse_js_file(path, textwrap.dedent(source).encode(), "tests", framework=framework)


def by_name(ir):
    return {t.name: t for t in ir.tests}


def cases(test) -> list[str]:
    return [p.name for p in test.parameters]


# --- static parse ----------------------------------------------------------------------


def test_describe_it_and_test_become_tests_with_suite_paths_node_ids_and_test_ids():
    ir = parse(
        """
        const { login } = require('../src/login');

        function helper() {
          it('is not read: inside another function', () => {});
        }

        describe('Login', () => {
          describe('with a bad password', () => {
            it('rejects it', () => {
              expect(login('a', 'b')).toBe(null);
            });
          });

          test('accepts a good one', async () => {
            await expect(login('a', 'c')).resolves.toEqual({ user: 'a' });
          });
        });

        test(`top level`, () => {});
        """
    )
    tests = by_name(ir)
    assert sorted(tests) == ["accepts a good one", "rejects it", "top level"]
    rejects = tests["rejects it"]
    assert rejects.suite_path == ("auth", "login", "Login", "with a bad password")
    assert rejects.nodeid == "tests/auth/login.test.js::Login::with a bad password::rejects it"
    assert rejects.test_id == "test:jest:auth/login/Login/with a bad password:rejects it"
    assert rejects.title == "Rejects it"
    assert (rejects.locator.start_line, rejects.locator.end_line) == (10, 12)
    assert [(a.kind, a.matcher, a.expected_literal) for a in rejects.assertions] == [
        ("equals", "toBe", "null")
    ]
    accepts = tests["accepts a good one"]
    assert [(a.kind, a.matcher) for a in accepts.assertions] == [("equals", "resolves.toEqual")]
    assert tests["top level"].suite_path == ("auth", "login")
    assert ir.parse_error is False and ir.framework == "jest"


def test_test_files_are_recognised_by_name_or_tests_directory_and_named_without_suffixes():
    assert is_test_file("src/a.test.js") and is_test_file("src/a.spec.tsx")
    assert is_test_file("src/__tests__/a.js") and is_test_file("x/b.test.mjs")
    assert not is_test_file("src/a.js") and not is_test_file("src/test.py")
    assert not is_test_file("src/a.test.json")
    assert suite_path_for("tests/auth/login.test.ts", "tests") == ("auth", "login")
    assert suite_path_for("src/auth/__tests__/login.js", "src") == ("auth", "login")
    assert suite_path_for("a.spec.cjs", "") == ("a",)
    assert parse("it('x', () => {})", "tests/helpers.js").tests == ()


def test_skip_todo_only_failing_and_x_prefixes_set_status_and_markers():
    ir = parse(
        """
        it.skip('skipped', () => {});
        xit('x skipped', () => {});
        test.todo('todo');
        it.failing('known bug', () => {});
        it.concurrent.only('focused', () => {});
        xdescribe('off', () => {
          it('inside a skipped describe', () => {});
        });
        describe.skip('off too', () => {
          it.failing('still skipped', () => {});
        });
        it.skipIf(process.env.CI)('conditional', () => {});
        """
    )
    tests = by_name(ir)
    assert {n: t.status for n, t in tests.items()} == {
        "skipped": SKIP,
        "x skipped": SKIP,
        "todo": SKIP,
        "known bug": XFAIL,
        "focused": ACTIVE,
        "inside a skipped describe": SKIP,
        "still skipped": SKIP,
        "conditional": ACTIVE,
    }
    assert tests["todo"].markers == ("todo",)
    assert tests["focused"].markers == ("concurrent", "only")
    assert [d.code for d in ir.diagnostics] == ["focused_test"]
    assert ir.diagnostics[0].line == 6


def test_a_vitest_test_without_a_function_and_options_objects_are_read():
    ir = parse(
        """
        test('later');
        test('options skip', { skip: true }, () => {});
        it.fails('fails on purpose', () => {});
        """,
        "tests/a.test.ts",
        "vitest",
    )
    tests = by_name(ir)
    assert tests["later"].status == SKIP and "todo" in tests["later"].markers
    assert tests["options skip"].status == SKIP
    assert tests["fails on purpose"].status == XFAIL
    assert tests["later"].test_id == "test:vitest:a:later"


def test_anchor_comments_above_or_inside_a_test_and_above_a_describe_mirror_the_pytest_rule():
    ir = parse(
        """
        // @tdd-prose:behavior auth.login.ok
        it('above', () => {});

        it('inside', () => {
          // @tdd-prose:behavior auth.login.inside
          expect(1).toBe(1);
        });

        // @tdd-prose:behavior not.attached

        it('separated by a blank line', () => {});

        /* @tdd-prose:behavior auth.block */
        describe('group', () => {
          it('one', () => {});
          // @tdd-prose:behavior auth.two
          it('two', () => {});
        });
        """
    )
    tests = by_name(ir)
    assert tests["above"].anchors == ("auth.login.ok",)
    assert tests["inside"].anchors == ("auth.login.inside",)
    assert tests["separated by a blank line"].anchors == ()
    assert tests["one"].anchors == ("auth.block",)
    assert tests["two"].anchors == ("auth.block", "auth.two")


def test_jest_each_tables_get_the_titles_jest_gives_them():
    ir = parse(
        """
        it.each([[1, 1, 2], [2, -3, -1]])('add(%i, %i) -> %d', () => {});
        it.each([1.5, 'x'])('value %s at %#', () => {});
        it.each(['a', null])('pretty %p', () => {});
        it.each([{ a: 1, b: 'two' }, { a: 3, b: 'four' }])('obj $a and $b ($#)', () => {});
        it.each`
          a    | b
          ${1} | ${'x'}
          ${2} | ${'y'}
        `('tpl $a $b', () => {});
        it.each([['100%', 1]])('%s done %i%%', () => {});
        """
    )
    tests = by_name(ir)
    assert cases(tests["add(%i, %i) -> %d"]) == ["add(1, 1) -> 2", "add(2, -3) -> -1"]
    assert cases(tests["value %s at %#"]) == ["value 1.5 at 0", "value x at 1"]
    assert cases(tests["pretty %p"]) == ['pretty "a"', "pretty null"]
    assert cases(tests["obj $a and $b ($#)"]) == ["obj 1 and two (0)", "obj 3 and four (1)"]
    assert cases(tests["tpl $a $b"]) == ["tpl 1 x", "tpl 2 y"]
    assert cases(tests["%s done %i%%"]) == ["100% done 1%"]
    add = tests["add(%i, %i) -> %d"]
    assert add.nodeid == "tests/auth/login.test.js::add(%i, %i) -> %d"
    assert add.parameters[0].hash != add.parameters[1].hash


def test_vitest_each_tables_get_the_titles_vitest_gives_them():
    ir = parse(
        """
        it.each([[1, 1, 2]])('add(%i, %i) -> %i', () => {});
        it.each([{ a: 1, b: 'two' }])('obj $a and $b', () => {});
        it.each(['a', 'b'])('case %# (%$) is %s', () => {});
        test.for([[1, 2]])('for %d + %d', () => {});
        """,
        "tests/a.test.ts",
        "vitest",
    )
    tests = by_name(ir)
    assert cases(tests["add(%i, %i) -> %i"]) == ["add(1, 1) -> 2"]
    assert cases(tests["obj $a and $b"]) == ["obj 1 and 'two'"]
    assert cases(tests["case %# (%$) is %s"]) == ["case 0 (1) is a", "case 1 (2) is b"]
    assert cases(tests["for %d + %d"]) == ["for 1 + 2"]


def test_describe_each_multiplies_the_cases_of_the_tests_inside():
    ir = parse(
        """
        describe.each([['hi'], ['yo']])('shout(%s)', (word) => {
          it.each([1, 2])('repeats %i times', () => {});
          it('ends with !', () => {});
        });
        """
    )
    tests = by_name(ir)
    ends = tests["ends with !"]
    assert ends.suite_path == ("auth", "login", "shout(%s)")
    assert cases(ends) == ["shout(hi)::ends with !", "shout(yo)::ends with !"]
    assert cases(tests["repeats %i times"]) == [
        "shout(hi)::repeats 1 times",
        "shout(hi)::repeats 2 times",
        "shout(yo)::repeats 1 times",
        "shout(yo)::repeats 2 times",
    ]


def test_rows_that_are_not_literal_fall_back_to_their_index_and_tables_to_the_runner():
    ir = parse(
        """
        const rows = [[1], [2]];
        it.each([[1], [someValue]])('value %s', () => {});
        it.each(rows)('dynamic %s', () => {});
        it.each([['a'], ['a']])('same %s', () => {});
        for (const name of ['x', 'y']) {
          it(`loops over ${name}`, () => {});
        }
        it(title, () => {});
        """
    )
    tests = by_name(ir)
    assert cases(tests["value %s"]) == ["value 1", "#1"]
    dynamic = tests["dynamic %s"]
    assert dynamic.parameters == () and dynamic.dynamic_parameters is True
    assert cases(tests["same %s"]) == ["same a", "same a (2)"]
    assert "loops over ${name}" in tests
    assert "${title}" in tests


def test_a_syntax_error_names_the_file_and_line_and_the_other_tests_are_still_found():
    ir = parse(
        """
        it('before', () => {
          expect(1).toBe(1);
        });

        it('broken', () => {
          expect(1).toBe(;
        });

        it('after', () => {});
        """
    )
    assert ir.parse_error is True
    [diagnostic] = [d for d in ir.diagnostics if d.code == "parse_error"]
    assert diagnostic.path == "tests/auth/login.test.js"
    assert diagnostic.line == 7
    assert {"before", "after"} <= set(by_name(ir))


def test_typescript_and_tsx_files_are_parsed_with_their_grammars():
    ts = parse(
        """
        import { expect, it } from 'vitest';
        const total = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
        it('sums <typed> arrays', () => {
          expect(total([1, 2] as number[])).toBe(3);
        });
        """,
        "tests/a.test.ts",
        "vitest",
    )
    tsx = parse(
        """
        it('renders', () => {
          const view = <Button label="ok" />;
          expect(view).toMatchSnapshot();
        });
        """,
        "tests/b.test.tsx",
    )
    assert ts.parse_error is False and [t.name for t in ts.tests] == ["sums <typed> arrays"]
    assert tsx.parse_error is False
    [renders] = tsx.tests
    assert renders.markers == ("snapshot",)


def test_bad_bytes_are_diagnostics_not_exceptions():
    binary = parse_js_file("tests/a.test.js", b"it('x')\x00", "tests")
    latin = parse_js_file("tests/a.test.js", b"it('caf\xe9', () => {})", "tests")
    assert [d.code for d in binary.diagnostics] == ["binary_file"]
    assert [d.code for d in latin.diagnostics] == ["not_utf8"]


def test_javascript_numbers_and_util_format_are_mirrored():
    numbers = (1.0, 1.5, 1e21, 1e-7, 0.1, -2.0, 123e-20, 1.2345678901234568e20, 2.0**53)
    assert [js_format.number_string(v) for v in numbers] == [
        "1",
        "1.5",
        "1e+21",
        "1e-7",
        "0.1",
        "-2",
        "1.23e-18",
        "123456789012345680000",
        "9007199254740992",
    ]
    assert js_format.node_format("%s and %s", "a") == "a and %s"
    assert js_format.node_format("no placeholder", 3.0) == "no placeholder 3"
    assert js_format.node_format("%i", 1.9) == "1"
    assert js_format.node_format("%d", "12") == "12"
    assert js_format.node_format("%j", "q") == '"q"'
    assert js_format.node_format("%o", "q") == "'q'"


# --- reconciliation with the frameworks' listings ------------------------------------------


def test_jest_listing_items_match_static_tests_exactly_or_by_pattern():
    ir = parse(
        """
        describe('D', () => {
          it('plain', () => {});
          it.each(rows)('row %s', () => {});
          it.each([[1], [x]])('known %i', () => {});
        });
        """
    )
    listing = {
        "testResults": [
            {
                "name": "/repo/tests/auth/login.test.js",
                "status": "passed",
                "assertionResults": [
                    {"ancestorTitles": ["D"], "title": t, "status": "pending", "location": None}
                    for t in ("plain", "row a", "row b", "known 1", "known 7", "generated")
                ],
            }
        ]
    }
    manifest = jest_manifest(listing, Path("/repo"))
    merged, diagnostics = reconcile(
        list(ir.tests), manifest, {"tests/auth/login.test.js": "tests"}, "jest"
    )
    tests = {t.name: t for t in merged}
    assert diagnostics == []
    assert tests["plain"].source == "both"
    assert cases(tests["row %s"]) == ["row a", "row b"]
    assert tests["row %s"].dynamic_parameters is False
    assert cases(tests["known %i"]) == ["known 1", "known 7"]
    assert tests["generated"].source == "runner"
    assert tests["generated"].suite_path == ("auth", "login", "D")


def test_a_file_jest_cannot_load_is_a_collection_error_and_vitest_names_split_on_arrows():
    listing = {
        "testResults": [
            {
                "name": "/repo/tests/bad.test.js",
                "status": "failed",
                "message": "SyntaxError: Unexpected token",
                "assertionResults": [],
            }
        ]
    }
    _, diagnostics = reconcile([], jest_manifest(listing, Path("/repo")), {}, "jest")
    assert [(d.code, d.path) for d in diagnostics] == [
        ("runner_collection_error", "tests/bad.test.js")
    ]
    vitest = vitest_manifest(
        [{"name": "a > b > c", "file": "/repo/tests/x.test.ts"}], Path("/repo")
    )
    merged, _ = reconcile([], vitest, {"tests/x.test.ts": "tests"}, "vitest")
    assert [(t.suite_path, t.name, t.source) for t in merged] == [(("x", "a", "b"), "c", "runner")]


def test_the_config_accepts_jest_and_vitest_but_only_one_js_framework():
    base = 'spec_output: spec/\ntest_globs: ["tests/**/*.js"]\nframeworks:\n'
    jest = "  - {name: jest, collect_cmd: npx jest}\n"
    vitest = "  - {name: vitest, collect_cmd: npx vitest}\n"
    pytest_entry = "  - {name: pytest, collect_cmd: python -m pytest --collect-only -q}\n"
    config = parse_config(base + pytest_entry + jest, Path("config.yml"))
    assert [f.name for f in config.frameworks] == ["pytest", "jest"]
    with pytest.raises(ConfigError, match="one JS framework"):
        parse_config(base + jest + vitest, Path("config.yml"))


# --- fixture projects --------------------------------------------------------------------


def materialise(name: str, destination: Path) -> Path:
    shutil.copytree(PROJECTS / name, destination, ignore=shutil.ignore_patterns("node_modules"))
    return destination


@pytest.mark.parametrize("project", ["jest", "vitest"])
def test_static_sync_of_a_js_fixture_project_is_byte_identical_across_two_fresh_copies(
    tmp_path, capsys, project
):
    first = materialise(project, tmp_path / "first")
    second = materialise(project, tmp_path / "second")
    for root in (first, second):
        assert run(root, "sync", "--apply", "--no-runner") == 0
        capsys.readouterr()
        assert run(root, "check", "--no-runner") == 0, capsys.readouterr().out
    assert outputs(first) == outputs(second)
    found = behaviors(first, capsys, "--no-runner")
    assert found["math.add.sums_two_numbers"]["status"] == "ok"
    assert found["math.divide.rejects_zero"]["title"] == "Throws"


def test_the_jest_fixture_ledger_names_each_case_as_jest_titles_it(tmp_path, capsys):
    root = materialise("jest", tmp_path / "project")
    assert run(root, "sync", "--apply", "--no-runner") == 0
    found = behaviors(root, capsys, "--no-runner")
    add = found["math.add.add_i_i_is_i"]
    assert [e["case"] for e in add["evidence"]] == ["add(1, 1) is 2", "add(2, 3) is 5"]
    shout = found["shout.shout_s.ends_with_an_exclamation_mark"]
    assert [e["case"] for e in shout["evidence"]] == [
        "shout(hi)::ends with an exclamation mark",
        "shout(yo)::ends with an exclamation mark",
    ]


def npm_install(project: Path) -> None:
    env = {**os.environ, "npm_config_fund": "false", "npm_config_audit": "false"}
    env.setdefault("npm_config_cache", str(Path.home() / ".npm"))
    completed = subprocess.run(
        [NPM, "install", "--no-audit", "--no-fund", "--prefer-offline"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


@pytest.fixture(scope="session")
def installed(tmp_path_factory):
    """``npm install`` of each fixture project once per session, shared by the xdist
    workers (and a shared npm cache): name -> its node_modules."""
    if NPM is None:
        pytest.skip("npm is not on PATH: the Jest/Vitest runner tests need Node.js and npm")

    def install(name: str) -> Path:
        made = made_once(
            tmp_path_factory,
            f"npm-{name}",
            lambda into: npm_install(materialise(name, into / name)),
        )
        return made / name / "node_modules"

    return install


def with_modules(name: str, destination: Path, installed) -> Path:
    root = materialise(name, destination)
    (root / "node_modules").symlink_to(installed(name), target_is_directory=True)
    return root


@pytest.mark.slow
@pytest.mark.parametrize("project", ["jest", "vitest"])
def test_static_and_runner_modes_write_the_same_ledger_on_a_js_fixture_project(
    tmp_path, capsys, installed, project
):
    static = with_modules(project, tmp_path / "static", installed)
    runner = with_modules(project, tmp_path / "runner", installed)
    assert run(static, "sync", "--apply", "--no-runner") == 0
    assert run(runner, "sync", "--apply") == 0
    capsys.readouterr()
    assert run(runner, "check") == 0, capsys.readouterr().out
    assert outputs(static) == outputs(runner)
    found = behaviors(runner, capsys)
    assert all(b["status"] == "ok" for b in found.values()), {
        k: b["status"] for k, b in found.items()
    }


RESULTS_COMMANDS = {
    "jest": ["npx", "--no-install", "jest", "--json", "--outputFile={out}"],
    "vitest": ["npx", "--no-install", "vitest", "run", "--reporter=json", "--outputFile={out}"],
}


@pytest.mark.slow
@pytest.mark.parametrize("project", ["jest", "vitest"])
def test_the_frameworks_json_results_match_every_result_to_the_ledger(
    tmp_path, capsys, installed, project
):
    root = with_modules(project, tmp_path / "project", installed)
    results = tmp_path / "results.json"
    command = [part.format(out=results) for part in RESULTS_COMMANDS[project]]
    completed = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert run(root, "sync", "--apply", "--no-runner") == 0
    capsys.readouterr()
    assert run(root, "report", "--from", str(results), "--no-runner") == 0
    out = capsys.readouterr().out
    assert ", 0 unmatched" in out and " 0 results matched" not in out


def test_the_dispatcher_routes_js_files_to_the_configured_js_framework_only():
    from tddprose.adapters import dispatch, js_static

    assert set(dispatch.EXTENSIONS) == set(js_static.EXTENSIONS)
    assert dispatch.JS_FRAMEWORKS == js_static.JS_FRAMEWORKS
    source = b"it('works', () => {});\n"
    assert dispatch.parse_source("a.test.js", source, "", "@tdd-prose:behavior").tests == ()
    [test] = dispatch.parse_source("a.test.js", source, "", "@tdd-prose:behavior", "vitest").tests
    assert test.test_id == "test:vitest:a:works"


BROKEN = {
    "jest": (
        "tests/broken.test.js",
        "it('before', () => {});\nit('broken', () => {\n  expect(1).toBe(;\n});\n",
    ),
    "vitest": (
        "tests/broken.test.ts",
        "import { expect, it } from 'vitest';\nit('before', () => {});\n"
        "it('broken', () => {\n  expect(1).toBe(;\n});\n",
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("project", ["jest", "vitest"])
def test_a_file_the_framework_cannot_load_is_reported_and_the_other_files_still_listed(
    tmp_path, capsys, installed, project
):
    root = with_modules(project, tmp_path / "project", installed)
    path, source = BROKEN[project]
    (root / path).write_text(source)
    capsys.readouterr()
    assert run(root, "check") == 1
    out = capsys.readouterr().out
    assert f"could not load {path}" in out
    line = source.splitlines().index("  expect(1).toBe(;") + 1
    assert f"{path}:{line}: syntax error" in out
    found = behaviors(root, capsys)
    assert found["math.add.sums_two_numbers"]["status"] == "ok"
    assert "broken.before" in found


def test_jest_json_results_resolve_absolute_paths_and_each_cases_to_the_evidence(tmp_path):
    from tddprose.results import match_results, read_results

    report = {
        "testResults": [
            {
                "name": "/ci/work/repo/tests/math.test.js",
                "assertionResults": [
                    {"ancestorTitles": ["add"], "title": t, "status": s, "duration": 3}
                    for t, s in (("sums", "passed"), ("add 1", "failed"), ("later", "todo"))
                ],
            }
        ]
    }
    path = tmp_path / "jest.json"
    path.write_text(json.dumps(report))
    known = ["tests/math.test.js::add::sums", "tests/math.test.js::add::add %i[add 1]"]
    matched, unmatched = match_results(read_results(path), known)
    assert {n: r.status for n, r in matched.items()} == {
        "tests/math.test.js::add::sums": "passed",
        "tests/math.test.js::add::add %i[add 1]": "failed",
    }
    assert [r.nodeid for r in unmatched] == ["/ci/work/repo/tests/math.test.js::add::later"]


def test_vitest_leaves_skipped_tests_out_of_its_listing_so_they_keep_their_static_facts():
    ir = parse("it.skip('later', () => {});\nit('now', () => {});\n", "tests/a.test.ts", "vitest")
    listing = vitest_manifest([{"name": "now", "file": "/r/tests/a.test.ts"}], Path("/r"))
    merged, _ = reconcile(list(ir.tests), listing, {"tests/a.test.ts": "tests"}, "vitest")
    assert {t.name: t.source for t in merged} == {"later": "skipped_by_runner", "now": "both"}


def test_init_in_a_jest_project_writes_a_jest_starter_config_that_syncs(tmp_path, capsys):
    root = materialise("jest", tmp_path / "project")
    shutil.rmtree(root / ".tdd-prose")
    assert run(root, "init") == 0
    config = (root / ".tdd-prose/config.yml").read_text()
    assert "name: jest" in config and '"**/*.test.*"' in config and "name: pytest" not in config
    assert run(root, "sync", "--apply", "--no-runner") == 0
    found = behaviors(root, capsys, "--no-runner")
    assert found["math.divide.rejects_zero"]["status"] == "ok"
    assert "tests.math.add.sums_two_numbers" not in found  # anchored, not heuristic
