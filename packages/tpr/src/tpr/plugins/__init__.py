"""tpr's pytest plugins, one concern each, each owning its options and hooks.

They are registered through the ``pytest11`` entry points listed in PLUGINS, so
``-p no:tpr_durations`` switches one off and ``plain_pytest_args()`` all of them.
"""

PLUGINS = (
    "tpr_events",
    "tpr_validate",
    "tpr_failfast",
    "tpr_durations",
    "tpr_outcomes",
    "tpr_markers",
    "tpr_property",
)


def plain_pytest_args() -> list[str]:
    """pytest arguments that run without any tpr plugin (the overhead baseline)."""
    return [arg for name in PLUGINS for arg in ("-p", f"no:{name}")]
