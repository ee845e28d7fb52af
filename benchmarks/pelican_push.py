"""Pelican push at scale: 200 servers under the real panel's token limit and rate-limit headers.

`scripts/bench-push` (`python -m benchmarks.pelican_push`) runs Home Assistant, this
integration and a simulated Pelican panel in one process on the virtual-time loop
(`benchmarks.virtual_time`): every request and websocket frame crosses loopback, idle time costs
nothing. The panel allows 256 requests a minute per account and 5 websocket tokens a minute per
server, and its token answers carry the token limit's headers, as Laravel's nested throttles do
(docs/conformance.md). It measures how long until every server's socket is authenticated, the
requests a minute, the 429s, and how long a power action takes to show as the server's state
when the server takes 1 s to start or stop. The figures go to docs/benchmarks.md.
"""

import argparse
import asyncio
from collections.abc import Sequence
import contextlib
from dataclasses import dataclass, field
import logging
import math
import random
import statistics
import sys
import time
from typing import Final

from homeassistant.const import ATTR_ENTITY_ID, SERVICE_TURN_OFF, SERVICE_TURN_ON, Platform
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.event import async_track_state_change_event

# The test harness ships no type information; its Home Assistant objects are typed by core.
from pytest_homeassistant_custom_component.common import MockConfigEntry  # type: ignore[import-untyped]

from benchmarks.harness import DOMAIN, config_entry, home_assistant
from benchmarks.report import add_report_options, machine, markdown_table, write_section
from benchmarks.virtual_time import VirtualTimeLoop
from simulator import PanelSimulator, PowerState, SimServer, WingsSettings

SECTION: Final = "pelican-push"
# Goals of issue 11.
POWER_P95_GOAL: Final = 1.5
# How often the run looks whether every socket is up (virtual seconds).
LIVE_CHECK_STEP: Final = 0.5
# A power action that shows no state within this long has failed.
ACTION_TIMEOUT: Final = 60.0


@dataclass(slots=True, kw_only=True)
class PushSettings:
    """What the run sets up."""

    servers: int = 200
    rate_limit: int = 256
    running: int = 100
    # The simulated process takes this long to start or stop.
    power_seconds: float = 1.0
    # Power actions after every socket is up, one every `action_spacing` seconds.
    actions: int = 40
    action_spacing: float = 15.0
    latency_ms: float = 20.0
    seed: int = 1


@dataclass(slots=True)
class PushResult:
    """What the run saw; times are simulated seconds."""

    settings: PushSettings
    all_live_seconds: float = math.nan
    busiest_minute: int = 0
    steady_requests_per_minute: float = 0.0
    refused: int = 0
    token_requests: int = 0
    action_seconds: list[float] = field(default_factory=list)
    wall_seconds: float = 0.0

    @property
    def action_p95(self) -> float:
        """Return the 95th percentile of power action to state (nan without actions)."""
        if len(self.action_seconds) < 2:
            return self.action_seconds[0] if self.action_seconds else math.nan
        return statistics.quantiles(self.action_seconds, n=20, method="inclusive")[-1]

    @property
    def checks(self) -> dict[str, bool]:
        """Return each goal and whether it was met."""
        return {
            "every socket authenticated": not math.isnan(self.all_live_seconds),
            "no 429": self.refused == 0,
            f"power action to state p95 under {POWER_P95_GOAL:g} s": (
                self.action_p95 < POWER_P95_GOAL
            ),
            "no request minute over the panel's limit": (
                self.busiest_minute <= self.settings.rate_limit
            ),
        }

    @property
    def passed(self) -> bool:
        """Return whether every goal was met."""
        return all(self.checks.values())


def build_panel(settings: PushSettings, loop: VirtualTimeLoop) -> PanelSimulator:
    """Return a Pelican panel with the real limits; servers start and stop in 1 s."""
    return PanelSimulator(
        flavor="pelican",
        servers=settings.servers,
        seed=settings.seed,
        clock=loop.time,
        rate_limit=settings.rate_limit,
        running=settings.running,
        start_seconds=settings.power_seconds,
        stop_seconds=settings.power_seconds,
        latency_ms=settings.latency_ms,
        resources_cache_seconds=20.0,
        # Real Wings' timings: stats every second while running.
        wings=WingsSettings(stats_interval=1.0, console_interval=None),
        # The running games answer the integration's player queries, as real ones do.
        games=True,
    )


