"""The pytest adapter's static parse (tree-sitter): TestIR from source text alone."""

from __future__ import annotations

import textwrap

from tddprose.adapters.pytest_static import parse_test_file
from tddprose.ir import ACTIVE, SKIP, XFAIL


def parse(source: str, path: str = "tests/auth/test_login.py", root: str = "tests"):
    return parse_test_file(path, textwrap.dedent(source).encode(), suite_root=root)


def by_name(ir):
    return {t.name: t for t in ir.tests}


def test_module_functions_and_class_methods_become_tests_with_suite_paths():
    ir = parse(
        """
        import pytest

        def helper():
            pass

        def test_rejects_invalid_password():
            assert login("a", "b") is None

        class TestSession:
            def test_refresh_extends_expiry(self):
                assert True

            def not_a_test(self):
                pass

        class Helper:
            def test_ignored_outside_test_classes(self):
                pass
        """
    )
    tests = by_name(ir)
    assert sorted(tests) == ["test_refresh_extends_expiry", "test_rejects_invalid_password"]
    login = tests["test_rejects_invalid_password"]
    assert login.suite_path == ("auth", "test_login")
    assert login.nodeid == "tests/auth/test_login.py::test_rejects_invalid_password"
    assert login.test_id == "test:pytest:auth/test_login:test_rejects_invalid_password"
    refresh = tests["test_refresh_extends_expiry"]
    assert refresh.suite_path == ("auth", "test_login", "TestSession")
    assert refresh.nodeid == "tests/auth/test_login.py::TestSession::test_refresh_extends_expiry"
    assert (refresh.locator.start_line, refresh.locator.end_line) == (11, 12)
    assert ir.parse_error is False
    assert ir.file_fingerprint.startswith("sha256:")


def test_title_is_the_first_sentence_of_the_first_docstring_paragraph_else_the_humanised_name():
    ir = parse(
        '''
        def test_with_doc():
            """Unknown email and wrong password give the same error.

            More detail that is not the title.
            """

        def test_wrapped_doc():
            """Unknown email and wrong password give the same
            generic error, whatever the user typed.

            More detail that is not the title.
            """

        def test_two_sentences():
            """Refunds are capped at the charge. Partial refunds
            add up to at most the charge."""

        def test_abbreviation():
            """Values, e.g. 1.5 or np.nan, round
            to the nearest even number."""

        def test_humanised_when_no_docstring():
            pass
        '''
    )
    tests = by_name(ir)
    assert tests["test_with_doc"].title == "Unknown email and wrong password give the same error."
    assert tests["test_wrapped_doc"].title == (
        "Unknown email and wrong password give the same generic error, whatever the user typed."
    )
    assert tests["test_two_sentences"].title == "Refunds are capped at the charge."
    assert tests["test_abbreviation"].title == (
        "Values, e.g. 1.5 or np.nan, round to the nearest even number."
    )
    assert tests["test_humanised_when_no_docstring"].title == "Humanised when no docstring"


def test_unittest_testcase_subclasses_are_tests_whatever_their_class_name():
    ir = parse(
        """
        import unittest
        import unittest as ut
        from unittest import TestCase
        from unittest import IsolatedAsyncioTestCase as AsyncCase

        class AdderTests(unittest.TestCase):
            def test_basic(self):
                self.assertEqual(1 + 1, 2)

            def helper(self):
                pass

        class BaseCase(unittest.TestCase):
            pass

        class ParserChecks(BaseCase):
            def test_indirect(self):
                pass

        class DeeperChecks(ParserChecks):
            def test_deeper(self):
                pass

        class Imported(TestCase):
            def testCamel(self):
                pass

        class Aliased(ut.TestCase):
            def test_aliased(self):
                pass

        class Async(AsyncCase):
            async def test_async(self):
                pass

        class Helper:
            def test_not_a_test(self):
                pass

        class Mixin(object):
            def test_mixin(self):
                pass
        """
    )
    assert sorted(t.nodeid.split("::", 1)[1] for t in ir.tests) == [
        "AdderTests::test_basic",
        "Aliased::test_aliased",
        "Async::test_async",
        "DeeperChecks::test_deeper",
        "DeeperChecks::test_indirect",
        "Imported::testCamel",
        "ParserChecks::test_indirect",
    ]
    tests = by_name(ir)
    assert tests["test_basic"].suite_path == ("auth", "test_login", "AdderTests")
    assert tests["test_basic"].test_id == "test:pytest:auth/test_login/AdderTests:test_basic"


