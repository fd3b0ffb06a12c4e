"""Write what the probes captured to a folder: one ``.npy`` per probe and a summary.

``<line>_<symbol>.npy`` holds every value in capture order (``_<N>`` is added for
the N-th occurrence of a name on its line when N > 1): a 1-D array for scalars, the
arrays stacked along a new first axis when they all have one shape. Values of
different shapes go to ``<line>_<symbol>.npz`` instead (``value_0``, ``value_1``...),
never pickled. ``summary.json`` lists every probe with its file, count, dtype and
drops, and how the run ended.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from .values import waveform_parts


def probe_stem(probe) -> str:
    anchor = probe.anchor
    suffix = f"_{probe.occurrence}" if probe.occurrence > 1 else ""
    return f"{anchor.line}_{anchor.symbol}{suffix}"


def _array_of(values: list) -> tuple[np.ndarray | None, str]:
    """(stacked array, "") or (None, why it cannot be one array)."""
    if not values:
        return np.zeros(0), ""
    arrays = [np.asarray(value) for value in values]
    if any(a.dtype == object for a in arrays):
        return None, "values that are not numbers or numeric arrays"
    if len({a.shape for a in arrays}) > 1:
        return None, "values of different shapes"
    return np.stack(arrays), ""


def export_probes(probes: Iterable, directory: str | os.PathLike[str], **run: Any) -> Path:
    """Write each probe's values (``probe.all_values``, else its latest) and
    ``summary.json`` into ``directory``; returns the summary's path. ``run`` (script,
    exit_code, outcome...) goes into the summary as it is."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    entries = []
    for probe in probes:
        values = (
            probe.all_values
            if probe.all_values is not None
            else ([] if probe.latest is None else [probe.latest])
        )
        stem = probe_stem(probe)
        stacked, why = _array_of(values)
        if stacked is not None:
            name = f"{stem}.npy"
            np.save(folder / name, stacked, allow_pickle=False)
            shape = list(stacked.shape)
        else:
            name = f"{stem}.npz"
            np.savez(folder / name, **{f"value_{i}": np.asarray(v) for i, v in enumerate(values)})
            shape = None
        entries.append(
            {
                "spec": probe.spec,
                "symbol": probe.anchor.symbol,
                "line": probe.anchor.line,
                "func": probe.anchor.func,
                "dtype": probe.dtype,
                "count": len(values),
                "updates": probe.update_count,
                "dropped": getattr(probe, "dropped", 0),
                "file": name,
                "shape": shape,
                "note": why,
            }
        )
    summary = folder / "summary.json"
    text = json.dumps({**run, "probes": entries}, indent=2, sort_keys=True, default=str) + "\n"
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".summary-", suffix=".json")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(temporary, summary)
    return summary


def value_table(probe) -> tuple[np.ndarray, str]:
    """The probe's current value as a 2-D table and its CSV header: a scalar's history
    (seq, value), an array's samples (index or time, then the value, or re and im),
    a 2-D array's rows as they are."""
    if probe.latest is None:
        raise ValueError(f"{probe.name} has no value yet")
    if probe.dtype == "scalar" or (
        np.ndim(probe.latest) == 0 and not isinstance(probe.latest, dict)
    ):
        values, seqs = probe.history.values(), probe.history.seqs()
        return _columns(seqs.astype(np.float64), values, "seq")
    samples, x = waveform_parts(probe.latest)
    if samples.ndim == 2:
        if np.iscomplexobj(samples):
            return np.hstack([samples.real, samples.imag]), "re columns, then im columns"
        return samples, ""
    axis = np.arange(len(samples), dtype=np.float64) if x is None else x
    return _columns(axis, samples.ravel(), "index" if x is None else "t")


def _columns(axis: np.ndarray, values: np.ndarray, axis_name: str) -> tuple[np.ndarray, str]:
    if np.iscomplexobj(values):
        return np.column_stack([axis, values.real, values.imag]), f"{axis_name},re,im"
    return np.column_stack([axis, values]), f"{axis_name},value"


def export_value(probe, path: str | os.PathLike[str]) -> Path:
    """Write the probe's current value (a scalar's whole history) to ``path``: ``.npy``
    (the value itself; a scalar's history values), or ``.csv`` (``value_table``)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".npy":
        if probe.dtype == "scalar":
            data = probe.history.values()
        else:
            data = waveform_parts(probe.latest)[0]
        np.save(path, np.asarray(data), allow_pickle=False)
    elif suffix == ".csv":
        table, header = value_table(probe)
        np.savetxt(path, table, delimiter=",", header=header, comments="")
    else:
        raise ValueError(f"{path.name}: export as .npy or .csv")
    return path
