"""Measure one integration (ours or core's) against one simulated panel, in this process alone.

`python -m benchmarks.run_one --integration ours|core --servers N --json result.json`

Both integrations use the domain `pterodactyl`, so each runs in a process of its own, with one
Home Assistant instance (the test harness's `async_test_home_assistant`: the real core, config
entries, registries and entity platforms, with storage kept in memory) and the panel simulator
in a child process, so that neither the panel's CPU time nor its event loop is counted as the
integration's.
"""

import argparse
import asyncio
from collections.abc import Sequence
import contextlib
from dataclasses import asdict, dataclass, field
import json
import logging
from pathlib import Path
import statistics
import sys
import tempfile
import time
from typing import Literal
from unittest.mock import patch

from aiohttp.resolver import ThreadedResolver
from homeassistant import loader
from homeassistant.const import CONF_API_KEY, CONF_URL
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator

# The test harness ships no type information; its Home Assistant objects are typed by core.
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_test_home_assistant  # type: ignore[import-untyped]

from benchmarks.simproc import PANEL_CACHE_SECONDS, SimInfo, SimSettings, SimulatorProcess

type Integration = Literal["ours", "core"]

DOMAIN = "pterodactyl"
# Each integration's default polling interval, in seconds (core: SCAN_INTERVAL; ours: the option).
DEFAULT_INTERVAL: dict[Integration, float] = {"ours": 30.0, "core": 60.0}
# Ours re-reads the server list every 5 minutes; core reads it only when the entry is set up.
LIST_READS_PER_HOUR: dict[Integration, float] = {"ours": 12.0, "core": 0.0}
POWER_WAIT_CAP = 120.0
SETUP_TIMEOUT = 180.0
_LOGGER = logging.getLogger("benchmarks")

# Routes read on timers of their own, not per refresh.
BACKGROUND_READS = frozenset({"backups", "schedules"})


@dataclass(slots=True)
class RefreshSample:
    """One full refresh: wall and CPU time, API requests by route."""

    wall: float
    cpu: float
    requests: dict[str, int]


@dataclass(slots=True)
class PowerTrial:
    """One start action: when it was sent and when each entity showed the server on."""

    server: str
    phase: float
    switch_delay: float | None = None
    running_delay: float | None = None


@dataclass(slots=True)
class Result:
    """Everything measured for one integration and one panel size."""

    integration: str
    servers: int
    latency_ms: float
    interval: float
    setup_wall: float = 0.0
    setup_requests: dict[str, int] = field(default_factory=dict)
    refreshes: list[RefreshSample] = field(default_factory=list)
    push_sockets: int = 0
    push_asked: bool = False
    push_window: float = 0.0
    push_requests: dict[str, int] = field(default_factory=dict)
    token_lifetime: float = 0.0
    power_trials: list[PowerTrial] = field(default_factory=list)
    panel_cache_seconds: float = PANEL_CACHE_SECONDS
    start_seconds: float = 0.0

    @property
    def wall_median(self) -> float:
        """Return the median wall time of a refresh."""
        return statistics.median(sample.wall for sample in self.refreshes)

    @property
    def cpu_median(self) -> float:
        """Return the median CPU time of a refresh."""
        return statistics.median(sample.cpu for sample in self.refreshes)

    @property
    def requests_per_refresh(self) -> float:
        """Return the median number of API requests a refresh makes.

        Backups and schedules are read on timers of their own (every 10 and 5 minutes), not
        with a refresh: the minute's share they take is in the integration's diagnostics.
        """
        return statistics.median(
            sum(n for kind, n in sample.requests.items() if kind not in BACKGROUND_READS)
            for sample in self.refreshes
        )

    @property
    def list_pages(self) -> int:
        """Return how many requests one read of the server list takes (from the set-up)."""
        return self.setup_requests.get("list", 0)

    @property
    def polling_requests_per_hour(self) -> float:
        """Return requests an hour when polling at the default interval (computed, see docs)."""
        integration: Integration = "ours" if self.integration == "ours" else "core"
        return (
            self.requests_per_refresh * 3600 / self.interval
            + self.list_pages * LIST_READS_PER_HOUR[integration]
        )

    @property
    def push_requests_per_hour(self) -> float | None:
        """Return requests an hour with push, from the window's log plus token renewals."""
        if self.push_sockets == 0 or self.push_window <= 0:
            return None
        rest = sum(n for kind, n in self.push_requests.items() if kind != "websocket")
        # A token lasts token_lifetime; Wings asks for a new one once per lifetime and socket.
        renewals = self.push_sockets * 3600 / self.token_lifetime
        listing = self.list_pages * LIST_READS_PER_HOUR["ours"] if self.push_window < 300 else 0
        listed_in_window = self.push_requests.get("list", 0) if self.push_window < 300 else 0
        return (rest - listed_in_window) * 3600 / self.push_window + renewals + listing

    def to_json(self) -> dict[str, object]:
        """Return the raw measurements and the derived figures."""
        raw = asdict(self)
        raw["derived"] = {
            "wall_median": self.wall_median,
            "cpu_median": self.cpu_median,
            "requests_per_refresh": self.requests_per_refresh,
            "polling_requests_per_hour": self.polling_requests_per_hour,
            "push_requests_per_hour": self.push_requests_per_hour,
        }
        return raw