async def run(settings: PushSettings) -> PushResult:
    """Run on the running VirtualTimeLoop and return what it saw."""
    loop = asyncio.get_running_loop()
    if not isinstance(loop, VirtualTimeLoop):
        raise TypeError("the benchmark needs a VirtualTimeLoop")
    result = PushResult(settings)
    wall = time.perf_counter()
    sim = build_panel(settings, loop)
    url = await sim.start("127.0.0.1", 0)
    entry = config_entry(url, sim.client_key, "pelican", {"update_interval": 30})
    try:
        async with home_assistant("pterodactyl-push-", loop) as hass:
            await _measure(hass, sim, entry, loop, result)
    finally:
        await sim.stop()
    result.wall_seconds = time.perf_counter() - wall
    return result


async def _measure(
    hass: HomeAssistant,
    sim: PanelSimulator,
    entry: MockConfigEntry,
    loop: VirtualTimeLoop,
    result: PushResult,
) -> None:
    """Set the entry up, wait for every socket, then time power actions."""
    entry.add_to_hass(hass)
    loop.leaping = True
    started = loop.time()
    if not await hass.config_entries.async_setup(entry.entry_id):
        raise RuntimeError(f"set-up failed: {entry.state} {entry.reason}")
    push = entry.runtime_data.push
    # Twice the time the token limit alone would need, and then some: never forever.
    deadline = started + 600
    while not all(push.is_live(identifier) for identifier in sim.servers):
        if loop.time() > deadline:
            break
        await asyncio.sleep(LIVE_CHECK_STEP)
    else:
        result.all_live_seconds = loop.time() - started
    steady_from = loop.time()
    rng = random.Random(result.settings.seed)  # noqa: S311 - which server, not security
    for _ in range(result.settings.actions):
        result.action_seconds.append(
            await _power_action(hass, sim, rng.choice(list(sim.servers.values())))
        )
        await asyncio.sleep(result.settings.action_spacing)
    steady_minutes = (loop.time() - steady_from) / 60
    loop.leaping = False
    requests = sim.api_requests()
    result.refused = sum(r.status == 429 for r in requests)
    result.token_requests = sum(r.path.endswith("/websocket") for r in requests)
    result.busiest_minute = _busiest_minute([r.time for r in requests])
    result.steady_requests_per_minute = (
        sum(r.time >= steady_from for r in requests) / steady_minutes if steady_minutes else 0.0
    )
    await hass.config_entries.async_unload(entry.entry_id)


async def _power_action(hass: HomeAssistant, sim: PanelSimulator, server: SimServer) -> float:
    """Switch a server on (or off), return the seconds until its State sensor shows it done."""
    registry = er.async_get(hass)
    switch = registry.async_get_entity_id("switch", DOMAIN, f"{server.uuid}_power")
    state_sensor = registry.async_get_entity_id("sensor", DOMAIN, f"{server.uuid}_state")
    if switch is None or state_sensor is None:
        raise RuntimeError(f"{server.name} has no switch or state sensor")
    starting = server.power_state is PowerState.OFFLINE
    target = "running" if starting else "offline"
    done = asyncio.Event()

    @callback
    def changed(event: Event[EventStateChangedData]) -> None:
        new = event.data["new_state"]
        if new is not None and new.state == target:
            done.set()

    loop = asyncio.get_running_loop()
    unsubscribe = async_track_state_change_event(hass, state_sensor, changed)
    try:
        began = loop.time()
        await hass.services.async_call(
            Platform.SWITCH,
            SERVICE_TURN_ON if starting else SERVICE_TURN_OFF,
            {ATTR_ENTITY_ID: switch},
            blocking=True,
        )
        try:
            await asyncio.wait_for(done.wait(), ACTION_TIMEOUT)
        except TimeoutError:
            # Never shown: counted as infinitely slow, so the goal fails rather than the run.
            return math.inf
        return loop.time() - began
    finally:
        unsubscribe()


