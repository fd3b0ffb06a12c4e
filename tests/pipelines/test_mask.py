"""The RED-stage mask: masked tests fail one by one, never at collection."""

from __future__ import annotations

import copy
import importlib.util
import inspect
import math
import operator
import os
import pickle
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from pipelines._hooks import HOOKS_DIR
from pipelines._hooks import sitecustomize as hook
from pipelines.mask import LABEL_ENV, MASK_ENV, MaskedError, mask_environment

CALC = {
    "calc/__init__.py": """
        __version__ = "1.0"
        KINDS = ("a", "b")

        def add(a, b):
            return a + b

        class Thing:
            size = 3

        class Kind:
            FIRST = 1

        def traced(func):
            return func

        LIMIT = 10

        def within(value):
            return 0 <= value <= LIMIT
        """,
    "calc/__main__.py": 'print("calc main")\n',
    "calc/sub.py": "def f():\n    return 42\n",
    "other.py": "def g():\n    return 7\n",
}

TESTS = """
    import subprocess
    import sys

    import pytest

    import calc
    import other
    from calc import Thing, add
    from calc.sub import f

    THING = calc.Thing()
    FIRST = calc.Kind.FIRST
    MaybeThing = calc.Thing | None


    def test_calls_add():
        assert add(1, 2) + 0 == 3


    def test_assert_add():
        assert calc.add(1, 2) == 3


    @pytest.mark.parametrize("kind", list(calc.KINDS))
    def test_kinds(kind):
        assert kind in ("a", "b")


    def test_module_level_instance():
        assert THING.size == 3


    def test_isinstance():
        assert isinstance(THING, Thing)


    def test_submodule():
        assert f() == 42


    def test_version():
        assert isinstance(calc.__version__, str)


    def test_python_m():
        proc = subprocess.run([sys.executable, "-m", "calc"], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.strip() == "calc main"


    @pytest.mark.parametrize(("value", "ok"), [(-1, False), (calc.LIMIT + 1, False)])
    def test_limits(value, ok):
        assert calc.within(value) == ok


    @calc.traced
    def test_decorated_by_calc(tmp_path):
        assert tmp_path.is_dir()


    def test_unmasked_neighbour():
        assert other.g() == 7


    def test_does_not_use_calc():
        assert sum([1, 2]) == 3
    """

MASKED = "is masked (RED stage of T1): the test used the implementation"
USES_CALC = {
    "test_calls_add": MASKED,
    "test_assert_add": MASKED,
    "test_kinds[kind0]": MASKED,
    "test_module_level_instance": MASKED,
    "test_isinstance": MASKED,
    "test_submodule": MASKED,
    "test_python_m": MASKED,
    "test_decorated_by_calc": "calc.traced(...) " + MASKED,
    "test_limits[-1-False]": MASKED,
    "test_limits[value1-False]": MASKED,
    # isinstance() of a placeholder is simply False.
    "test_version": "isinstance(<masked calc.__version__>, str)",
}
INDEPENDENT = {"test_unmasked_neighbour", "test_does_not_use_calc"}


def base(name: str) -> str:
    return name.split("[")[0]


def write_project(root: Path) -> Path:
    for name, text in CALC.items():
        path = root / "src" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    (root / "tests").mkdir()
    (root / "tests" / "test_calc.py").write_text(textwrap.dedent(TESTS))
    return root


def plain_env(root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in (MASK_ENV, LABEL_ENV)}
    env["PYTHONPATH"] = str(root / "src")
    return env


def run_inner_pytest(root: Path, env: dict[str, str]) -> tuple[int, dict[str, tuple[str, str]]]:
    """pytest's exit code and, per test, (outcome, failure text) from its JUnit XML."""
    xml = root / "junit.xml"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--junitxml", str(xml)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    results = {}
    for case in ET.parse(xml).getroot().iter("testcase"):
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        outcome = "passed" if problem is None else problem.tag
        text = "" if problem is None else f"{problem.get('message')}\n{problem.text}"
        results[case.get("name")] = (outcome, text)
    return proc.returncode, results


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return write_project(tmp_path_factory.mktemp("mask-project"))


@pytest.fixture(scope="module")
def masked_run(project):
    return run_inner_pytest(project, mask_environment(["calc"], label="T1", env=plain_env(project)))


