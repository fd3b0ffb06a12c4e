"""The smallest valid milestone plan (one step, one test), for tests of the pipeline."""

from __future__ import annotations

MINIMAL_PLAN = {
    "id": "M1",
    "title": "Adder",
    "slug": "adder",
    "goal": "Add numbers.",
    "implemented": True,
    "depends_on": [],
    "packages": ["calc"],
    "success_criteria": ["1 + 1 is 2"],
    "steps": [
        {
            "title": "Add",
            "tests": [{"file": "tests/test_add.py", "names": ["test_add"]}],
            "implementation": ["calc"],
        }
    ],
}