def _busiest_minute(times: list[float]) -> int:
    """Return the most requests in any minute that starts at a request."""
    times = sorted(times)
    busiest, first = 0, 0
    for last, at in enumerate(times):
        while times[first] <= at - 60:
            first += 1
        busiest = max(busiest, last - first + 1)
    return busiest


def markdown(result: PushResult, command: str) -> str:
    """Return the benchmark's section of docs/benchmarks.md."""
    settings = result.settings
    host = machine()
    rows = [
        ["time until every socket is authenticated", f"{result.all_live_seconds:.0f} s"],
        ["websocket token requests", f"{result.token_requests:,}"],
        [
            "requests in the busiest minute",
            f"{result.busiest_minute:,} (limit {settings.rate_limit})",
        ],
        ["requests a minute once every socket is up", f"{result.steady_requests_per_minute:.1f}"],
        ["429 answers", f"{result.refused:,}"],
        [
            "power action to state, median (p95)",
            f"{statistics.median(result.action_seconds):.2f} s ({result.action_p95:.2f} s)",
        ],
    ]
    goals = "\n".join(
        f"- **{'met' if ok else 'NOT MET'}**: {name}" for name, ok in result.checks.items()
    )
    return f"""## Pelican push at scale (issue 11)

Generated by `{command}`; do not edit by hand. {settings.servers} servers on a simulated Pelican
panel with its default limits: {settings.rate_limit} requests a minute per account and 5 websocket
tokens a minute per server, whose answers carry `X-RateLimit-Limit: 5` (Laravel writes the nearer
of two nested throttles). {min(settings.running, settings.servers)} servers run; a server takes
{settings.power_seconds:g} s to start or stop; every request waits {settings.latency_ms:g} ms.
Simulated time; it took {result.wall_seconds:.0f} s on this machine.

{markdown_table(["measure", "value"], rows)}

### Goals

{goals}

### Method

Home Assistant (its test harness's core), the integration and the simulator run in one process on
`benchmarks/virtual_time.py`'s loop, which leaps over idle time; every request and websocket frame
crosses loopback. The clock starts when the config entry's set-up begins (its first refresh reads
every server) and stops when every server's socket has answered `auth success`. Then
{settings.actions} power actions, one every {settings.action_spacing:g} s, each on a random server
through its switch (on when it is off, off when it runs): the time is from the action's call to
the server's State sensor showing running or offline, from Wings' pushed `status`. A token lasts
10 minutes and is renewed on its socket shortly before: each server renews once during the
actions, so there are about twice as many token requests as servers. Once every socket is up,
the requests a minute are mostly each server's backup reads (every 10 minutes) and schedule reads
(every 5 minutes), taken from the budget before polls: 22.8 a minute before issue 13 added them.
Before the client ignored the token route's rate-limit headers (issue 11), the same run ended
with sockets still unauthenticated after 10 minutes, 4 requests a minute, and no power action
shown within 60 s.

Machine: {host["CPU"]}, {host["cores"]} cores, Python {host["Python"]}, Home Assistant
{host["Home Assistant"]}.
"""


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.pelican_push", description=__doc__)
    defaults = PushSettings()
    parser.add_argument("--servers", type=int, default=defaults.servers)
    parser.add_argument("--actions", type=int, default=defaults.actions)
    add_report_options(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run, print the checks, write the report; exit 1 when a goal is not met."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    options = build_parser().parse_args(arguments)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    settings = PushSettings(servers=options.servers, actions=options.actions)
    with asyncio.Runner(loop_factory=VirtualTimeLoop) as runner:
        result = runner.run(run(settings))
    for name, ok in result.checks.items():
        print(f"{'PASS' if ok else 'FAIL'}: {name}")  # noqa: T201
    print(markdown(result, "python -m benchmarks.pelican_push"))  # noqa: T201
    if not options.no_report:
        command = " ".join(["python -m benchmarks.pelican_push", *arguments])
        write_section(options.output, SECTION, markdown(result, command))
        print(f"wrote {options.output}")  # noqa: T201
    return 0 if result.passed else 1


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
