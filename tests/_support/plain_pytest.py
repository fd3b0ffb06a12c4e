"""The pipeline's nested pytest runs on the tests' small fixture projects, without
this environment's plugins."""

from __future__ import annotations

import pytest

AUTOLOAD_OFF = "PYTEST_DISABLE_PLUGIN_AUTOLOAD"


@pytest.fixture(scope="module", autouse=True)
def fixture_projects_load_no_plugins():
    """A pytest started by the module's tests loads only the plugins it is told to (-p).

    The fixture projects use none, and this environment's (pytest-qt, Hypothesis, anyio,
    xdist, tpr) cost each nested run about 0.15 s to import and configure: 40% of the
    gate tests' time. Import this fixture into a test module to switch it on there."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(AUTOLOAD_OFF, "1")
        yield
