"""Samples of the process and the panel every few simulated minutes."""

import asyncio
from collections.abc import Callable
import contextlib
import gc
import os
from pathlib import Path
import tracemalloc

from homeassistant.core import HomeAssistant

# The test harness ships no type information; its Home Assistant objects are typed by core.
from pytest_homeassistant_custom_component.common import MockConfigEntry  # type: ignore[import-untyped]

from benchmarks.soak.results import Sample, SoakResult
from benchmarks.soak.settings import LASTING_TASK_SECONDS
from simulator import PanelSimulator


def _open_sockets() -> int:
    """Return how many sockets this process has open (both ends of every loopback connection)."""
    count = 0
    for fd in Path("/proc/self/fd").iterdir():
        # A descriptor closed while listing is no socket of ours.
        with contextlib.suppress(OSError):
            count += str(fd.readlink()).startswith("socket:")
    return count


def _rss() -> int:
    """Return the resident set size of this process in bytes."""
    pages = int(Path("/proc/self/statm").read_text(encoding="ascii").split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE")


def request_kind(path: str) -> str:
    """Return what a panel request is for: a server's `resources`, `backups`, ... or its path."""
    parts = path.strip("/").split("/")
    if parts[:3] == ["api", "client", "servers"] and len(parts) > 3:
        return parts[4] if len(parts) > 4 else "server"
    return path


class Sampler:
    """Takes a sample every few simulated minutes."""

    def __init__(self, hass: HomeAssistant, sim: PanelSimulator, entry: MockConfigEntry) -> None:
        """Sample this Home Assistant and panel."""
        self.hass = hass
        self.sim = sim
        self.entry = entry
        self.started = asyncio.get_running_loop().time()

    async def sample(self, result: SoakResult) -> Sample:
        """Take a sample and fold the panel's request log into the totals."""
        loop = asyncio.get_running_loop()
        # Work in flight is no leak: a minute's backup and schedule reads or a round of player
        # queries can add a hundred tasks for a moment. Count those still there a little later.
        before = asyncio.all_tasks()
        await asyncio.sleep(LASTING_TASK_SECONDS)
        tasks = len(before & asyncio.all_tasks())
        requests = self.sim.requests
        # A 429 the soak asked for carries its fault; any other came from the panel's limiter.
        refused = [r for r in requests if r.status == 429 and r.fault is None]
        unplanned = len(refused)
        for record in refused:
            kind = record.path.rsplit("/", 1)[-1] if record.server else record.path
            result.refused_by_limiter[
                f"{record.method} {kind} at {loop.time() - self.started:.0f} s"
            ] += 1
        result.requests += len(requests)
        result.requests_by_kind.update(request_kind(record.path) for record in requests)
        result.unplanned_429 += unplanned
        # Garbage waiting for the cycle collector is no leak: count what is still referenced.
        gc.collect()
        sample = Sample(
            minute=(loop.time() - self.started) / 60,
            servers=len(self.sim.servers),
            pushed=sum(
                self.entry.runtime_data.push.is_live(identifier) for identifier in self.sim.servers
            ),
            tasks=tasks,
            sockets=_open_sockets(),
            traced_bytes=tracemalloc.get_traced_memory()[0],
            rss_bytes=_rss(),
            requests=len(requests),
            unplanned_429=unplanned,
        )
        requests.clear()
        result.samples.append(sample)
        return sample

    async def sample_until(
        self,
        done: asyncio.Event,
        seconds: float,
        result: SoakResult,
        progress: Callable[[Sample], None],
    ) -> None:
        """Take a sample every `seconds` until `done` is set."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), seconds)
            if done.is_set():
                return
            progress(await self.sample(result))
