"""Running a tool's ``main(argv)`` in-process the way a user's shell would see it."""

from __future__ import annotations


def run_main(main, capsys, argv) -> tuple[int, str]:
    """``(exit code, stderr)`` of ``main(argv)``, argparse's usage errors included;
    fails the test if anything printed a traceback."""
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's usage errors
        code = exc.code
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err