def test_a_class_gets_the_test_methods_it_inherits_from_classes_of_its_module():
    ir = parse(
        """
        import pytest

        class Mixin:
            @pytest.mark.slow
            def test_shared(self):
                assert self.value == 1

        @pytest.mark.network
        class TestBase(Mixin):
            def test_base(self):
                pass

        class TestChild(TestBase):
            value = 1

            def test_base(self):
                pass
        """
    )
    found = {t.nodeid.split("::", 1)[1]: t for t in ir.tests}
    assert sorted(found) == [
        "TestBase::test_base",
        "TestBase::test_shared",
        "TestChild::test_base",
        "TestChild::test_shared",
    ]
    inherited = found["TestChild::test_shared"]
    assert inherited.suite_path == ("auth", "test_login", "TestChild")
    assert set(inherited.markers) == {"network", "slow"}  # the bases' marks apply
    assert inherited.assertions == found["TestBase::test_shared"].assertions
    assert set(found["TestChild::test_base"].markers) == {"network"}


def test_a_testcase_base_imported_from_another_library_is_not_unittest():
    ir = parse(
        """
        from mylib import TestCase

        class Checks(TestCase):
            def test_x(self):
                pass
        """
    )
    assert ir.tests == ()


def test_unittest_method_titles_carry_their_class_meaning():
    ir = parse(
        '''
        import unittest

        class AdderTests(unittest.TestCase):
            def test_basic(self):
                pass

        class TestParseFloat(unittest.TestCase):
            def test_0(self):
                pass

        class HTTPServerTestCase(unittest.TestCase):
            def test_False(self):
                pass

        class QueueSpec(unittest.TestCase):
            def testRotate(self):
                pass

            def test_documented(self):
                """A docstring wins over the heuristic."""

        class TestPlainPytest:
            def test_plain(self):
                pass
        '''
    )
    tests = by_name(ir)
    assert tests["test_basic"].title == "Adder: basic"
    assert tests["test_0"].title == "Parse float: 0"
    assert tests["test_False"].title == "HTTP server: False"
    assert tests["testRotate"].title == "Queue spec: Rotate"
    assert tests["test_documented"].title == "A docstring wins over the heuristic."
    assert tests["test_plain"].title == "Plain"


def test_unittest_skip_and_expected_failure_decorators_are_inactive():
    ir = parse(
        """
        import unittest

        class AdderTests(unittest.TestCase):
            @unittest.skip("later")
            def test_skipped(self):
                pass

            @unittest.expectedFailure
            def test_expected_to_fail(self):
                pass

            @unittest.skipIf(True, "conditional")
            def test_conditional(self):
                pass
        """
    )
    tests = by_name(ir)
    assert tests["test_skipped"].status == SKIP
    assert tests["test_expected_to_fail"].status == XFAIL
    assert tests["test_conditional"].status == ACTIVE


def test_anchor_comments_above_the_decorators_or_in_the_body_and_the_marker_are_read():
    ir = parse(
        """
        import pytest

        # @tdd-prose:behavior auth.login.invalid_credentials
        @pytest.mark.slow
        def test_above():
            pass

        def test_inside():
            # @tdd-prose:behavior auth.login.inside
            pass

        @pytest.mark.tdd_prose("auth.login.marker")
        def test_marker():
            pass

        # @tdd-prose:behavior not.attached

        def test_blank_line_breaks_the_attachment():
            pass
        """
    )
    tests = by_name(ir)
    assert tests["test_above"].anchors == ("auth.login.invalid_credentials",)
    assert tests["test_above"].markers == ("slow",)
    assert tests["test_inside"].anchors == ("auth.login.inside",)
    assert tests["test_marker"].anchors == ("auth.login.marker",)
    assert tests["test_blank_line_breaks_the_attachment"].anchors == ()


def test_parametrize_cases_get_pytest_ids_and_stack_like_pytest():
    ir = parse(
        """
        import pytest

        @pytest.mark.parametrize("value, expected", [(1, "one"), (2, "two")])
        def test_literal_cases(value, expected):
            assert name(value) == expected

        @pytest.mark.parametrize("x", [pytest.param(1, id="first"), 2.5, None, object()])
        def test_param_ids(x):
            pass

        @pytest.mark.parametrize("b", ["a", "b"])
        @pytest.mark.parametrize("a", [1, 2])
        def test_stacked(a, b):
            pass

        @pytest.mark.parametrize("x", CASES)
        def test_dynamic(x):
            pass

        @pytest.mark.parametrize("x", [1, 2], ids=["low", "high"])
        def test_explicit_ids(x):
            pass

        @pytest.mark.parametrize("x", ["", "a"])
        def test_empty_string(x):
            pass

        @pytest.mark.parametrize("x", [1, 2], ids=["", "b"])
        def test_empty_explicit_id(x):
            pass
        """
    )
    tests = by_name(ir)
    assert [p.name for p in tests["test_literal_cases"].parameters] == ["1-one", "2-two"]
    assert [p.name for p in tests["test_param_ids"].parameters] == ["first", "2.5", "None", "x3"]
    assert [p.name for p in tests["test_stacked"].parameters] == ["1-a", "1-b", "2-a", "2-b"]
    assert tests["test_dynamic"].parameters == ()
    assert tests["test_dynamic"].dynamic_parameters is True
    assert [p.name for p in tests["test_explicit_ids"].parameters] == ["low", "high"]
    assert [p.name for p in tests["test_empty_string"].parameters] == ["", "a"]
    assert [p.name for p in tests["test_empty_explicit_id"].parameters] == ["", "b"]
    assert all(p.hash.startswith("sha256:") for p in tests["test_literal_cases"].parameters)


