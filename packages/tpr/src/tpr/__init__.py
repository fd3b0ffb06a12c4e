"""tpr: the test platform under every test run.

A pytest plugin (one module per concern under ``tpr.plugins``) and the ``tpr``
command: environment validation, baseline metrics, fail-fast modes, property
pilot, flake reruns, coverage ladder gate, foundation checkpoint, event log.
"""

__version__ = "0.1.0"

FAILFAST_MODES = ("off", "soft", "hard")
