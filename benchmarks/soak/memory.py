"""Traced memory calm to calm: what Home Assistant keeps by design is set aside by file pattern."""

from collections.abc import Sequence
import tracemalloc
from typing import Final

from benchmarks.report import REPO_ROOT
from benchmarks.soak.results import SoakResult

# Frames kept per traced allocation: two tell that Home Assistant's registries made it (over 90 %
# of their records, measured); each more frame costs time and would set aside only a little more.
TRACE_FRAMES: Final = 2
# Home Assistant keeps, while the config entry exists, a record of every deleted entity and
# device (so that a server that comes back gets its entity IDs and settings again) and, for a
# week, removed entities' last states. Memory allocated there is measured and set aside.
HA_RECORDS: Final = tuple(
    tracemalloc.Filter(True, f"*/homeassistant/helpers/{name}.py", all_frames=True)
    for name in ("entity_registry", "device_registry", "restore_state")
)


def traced(snapshot: tracemalloc.Snapshot, filters: Sequence[tracemalloc.Filter]) -> int:
    """Return the bytes of the snapshot's allocations that the filters keep."""
    return sum(stat.size for stat in snapshot.filter_traces(filters).statistics("filename"))


def record_growth(
    before: tracemalloc.Snapshot, after: tracemalloc.Snapshot, result: SoakResult
) -> None:
    """Record what Home Assistant's records gained, and where the rest of memory grew most."""
    result.ha_records_bytes = traced(after, HA_RECORDS) - traced(before, HA_RECORDS)
    others = [tracemalloc.Filter(False, f.filename_pattern, all_frames=True) for f in HA_RECORDS]
    growth = after.filter_traces(others).compare_to(before.filter_traces(others), "lineno")
    result.memory_growth = [
        f"{_short_path(stat.traceback[0].filename)}:{stat.traceback[0].lineno}"
        f" {stat.size_diff / 1024:+,.0f} KiB, {stat.count_diff:+,} blocks"
        for stat in growth[:8]
    ]


def _short_path(filename: str) -> str:
    """Return a source file's path inside the repository or site-packages."""
    return filename.removeprefix(f"{REPO_ROOT}/").rsplit("site-packages/", 1)[-1]
