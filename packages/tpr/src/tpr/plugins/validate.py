"""Plugin: validate the environment against the recorded signature before any test
runs (``--tpr-validate`` or TPR_ENV_VALIDATE=enable in the environment; `tpr run`,
`tpr baseline` and the nox sessions turn it on). TPR_ENV_VALIDATE=skip overrides."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ..signature import SIGNATURE_NAME
from ..validate import explain, run_validation
from .context import context


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("tpr")
    group.addoption(
        "--tpr-validate",
        action="store_true",
        default=False,
        help="check the environment against env.signature.json first; abort on a mismatch",
    )


def requested(config: pytest.Config, signature: Path) -> bool:
    """The flag always validates (a missing signature fails); TPR_ENV_VALIDATE=enable in
    the environment validates where a signature is recorded, so test suites that start
    pytest in scratch directories inherit it harmlessly."""
    env = os.environ.get("TPR_ENV_VALIDATE", "").strip().lower()
    if env == "skip":
        return False
    if config.getoption("tpr_validate"):
        return True
    return env == "enable" and signature.is_file()


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    run = context(session.config)
    if run.worker or not requested(session.config, run.artifacts / SIGNATURE_NAME):
        return
    result = run_validation(
        run.root, run.config, run.log, signature_path=run.artifacts / SIGNATURE_NAME
    )
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if not result.ok:
        pytest.exit(explain(result), returncode=pytest.ExitCode.USAGE_ERROR)
    if reporter is not None:
        reporter.write_line(explain(result))