class _PlainResolver(ThreadedResolver):
    """The system resolver, closed the way Home Assistant closes its own at shutdown."""

    async def real_close(self) -> None:
        """Close the resolver."""
        await self.close()


def plain_resolver() -> contextlib.AbstractContextManager[object]:
    """Give Home Assistant's HTTP sessions the plain resolver instead of zeroconf's."""
    # Home Assistant resolves names through zeroconf, which needs the network integration;
    # the panel's URL is an IP address, so the plain resolver does the same work here.
    return patch(
        "homeassistant.helpers.aiohttp_client._async_make_resolver",
        return_value=_PlainResolver(),
    )


def _entry(integration: Integration, sim: SimInfo) -> MockConfigEntry:
    """Return a config entry as each integration's config flow creates it."""
    if integration == "core":
        return MockConfigEntry(
            domain=DOMAIN,
            title="panel",
            version=1,
            data={CONF_URL: sim.url, CONF_API_KEY: sim.client_key},
        )
    return MockConfigEntry(
        domain=DOMAIN,
        title="panel",
        version=2,
        minor_version=1,
        data={CONF_URL: sim.url, CONF_API_KEY: sim.client_key, "verify_ssl": True},
    )


async def _measure_refreshes(
    coordinator: DataUpdateCoordinator[object], sim: SimulatorProcess, count: int
) -> list[RefreshSample]:
    """Time `count` full refreshes back to back, as the coordinator's timer runs them."""
    samples = []
    for _ in range(count):
        mark = sim.mark()
        wall, cpu = time.perf_counter(), time.process_time()
        await coordinator.async_refresh()
        # process_time counts every thread: core's executor jobs as well as the event loop.
        samples.append(
            RefreshSample(
                wall=time.perf_counter() - wall,
                cpu=time.process_time() - cpu,
                requests=sim.counts(mark),
            )
        )
        if not coordinator.last_update_success:
            raise RuntimeError(f"refresh failed: {coordinator.last_exception!r}")
    return samples


async def _measure_push(sim: SimulatorProcess, result: Result, window: float) -> None:
    """When the integration keeps console websockets open, count what it still requests."""
    result.push_asked = window > 0
    # Connections open in the background after set-up; give them a moment when it matters.
    for _ in range(30 if window > 0 else 0):
        if sim.websockets() >= result.servers:
            break
        await asyncio.sleep(0.1)
    result.push_sockets = sim.websockets()
    if result.push_sockets == 0 or window <= 0:
        return
    mark = sim.mark()
    await asyncio.sleep(window)
    result.push_window = window
    result.push_requests = sim.counts(mark)