def test_control_run_passes_everything(project):
    exit_code, results = run_inner_pytest(project, plain_env(project))
    assert exit_code == 0, results
    assert {base(name) for name in results} == {base(name) for name in USES_CALC} | INDEPENDENT
    assert {outcome for outcome, _ in results.values()} == {"passed"}


def test_masked_run_collects_every_test(masked_run):
    exit_code, results = masked_run
    assert exit_code == 1  # tests failed; 2 would mean an interrupted (collection) run
    assert set(results) == set(USES_CALC) | INDEPENDENT


@pytest.mark.parametrize("name", sorted(USES_CALC))
def test_each_test_using_calc_fails_on_its_own(masked_run, name):
    outcome, text = masked_run[1][name]
    assert outcome == "failure"
    assert USES_CALC[name] in text


@pytest.mark.parametrize("name", sorted(INDEPENDENT))
def test_tests_not_using_calc_still_pass(masked_run, name):
    assert masked_run[1][name] == ("passed", "")


def test_failures_name_the_placeholder(masked_run):
    results = masked_run[1]
    assert "MaskedError: (calc.add(...) + 0) is masked" in results["test_calls_add"][1]
    assert "calc.sub.f(...) is masked" in results["test_submodule"][1]
    assert "calc.KINDS[0] is masked" in results["test_kinds[kind0]"][1]
    assert "calc.__main__ is masked" in results["test_python_m"][1]


def test_python_m_of_a_masked_package_fails(project):
    env = mask_environment(["calc"], label="T1", env=plain_env(project))
    proc = subprocess.run(
        [sys.executable, "-m", "calc"], cwd=project, env=env, capture_output=True, text=True
    )
    assert proc.returncode != 0
    assert "calc.__main__ is masked (RED stage of T1)" in proc.stderr
    assert proc.stdout == ""


def test_the_mask_finder_stays_in_front(project):
    env = mask_environment(["calc"], label="T1", env=plain_env(project))
    code = "import sys; sys.meta_path.insert(0, object()); print(type(sys.meta_path[0]).__name__)"
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert proc.stdout.strip() == "MaskFinder", proc.stderr


@pytest.mark.parametrize("masked", [True, False])
def test_another_sitecustomize_is_still_imported(tmp_path, masked):
    other = tmp_path / "other_site"
    other.mkdir()
    (other / "sitecustomize.py").write_text("import os\nos.environ['CHAINED'] = __name__\n")
    env = {k: v for k, v in os.environ.items() if k not in (MASK_ENV, LABEL_ENV)}
    env["PYTHONPATH"] = os.pathsep.join([str(HOOKS_DIR), str(other)])
    if masked:
        env = mask_environment(["calc"], label="T1", env=env)
    code = "import os, sitecustomize; print(os.environ.get('CHAINED'), sitecustomize.__file__)"
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    chained, ours = proc.stdout.split()
    assert chained == "sitecustomize", proc.stderr
    assert Path(ours).resolve() == HOOKS_DIR / "sitecustomize.py"
    assert proc.stderr == ""


# --- mask_environment -----------------------------------------------------------


def test_mask_environment_prepends_the_hooks_dir_once():
    env = {"PYTHONPATH": os.pathsep.join(["a", str(HOOKS_DIR), "b"]), "KEEP": "1"}
    masked = mask_environment(["pyprobe_wire", "pyprobe_tracer.cli"], label="M1 step 1", env=env)
    assert masked["PYTHONPATH"].split(os.pathsep) == [str(HOOKS_DIR), "a", "b"]
    assert masked[MASK_ENV] == "pyprobe_wire,pyprobe_tracer.cli"
    assert masked[LABEL_ENV] == "M1 step 1"
    assert masked["KEEP"] == "1"
    assert env["PYTHONPATH"] == os.pathsep.join(["a", str(HOOKS_DIR), "b"])  # not changed


def test_mask_environment_defaults_to_os_environ(monkeypatch):
    monkeypatch.delenv("PYTHONPATH", raising=False)
    monkeypatch.setenv("PIPELINES_MASK_PROBE", "yes")
    masked = mask_environment(["calc"], label="T1")
    assert masked["PIPELINES_MASK_PROBE"] == "yes"
    assert masked["PYTHONPATH"] == str(HOOKS_DIR)
    assert MASK_ENV not in os.environ


@pytest.mark.parametrize("bad", ["", "a b", "a..b", "a,b", "1abc", ".a"])
def test_mask_environment_rejects_bad_names(bad):
    with pytest.raises(ValueError, match="not a dotted module name"):
        mask_environment([bad], label="T1", env={})


