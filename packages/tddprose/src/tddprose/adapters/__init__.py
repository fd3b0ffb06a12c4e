"""Framework adapters: turn test files into TestIR.

An adapter has a static half (parse one file's bytes, no code runs) and,
optionally, a runner half (ask the framework what it collects). pytest:
``pytest_static`` + ``tddprose.runner``; Jest and Vitest: ``js_static`` (with the
``.each`` title formatting in ``js_format``) + ``js_runner``. ``dispatch`` picks the
adapter of each file.
"""
