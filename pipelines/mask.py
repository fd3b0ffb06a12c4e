"""The RED stage's mask: an environment in which the step's implementation modules are gone.

Every Python process started with the environment imports ``_hooks/sitecustomize.py`` at
start-up, which replaces the masked modules (and everything below them) by placeholders; see
that module for what a placeholder allows. Processes started with ``-I``, ``-E`` or ``-S``
ignore PYTHONPATH or site, so they are not masked.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from pipelines._hooks import sitecustomize, with_hooks_dir

MaskedError = sitecustomize.MaskedError
MASK_ENV = sitecustomize.MASK_ENV
LABEL_ENV = sitecustomize.LABEL_ENV

__all__ = ["LABEL_ENV", "MASK_ENV", "MaskedError", "mask_environment"]


def _check_module_name(name: str) -> str:
    if not name or not all(part.isidentifier() for part in name.split(".")):
        raise ValueError(f"cannot mask {name!r}: not a dotted module name")
    return name


def mask_environment(
    modules: Sequence[str], *, label: str, env: Mapping[str, str] | None = None
) -> dict[str, str]:
    """A copy of ``env`` (default os.environ) that masks ``modules`` in every Python process
    started with it. Each dotted name masks itself and every submodule; ``label`` (e.g.
    ``"M1 step 1"``) is quoted by every MaskedError."""
    if isinstance(modules, str):
        raise TypeError("modules must be a sequence of module names, not a string")
    names = [_check_module_name(name) for name in modules]
    if not names:
        raise ValueError("nothing to mask: every test would pass and look vacuous")
    masked = dict(os.environ if env is None else env)
    masked["PYTHONPATH"] = with_hooks_dir(masked.get("PYTHONPATH", ""), first=True)
    masked[MASK_ENV] = ",".join(names)
    masked[LABEL_ENV] = label
    return masked