async def _measure_power(
    hass: HomeAssistant,
    *,
    integration: Integration,
    info: SimInfo,
    coordinator: DataUpdateCoordinator[object],
    trials: int,
    spread: float,
) -> list[PowerTrial]:
    """Start offline servers at phases spread evenly over one poll interval; time the display."""
    registry = er.async_get(hass)
    targets = [s for s in info.servers if s.power == "offline"][:trials]
    results: list[PowerTrial] = []
    watched: dict[str, tuple[PowerTrial, str, str]] = {}
    pressed_at: dict[str, float] = {}
    all_shown = asyncio.Event()
    for server in targets:
        trial = PowerTrial(server=server.identifier, phase=0.0)
        results.append(trial)
        # Core shows a running server by its Status binary sensor; ours by the State sensor,
        # as Status is disabled for new installs.
        platform, key, running_value = (
            ("sensor", "state", "running")
            if integration == "ours"
            else ("binary_sensor", "status", "on")
        )
        running = registry.async_get_entity_id(platform, DOMAIN, f"{server.uuid}_{key}")
        if running is None:
            raise RuntimeError(f"no {key} entity for {server.name}")
        watched[running] = (trial, "running", running_value)
        if integration == "ours":
            switch = registry.async_get_entity_id("switch", DOMAIN, f"{server.uuid}_power")
            if switch is None:
                raise RuntimeError(f"no power switch for {server.name}")
            watched[switch] = (trial, "switch", "on")

    @callback
    def shown(event: Event[EventStateChangedData]) -> None:
        """Record when an entity first shows its server on."""
        trial, what, shown_value = watched[event.data["entity_id"]]
        new_state = event.data["new_state"]
        if new_state is None or new_state.state != shown_value:
            return
        delay = time.monotonic() - pressed_at.get(trial.server, time.monotonic())
        if what == "switch" and trial.switch_delay is None:
            trial.switch_delay = delay
        elif what == "running" and trial.running_delay is None:
            trial.running_delay = delay
        if all(t.running_delay is not None for t in results):
            all_shown.set()

    unsubscribe = async_track_state_change_event(hass, list(watched), shown)

    async def press(server_uuid: str, identifier: str) -> None:
        pressed_at[identifier] = time.monotonic()
        if integration == "ours":
            entity_id = registry.async_get_entity_id("switch", DOMAIN, f"{server_uuid}_power")
            await hass.services.async_call(
                "switch", "turn_on", {"entity_id": entity_id}, blocking=True
            )
        else:
            unique_id = f"{server_uuid}_start_server"
            entity_id = registry.async_get_entity_id("button", DOMAIN, unique_id)
            await hass.services.async_call(
                "button", "press", {"entity_id": entity_id}, blocking=True
            )

    try:
        # A fresh poll starts the cycle: trial i is pressed (i + 0.5)/trials of the way through
        # it, so the phases sample the interval evenly instead of by luck.
        await coordinator.async_refresh()
        cycle_start = time.monotonic()
        tasks = []
        for index, (server, trial) in enumerate(zip(targets, results, strict=True)):
            trial.phase = (index + 0.5) * spread / len(targets)
            await asyncio.sleep(max(0.0, cycle_start + trial.phase - time.monotonic()))
            tasks.append(asyncio.create_task(press(server.uuid, server.identifier)))
        await asyncio.gather(*tasks)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(all_shown.wait(), POWER_WAIT_CAP)
    finally:
        unsubscribe()
    return results