def test_assertions_record_kind_matcher_and_trivial_literals():
    ir = parse(
        """
        import pytest

        def test_many():
            assert total == 3
            assert "x" in items
            assert value is None
            assert not failed
            assert isinstance(result, dict)
            assert measured == pytest.approx(0.5)
            with pytest.raises(ValueError, match="Invalid credentials"):
                login()
            mock.assert_called_once_with(1)
        """
    )
    found = [(a.kind, a.matcher, a.expected_literal) for a in by_name(ir)["test_many"].assertions]
    assert found == [
        ("equals", "==", "3"),
        ("contains", "in", None),
        ("identity", "is", "None"),
        ("falsy", "not", None),
        ("isinstance", "isinstance", None),
        ("approx", "pytest.approx", "0.5"),
        ("raises", "pytest.raises(ValueError)", "Invalid credentials"),
        ("mock", "assert_called_once_with", None),
    ]


def test_assertion_structure_ignores_formatting():
    one = parse("def test_a():\n    assert f(1,2) == [1, 2]\n")
    two = parse("def test_a():\n    assert f( 1 ,\n      2 ) == [1,2]  # why\n")
    assert one.tests[0].assertions[0].structure == two.tests[0].assertions[0].structure


def test_skip_and_unconditional_xfail_are_inactive_but_skipif_is_not():
    ir = parse(
        """
        import pytest

        @pytest.mark.skip(reason="later")
        def test_skipped():
            pass

        @pytest.mark.xfail(reason="bug 12")
        def test_xfail():
            pass

        @pytest.mark.skipif(sys.platform == "win32", reason="posix")
        def test_conditional():
            pass

        @pytest.mark.xfail(sys.version_info < (3, 11), reason="old")
        def test_conditional_xfail():
            pass
        """
    )
    tests = by_name(ir)
    assert tests["test_skipped"].status == SKIP
    assert tests["test_xfail"].status == XFAIL
    assert tests["test_conditional"].status == ACTIVE
    assert tests["test_conditional_xfail"].status == ACTIVE


def test_class_and_module_pytestmark_apply_to_every_test():
    ir = parse(
        """
        import pytest

        pytestmark = [pytest.mark.gui, pytest.mark.tdd_prose("gui.window")]

        @pytest.mark.skip
        class TestLater:
            def test_one(self):
                pass

        class TestNow:
            pytestmark = pytest.mark.slow

            def test_two(self):
                pass
        """
    )
    tests = by_name(ir)
    assert tests["test_one"].status == SKIP
    assert tests["test_one"].anchors == ("gui.window",)
    assert set(tests["test_two"].markers) == {"gui", "slow"}


def test_hypothesis_given_and_fixtures_are_recorded():
    ir = parse(
        """
        from hypothesis import given, strategies as st

        @given(st.integers())
        def test_property(x):
            pass

        def test_bench(benchmark, tmp_path):
            pass
        """
    )
    tests = by_name(ir)
    assert "given" in tests["test_property"].markers
    assert tests["test_bench"].fixtures == ("benchmark", "tmp_path")


def test_syntax_error_marks_the_file_but_later_tests_are_still_extracted():
    ir = parse(
        """
        def test_before():
            assert True

        def test_broken(:
            pass

        def test_after():
            assert 1 == 1
        """
    )
    assert ir.parse_error is True
    assert [d.code for d in ir.diagnostics] == ["parse_error"]
    assert ir.diagnostics[0].line > 0
    assert {"test_before", "test_after"} <= set(by_name(ir))


def test_non_utf8_and_binary_files_get_a_diagnostic_not_a_crash():
    latin = parse_test_file("tests/test_latin.py", b"def test_a():\n    s = '\xe9'\n", "tests")
    assert latin.parse_error is True
    assert latin.diagnostics[0].code == "not_utf8"
    binary = parse_test_file("tests/test_bin.py", b"\x7fELF\x00\x00\x01", "tests")
    assert binary.parse_error is True
    assert binary.diagnostics[0].code == "binary_file"
    assert binary.tests == ()


def test_files_not_named_like_test_modules_yield_no_tests():
    ir = parse("def test_looks_like_one():\n    pass\n", path="tests/conftest.py")
    assert ir.tests == ()
    assert ir.parse_error is False


def test_same_input_gives_identical_ir():
    source = (
        "import pytest\n\n@pytest.mark.parametrize('x', [1, 2])\ndef test_a(x):\n    assert x\n"
    )
    assert parse(source).to_json() == parse(source).to_json()
