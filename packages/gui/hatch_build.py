"""Dependency metadata for a package published together with its siblings.

The sibling packages (``sibling-packages`` in pyproject.toml) are always pinned
to this package's own version, ``pyprobe-wire==0.1.0``, however the package is
built: wheel, sdist, wheel from the sdist, or editable. They are published
together, PyPI refuses direct references, and pip cannot mix ``file://``
references with editable installs of the same packages.

From a checkout, install the siblings in the same command, where they satisfy
the pins (``pip install packages/wire packages/transport packages/tracer``, or
``-e`` each of them); ``uv`` takes them from the workspace (``tool.uv.sources``).
"""

from __future__ import annotations

from hatchling.metadata.plugin.interface import MetadataHookInterface


class SiblingDependencies(MetadataHookInterface):
    def update(self, metadata: dict) -> None:
        version = metadata["version"]
        dependencies = list(self.config.get("third-party", []))
        for dist_name in sorted(self.config["sibling-packages"]):
            dependencies.append(f"{dist_name}=={version}")
        metadata["dependencies"] = dependencies
