"""Dependency metadata for a package published together with its siblings.

Built from a monorepo checkout (``pip install packages/tracer``), the sibling
packages are referenced by their local directories so pip installs them from
the same checkout. A release build (``PYPROBE_RELEASE_BUILD=1``), or a build
where the siblings are absent, pins them to this package's own version
instead: they are published together, and PyPI refuses direct references.
"""

from __future__ import annotations

import os
from pathlib import Path

from hatchling.metadata.plugin.interface import MetadataHookInterface


class SiblingDependencies(MetadataHookInterface):
    def update(self, metadata: dict) -> None:
        version = metadata["version"]
        packages_dir = Path(self.root).resolve().parent
        dependencies = list(self.config.get("third-party", []))
        release = os.environ.get("PYPROBE_RELEASE_BUILD") == "1"
        for dist_name, folder in sorted(self.config["sibling-packages"].items()):
            sibling = packages_dir / folder
            if not release and (sibling / "pyproject.toml").is_file():
                dependencies.append(f"{dist_name} @ {sibling.as_uri()}")
            else:
                dependencies.append(f"{dist_name}=={version}")
        metadata["dependencies"] = dependencies