def test_mask_environment_rejects_nothing_and_strings():
    with pytest.raises(ValueError, match="nothing to mask"):
        mask_environment([], label="T1", env={})
    with pytest.raises(TypeError):
        mask_environment("calc", label="T1", env={})


def test_masked_error_is_the_hook_modules():
    assert MaskedError is hook.MaskedError
    assert issubclass(hook.MaskedLengthError, MaskedError)


# --- placeholders, in-process ---------------------------------------------------


def placeholder(name: str = "calc.add") -> hook.Placeholder:
    return hook.Placeholder(name, "T1")


def set_attribute(p):
    p.x = 1


def subclass(p):
    class Sub(p):
        pass


def set_item(p):
    p[0] = 1


def use_as_context(p):
    with p:
        pass


REFUSED = {
    "bool": bool,
    "len": len,
    "int": int,
    "float": float,
    "complex": complex,
    "index": operator.index,
    "round": round,
    "trunc": math.trunc,
    "str": str,
    "format": lambda p: f"{p}",
    "bytes": bytes,
    "eq": lambda p: p == 1,
    "ne": lambda p: p != 1,
    "lt": lambda p: p < 1,
    "ge": lambda p: p >= 1,
    "reflected eq": lambda p: 1 == p,  # noqa: SIM300
    "in": lambda p: 1 in p,
    "in a tuple": lambda p: p in (1, 2),
    "setitem": set_item,
    "setattr": set_attribute,
    "delattr": lambda p: delattr(p, "x"),
    "context manager": use_as_context,
    "await": lambda p: p.__await__(),
    "isinstance": lambda p: isinstance(1, p),
    "issubclass": lambda p: issubclass(int, p),
    "subclass": subclass,
    "fspath": os.fspath,
    "copy": copy.copy,
    "pickle": pickle.dumps,
    "the item iteration gives": lambda p: bool(next(iter(p))),
    "arithmetic results": lambda p: int(p + 1),
    "subscript results": lambda p: p[0] == 1,
}


@pytest.mark.parametrize("operation", REFUSED.values(), ids=REFUSED.keys())
def test_placeholders_refuse_to_give_a_value(operation):
    with pytest.raises(
        MaskedError, match=r"calc\.add(\[0\]| \+ 1\))? is masked \(RED stage of T1\)"
    ):
        operation(placeholder())


BUILT = {
    "calc.X[0]": lambda p: p[0],
    "calc.X['key']": lambda p: p["key"],
    "(calc.X + 1)": lambda p: p + 1,
    "(1 + calc.X)": lambda p: 1 + p,
    "((calc.X * 2) - 1)": lambda p: p * 2 - 1,
    "(calc.X / calc.X)": lambda p: p / p,
    "(calc.X ** 2)": lambda p: p**2,
    "(calc.X @ calc.X)": lambda p: p @ p,
    "(calc.X | None)": lambda p: p | None,
    "(int | calc.X)": lambda p: int | p,
    "-calc.X": lambda p: -p,
    "abs(calc.X)": abs,
    "~calc.X": lambda p: ~p,
    "calc.X(...).y": lambda p: p(1, key=2).y,
}


@pytest.mark.parametrize(("name", "build"), BUILT.items(), ids=BUILT.keys())
def test_building_on_a_placeholder_gives_a_placeholder(name, build):
    # Test files do this at module level (`LIMIT + 1` in a parametrize list): no error yet.
    built = build(placeholder("calc.X"))
    assert isinstance(built, hook.Placeholder)
    assert repr(built) == f"<masked {name}>"


def test_the_message_names_the_placeholder_and_the_label():
    with pytest.raises(MaskedError) as info:
        bool(placeholder()(1, 2))
    assert str(info.value) == (
        "calc.add(...) is masked (RED stage of T1): the test used the implementation"
    )
    stage = hook.Placeholder("x", "RED stage of M1 step 2")
    with pytest.raises(MaskedError, match=r"^x is masked \(RED stage of M1 step 2\):"):
        str(stage)


def test_len_is_also_a_type_error_so_list_still_iterates():
    with pytest.raises(TypeError):
        len(placeholder())
    items = list(placeholder("calc.KINDS"))
    assert len(items) == 1
    assert repr(items[0]) == "<masked calc.KINDS[0]>"
    assert len(tuple(placeholder())) == 1


