"""One soak on the running VirtualTimeLoop: set-up, calm, chaos, calm again, then the checks."""

import asyncio
from collections.abc import Callable
import logging
import time
import tracemalloc

from homeassistant.core import HomeAssistant

# The test harness ships no type information; its Home Assistant objects are typed by core.
from pytest_homeassistant_custom_component.common import MockConfigEntry  # type: ignore[import-untyped]

from benchmarks.harness import config_entry, home_assistant
from benchmarks.soak.chaos import Chaos
from benchmarks.soak.final_state import BackupEnds, check_final_state
from benchmarks.soak.log_watch import LogWatch
from benchmarks.soak.memory import TRACE_FRAMES, record_growth
from benchmarks.soak.panel import build_panel
from benchmarks.soak.results import Sample, SoakResult
from benchmarks.soak.sampler import Sampler
from benchmarks.soak.settings import SETTLE_SECONDS, SoakSettings
from benchmarks.soak.trends import measure_trends
from benchmarks.virtual_time import VirtualTimeLoop
from simulator import PanelSimulator


def _virtual_loop() -> VirtualTimeLoop:
    """Return the running loop, which must leap over idle time."""
    loop = asyncio.get_running_loop()
    if not isinstance(loop, VirtualTimeLoop):
        raise TypeError("the soak needs a VirtualTimeLoop")
    return loop


async def run_soak(settings: SoakSettings, progress: Callable[[Sample], None]) -> SoakResult:
    """Run the soak on the running VirtualTimeLoop and return what it saw."""
    loop = _virtual_loop()
    result = SoakResult(settings=settings)
    wall, cpu = time.perf_counter(), time.process_time()
    # Before the panel is built: a deleted server's memory must count as freed.
    tracemalloc.start(TRACE_FRAMES)
    sim = build_panel(settings, loop.time)
    url = await sim.start("127.0.0.1", 0)
    entry = config_entry(
        url, sim.client_key, "soak", {"update_interval": 30, "console_events": True}
    )
    watch = LogWatch(result, [sim.client_key])
    logging.getLogger().addHandler(watch)
    try:
        async with home_assistant("pterodactyl-soak-", loop) as hass:
            await _soak(hass, sim, entry, result, progress)
    finally:
        tracemalloc.stop()
        logging.getLogger().removeHandler(watch)
        await sim.stop()
    result.wall_seconds = time.perf_counter() - wall
    result.cpu_seconds = time.process_time() - cpu
    return result


async def _soak(
    hass: HomeAssistant,
    sim: PanelSimulator,
    entry: MockConfigEntry,
    result: SoakResult,
    progress: Callable[[Sample], None],
) -> None:
    """Set the entry up, leap through the hours of chaos, settle, then check."""
    settings = result.settings
    loop = _virtual_loop()
    entry.add_to_hass(hass)
    if not await hass.config_entries.async_setup(entry.entry_id):
        raise RuntimeError(f"set-up failed: {entry.state} {entry.reason}")
    await hass.async_block_till_done()
    loop.leaping = True
    sampler = Sampler(hass, sim, entry)
    chaos = Chaos(hass, sim, result)
    backup_ends = BackupEnds(hass)
    await asyncio.sleep(settings.warmup_minutes * 60)
    result.baseline = await sampler.sample(result)
    before = tracemalloc.take_snapshot()
    progress(result.baseline)
    done = asyncio.Event()
    sampling = asyncio.create_task(
        sampler.sample_until(done, settings.sample_minutes * 60, result, progress)
    )
    chaos_start = loop.time()
    await chaos.run(settings.hours * 3600)
    chaos_end = loop.time()
    await chaos.undo_all()
    await asyncio.sleep(SETTLE_SECONDS)
    done.set()
    await sampling
    await hass.async_block_till_done()
    result.final = await sampler.sample(result)
    record_growth(before, tracemalloc.take_snapshot(), result)
    progress(result.final)
    loop.leaping = False
    result.trends = measure_trends(result)
    check_final_state(hass, sim, entry, result)
    backup_ends.check(sim, chaos_start, chaos_end, result)
    backup_ends.stop()
    await hass.config_entries.async_unload(entry.entry_id)