async def measure(
    integration: Integration,
    servers: int,
    *,
    latency_ms: float = 50.0,
    refreshes: int = 5,
    power_trials: int = 0,
    power_spread: float | None = None,
    push_window: float = 0.0,
    panel_cache_seconds: float = PANEL_CACHE_SECONDS,
    start_seconds: float = 1.0,
) -> Result:
    """Run every measurement for one integration against a fresh simulated panel."""
    settings = SimSettings(
        servers=servers,
        latency_ms=latency_ms,
        start_seconds=start_seconds,
        resources_cache_seconds=panel_cache_seconds,
    )
    result = Result(
        integration=integration,
        servers=servers,
        latency_ms=latency_ms,
        interval=DEFAULT_INTERVAL[integration],
        panel_cache_seconds=panel_cache_seconds,
        start_seconds=start_seconds,
    )
    with (
        SimulatorProcess(settings) as sim,
        tempfile.TemporaryDirectory(prefix="pterodactyl-bench-") as config_dir,
        plain_resolver(),
    ):
        info = sim.info
        if info is None:
            raise RuntimeError("the simulator did not start")
        result.token_lifetime = info.token_lifetime
        async with async_test_home_assistant(config_dir=config_dir) as hass:
            if integration == "ours":
                # The harness hides custom integrations; without the mask ours shadows core's.
                hass.data.pop(loader.DATA_CUSTOM_COMPONENTS)
            try:
                entry = _entry(integration, info)
                entry.add_to_hass(hass)
                # Ours: hold push back while the polling rows are measured, so one refresh
                # reads every server as core's does; push starts before the push rows.
                hold_push = (
                    patch(
                        "custom_components.pterodactyl.coordinator."
                        "PterodactylCoordinator.async_start_push",
                        autospec=True,
                    )
                    if integration == "ours"
                    else contextlib.nullcontext()
                )
                mark = sim.mark()
                started = time.perf_counter()
                # A hang (a task set-up waits for forever) must fail the run, not stall it.
                async with asyncio.timeout(SETUP_TIMEOUT):
                    with hold_push:
                        if not await hass.config_entries.async_setup(entry.entry_id):
                            raise RuntimeError(f"set-up failed: {entry.state} {entry.reason}")
                        await hass.async_block_till_done()
                result.setup_wall = time.perf_counter() - started
                result.setup_requests = sim.counts(mark)
                coordinator: DataUpdateCoordinator[object] = entry.runtime_data
                _check_integration(hass, integration, coordinator)
                result.refreshes = await _measure_refreshes(coordinator, sim, refreshes)
                if integration == "ours" and push_window > 0:
                    await coordinator.async_start_push()  # type: ignore[attr-defined]
                    await _measure_push(sim, result, push_window)
                if power_trials:
                    spread = DEFAULT_INTERVAL[integration] if power_spread is None else power_spread
                    result.power_trials = await _measure_power(
                        hass,
                        integration=integration,
                        info=info,
                        coordinator=coordinator,
                        trials=power_trials,
                        spread=spread,
                    )
                await hass.config_entries.async_unload(entry.entry_id)
            finally:
                await hass.async_stop(force=True)
    return result


def _check_integration(
    hass: HomeAssistant, integration: Integration, coordinator: DataUpdateCoordinator[object]
) -> None:
    """Make sure the integration that answered is the one asked for."""
    module = type(coordinator).__module__
    expected = "custom_components." if integration == "ours" else "homeassistant.components."
    if not module.startswith(expected):
        raise RuntimeError(f"asked for {integration}, but {module} was loaded")


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run_one", description=__doc__)
    parser.add_argument("--integration", choices=["ours", "core"], required=True)
    parser.add_argument("--servers", type=int, required=True)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--refreshes", type=int, default=5, help="refreshes to time (median)")
    parser.add_argument("--power-trials", type=int, default=0, help="start actions to time")
    parser.add_argument(
        "--power-spread", type=float, default=None,
        help="seconds the actions are spread over (default: the integration's poll interval)",
    )  # fmt: skip
    parser.add_argument(
        "--push-window", type=float, default=0.0,
        help="seconds to count requests while push is live (ours, when it keeps websockets)",
    )  # fmt: skip
    parser.add_argument("--panel-cache-seconds", type=float, default=PANEL_CACHE_SECONDS)
    parser.add_argument("--start-seconds", type=float, default=1.0)
    parser.add_argument("--json", type=Path, required=True, help="where to write the result")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Measure and write the result as JSON."""
    options = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    integration: Integration = "ours" if options.integration == "ours" else "core"
    result = asyncio.run(
        measure(
            integration,
            options.servers,
            latency_ms=options.latency_ms,
            refreshes=options.refreshes,
            power_trials=options.power_trials,
            power_spread=options.power_spread,
            push_window=options.push_window,
            panel_cache_seconds=options.panel_cache_seconds,
            start_seconds=options.start_seconds,
        )
    )
    options.json.write_text(json.dumps(result.to_json(), indent=2))
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
