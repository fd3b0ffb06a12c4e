"""Small statistics over test durations."""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence

PERCENTILES = (50, 90, 95, 99)


def percentile(values: Sequence[float], pct: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default); None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def duration_summary(per_test: Mapping[str, float], top_n: int) -> dict:
    values = list(per_test.values())
    slowest = sorted(per_test.items(), key=lambda item: (-item[1], item[0]))[:top_n]
    return {
        "tests": len(values),
        "total_s": round(sum(values), 6) if values else 0.0,
        "mean_s": round(statistics.fmean(values), 6) if values else None,
        "percentiles_s": {
            f"p{pct}": (None if (v := percentile(values, pct)) is None else round(v, 6))
            for pct in PERCENTILES
        },
        "top_slow": [{"test_id": name, "duration_s": round(d, 6)} for name, d in slowest],
    }


def runtime_stats(values_ms: Sequence[float]) -> dict:
    if not values_ms:
        return {"runs": 0, "mean_ms": None, "median_ms": None, "p95_ms": None, "max_ms": None}
    return {
        "runs": len(values_ms),
        "mean_ms": round(statistics.fmean(values_ms), 3),
        "median_ms": round(statistics.median(values_ms), 3),
        "p95_ms": round(percentile(values_ms, 95), 3),
        "min_ms": round(min(values_ms), 3),
        "max_ms": round(max(values_ms), 3),
    }