def test_what_placeholders_allow():
    p = placeholder("calc")
    assert repr(p.Thing(size=1).grow) == "<masked calc.Thing(...).grow>"
    assert p.Thing is p.Thing
    assert {p: 1}[p] == 1
    assert hash(p) == hash(p)
    assert dir(p) == ["Thing"]
    assert callable(p)


@pytest.mark.parametrize(
    "name",
    [
        "__wrapped__",
        "__name__",
        "__signature__",
        "__test__",
        "_pytestfixturefunction",
        "pytestmark",
    ],
)
def test_placeholders_hide_what_tools_probe(name):
    assert not hasattr(placeholder(), name)


def test_a_masked_decorator_gives_a_function_that_fails():
    @placeholder("calc.traced")
    @pytest.mark.slow
    def test_decorated(tmp_path, monkeypatch):
        pass

    assert test_decorated.__name__ == "test_decorated"
    assert list(inspect.signature(test_decorated).parameters) == ["tmp_path", "monkeypatch"]
    assert test_decorated.pytestmark[0].name == "slow"
    with pytest.raises(MaskedError, match=r"^calc\.traced\(\.\.\.\) is masked"):
        test_decorated(1, 2)


# --- the finder, in-process ----------------------------------------------------


@pytest.fixture
def install(monkeypatch):
    """hook.install for this test only: sys.meta_path and masked modules are restored."""
    monkeypatch.setattr(sys, "meta_path", list(sys.meta_path))
    finders = []

    def install_(names):
        finder = hook.install(names, "T1")
        finders.append(finder)
        return finder

    yield install_
    for finder in finders:
        hook.uninstall(finder)
        for name in [n for n in sys.modules if finder.masks(n)]:
            del sys.modules[name]


def test_masked_modules_and_their_submodules_import_as_placeholders(install):
    install(["pipelines_demo_masked"])
    module = importlib.import_module("pipelines_demo_masked")
    deep = importlib.import_module("pipelines_demo_masked.deep.er")
    assert isinstance(module, hook.PlaceholderModule)
    assert repr(deep) == "<masked module 'pipelines_demo_masked.deep.er'>"
    assert module.__path__ == []
    assert module.__spec__.name == "pipelines_demo_masked"
    assert repr(module.encode) == "<masked pipelines_demo_masked.encode>"
    assert repr(module.__version__) == "<masked pipelines_demo_masked.__version__>"
    for probed in ("__file__", "__all__", "__wrapped__", "pytestmark", "pytest_plugins"):
        assert not hasattr(module, probed)
    with pytest.raises(MaskedError):
        bool(module.encode(b"x").decode())


def test_only_the_named_modules_are_masked(install):
    finder = install(["calc", "pkg.sub"])
    assert finder.masks("calc") and finder.masks("calc.x.y") and finder.masks("pkg.sub.z")
    assert not finder.masks("calculator") and not finder.masks("pkg") and not finder.masks("os")


def test_installing_forgets_modules_already_imported(install, tmp_path, monkeypatch):
    (tmp_path / "pipelines_demo_evicted.py").write_text("REAL = True\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert importlib.import_module("pipelines_demo_evicted").REAL is True
    install(["pipelines_demo_evicted"])
    assert "pipelines_demo_evicted" not in sys.modules
    module = importlib.import_module("pipelines_demo_evicted")
    assert isinstance(module, hook.PlaceholderModule)


def test_masking_a_submodule_unbinds_it_from_its_parent(install, tmp_path, monkeypatch):
    package = tmp_path / "pipelines_demo_parent"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "child.py").write_text("REAL = True\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    parent = importlib.import_module("pipelines_demo_parent")
    importlib.import_module("pipelines_demo_parent.child")
    try:
        install(["pipelines_demo_parent.child"])
        assert "child" not in vars(parent)
        from pipelines_demo_parent import child

        assert isinstance(child, hook.PlaceholderModule)
        assert sys.modules["pipelines_demo_parent"] is parent
    finally:
        del sys.modules["pipelines_demo_parent"]


def test_python_m_needs_code_the_mask_refuses(install):
    install(["pipelines_demo_main"])
    spec = importlib.util.find_spec("pipelines_demo_main.__main__")
    assert spec.submodule_search_locations is None
    with pytest.raises(ImportError, match=r"pipelines_demo_main.__main__ is masked"):
        spec.loader.get_code("pipelines_demo_main.__main__")
