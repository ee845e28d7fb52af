"""Soak: a simulated day of a big panel under random use and faults; nothing may leak or stick.

`python -m benchmarks.soak --hours 24` (or `scripts/soak`) runs Home Assistant, this integration
and the panel simulator in one process on a clock that leaps over idle time
(`benchmarks.virtual_time`), so a simulated day takes minutes. Meanwhile users switch servers on
and off, restart and kill them, send console commands; the panel's owner adds, deletes,
suspends and reinstalls servers; nodes go down, sockets drop, tokens expire and requests fail
every way the fault matrix knows. Every few simulated minutes it samples asyncio tasks, open
sockets and traced memory; at the end it clears every fault and checks that each server's
entities show what the panel says. The figures go to docs/benchmarks.md.
"""

import argparse
import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
import contextlib
from dataclasses import asdict, dataclass, field
import gc
import itertools
import json
import logging
import os
from pathlib import Path
import random
import re
import statistics
import sys
import time
import tracemalloc
from typing import Any, Final

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_API_KEY, CONF_URL
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr, entity_registry as er

# The test harness ships no type information; its Home Assistant objects are typed by core.
from pytest_homeassistant_custom_component.common import MockConfigEntry  # type: ignore[import-untyped]

from benchmarks.harness import DOMAIN, home_assistant
from benchmarks.report import DEFAULT_OUTPUT, REPO_ROOT, machine, replace_section
from benchmarks.virtual_time import VirtualTimeLoop
from simulator import (
    Access,
    Fault,
    FaultKind,
    Flavor,
    PanelSimulator,
    PowerSignal,
    PowerState,
    SimServer,
    WingsSettings,
)
from simulator.models import ServerStatus as PanelStatus

SECTION: Final = "soak"
# After the chaos ends: longer than a server-list refresh (5 min) plus a poll, so that every
# server added, deleted or recovered has been seen.
SETTLE_SECONDS: Final = 600.0
# Permissions of the servers the key's account reaches as a subuser without the websocket: these
# are polled, the others pushed.
POLLED_PERMISSIONS: Final = ["control.console", "control.start", "control.stop", "control.restart"]
# What a status sensor shows for each power state of the panel.
_POWER_STATUS: Final = {
    PowerState.OFFLINE: "offline",
    PowerState.STARTING: "starting",
    PowerState.RUNNING: "running",
    PowerState.STOPPING: "stopping",
}
_JWT: Final = re.compile(r"eyJ[\w-]{8,}\.")
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


@dataclass(slots=True, kw_only=True)
class SoakSettings:
    """What the soak runs."""

    hours: float = 24.0
    servers: int = 200
    seed: int = 1
    flavor: str = "pelican"
    # Pelican's default limit: a 30 s poll of every server would need 400 a minute.
    rate_limit: int = 256
    # One server in `polled_every` has no websocket permission and is polled.
    polled_every: int = 4
    running: int = 120
    sample_minutes: float = 5.0
    # Real Wings streams stats every second and the integration writes pushed usage at most every
    # 5 s: 30 s is a sixth of that write load, so that a simulated day fits in under an hour.
    stats_interval: float = 30.0
    # Random events an hour (each kind is weighted below).
    events_per_hour: float = 240.0
    # Calm before the chaos: every socket opens and every cache fills; then the baseline sample.
    warmup_minutes: float = 20.0


@dataclass(slots=True)
class Sample:
    """The process and the panel at one moment of simulated time."""

    minute: float
    servers: int
    pushed: int
    tasks: int
    sockets: int
    traced_bytes: int
    rss_bytes: int
    requests: int
    unplanned_429: int


@dataclass(slots=True)
class Trend:
    """A sampled figure: calm before the chaos, calm again after it, and how it moved between."""

    name: str
    baseline: float
    final: float
    peak: float
    # Growth a simulated hour during the chaos, from a least-squares line through its samples.
    per_hour: float
    allowed_growth: float
    # Growth that is Home Assistant's by design (its records of deleted servers), not checked.
    set_aside: float = 0.0

    @property
    def flat(self) -> bool:
        """Return whether the figure came back to its calm level, within the allowance."""
        return self.final - self.set_aside - self.baseline <= self.allowed_growth


@dataclass(slots=True)
class SoakResult:
    """Everything the soak saw."""

    settings: SoakSettings
    samples: list[Sample] = field(default_factory=list)
    events: Counter[str] = field(default_factory=Counter)
    refused_actions: Counter[str] = field(default_factory=Counter)
    # Requests the panel's limiter refused: route and when (sample time), to tell what burst.
    refused_by_limiter: Counter[str] = field(default_factory=Counter)
    unexpected_errors: list[str] = field(default_factory=list)
    unhandled: list[str] = field(default_factory=list)
    logged: Counter[str] = field(default_factory=Counter)
    secrets_logged: int = 0
    wrong_states: list[str] = field(default_factory=list)
    servers_added: int = 0
    servers_deleted: int = 0
    leftover_devices: int = 0
    leftover_entities: int = 0
    missing_entities: int = 0
    entry_loaded: bool = False
    requests: int = 0
    unplanned_429: int = 0
    baseline: Sample | None = None
    final: Sample | None = None
    # Where traced memory grew most between the calm samples: file:line, KiB, allocations.
    memory_growth: list[str] = field(default_factory=list)
    # Traced memory Home Assistant's registries and restore-state gained calm to calm (bytes).
    ha_records_bytes: int = 0
    wall_seconds: float = 0.0
    cpu_seconds: float = 0.0
    trends: list[Trend] = field(default_factory=list)

    @property
    def checks(self) -> dict[str, bool]:
        """Return each pass/fail check of the soak."""
        return {
            "no unhandled exception logged": not self.unhandled,
            "no unexpected error from an action": not self.unexpected_errors,
            "no API key or websocket token in the log": self.secrets_logged == 0,
            "no 429 from the panel's limiter": self.unplanned_429 == 0,
            **{f"{trend.name} back to calm": trend.flat for trend in self.trends},
            "every server ends in the panel's state": not self.wrong_states,
            "deleted servers leave no device or entity": (
                self.leftover_devices == 0 and self.leftover_entities == 0
            ),
            "added servers have their entities": self.missing_entities == 0,
            "the entry is loaded and updating": self.entry_loaded,
        }

    @property
    def passed(self) -> bool:
        """Return whether every check passed."""
        return all(self.checks.values())

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> SoakResult:
        """Rebuild a result written by to_json(), to render its report again."""
        fields = {name: raw[name] for name in cls.__dataclass_fields__ if name in raw}
        counters = ("events", "refused_actions", "refused_by_limiter", "logged")
        return cls(
            **{
                **fields,
                **{name: Counter(raw[name]) for name in counters},
                "settings": SoakSettings(**raw["settings"]),
                "samples": [Sample(**sample) for sample in raw["samples"]],
                "trends": [Trend(**trend) for trend in raw["trends"]],
                "baseline": Sample(**raw["baseline"]) if raw["baseline"] else None,
                "final": Sample(**raw["final"]) if raw["final"] else None,
            }
        )

    def to_json(self) -> dict[str, Any]:
        """Return the result as JSON-able data."""
        raw = asdict(self)
        # asdict() rebuilds a Counter from its items, counting the pairs: copy them as dicts.
        for name in ("events", "refused_actions", "refused_by_limiter", "logged"):
            raw[name] = dict(getattr(self, name))
        raw["checks"] = self.checks
        raw["passed"] = self.passed
        return raw


class _LogWatch(logging.Handler):
    """Collects warnings and errors; flags tracebacks and anything secret."""

    def __init__(self, result: SoakResult, secrets: list[str]) -> None:
        """Watch for `result`; `secrets` must never appear in a message."""
        super().__init__(logging.DEBUG)
        self._result = result
        self._secrets = secrets

    def emit(self, record: logging.LogRecord) -> None:
        """Count the record; keep tracebacks and leaks in full."""
        message = record.getMessage()
        if any(secret in message for secret in self._secrets) or _JWT.search(message):
            self._result.secrets_logged += 1
        if record.levelno < logging.WARNING:
            return
        self._result.logged[f"{record.levelname} {record.name}: {record.msg}"] += 1
        if record.exc_info is not None or record.name == "asyncio":
            self._result.unhandled.append(f"{record.name}: {message}\n{self.format(record)}")


class Chaos:
    """Random use and faults from a seeded generator, against Home Assistant and the panel."""

    def __init__(self, hass: HomeAssistant, sim: PanelSimulator, result: SoakResult) -> None:
        """Prepare the events."""
        self.hass = hass
        self.sim = sim
        self.result = result
        # Reproducible chaos, not secrets.
        self.rng = random.Random(result.settings.seed)  # noqa: S311
        # Changes that last a while: undone when their time is up, or all at once at the end.
        self._undo: dict[int, tuple[asyncio.TimerHandle, str | None, Callable[[], object]]] = {}
        self._keys = itertools.count()
        self._disturbed: set[str] = set()
        weights: dict[Callable[[], Awaitable[None]], float] = {
            self.switch_power: 20,
            self.power_signal: 8,
            self.console_command: 10,
            self.panel_side_power: 10,
            self.replace_server: 0.5,
            self.suspend: 1.5,
            self.reinstall: 1,
            self.transfer_or_maintenance: 1,
            self.node_down: 2,
            self.http_fault: 8,
            self.token_fault: 1,
            self.panel_outage: 0.3,
            self.drop_socket: 6,
            self.expire_token: 2,
            self.daemon_error: 2,
            self.wings_restart: 0.3,
        }
        self._events = list(weights)
        self._weights = list(weights.values())

    async def run(self, seconds: float) -> None:
        """Fire random events for `seconds` of simulated time."""
        loop = asyncio.get_running_loop()
        end = loop.time() + seconds
        rate = self.result.settings.events_per_hour / 3600
        while (wait := self.rng.expovariate(rate)) < end - loop.time():
            await asyncio.sleep(wait)
            event = self.rng.choices(self._events, self._weights)[0]
            self.result.events[event.__name__] += 1
            await event()
        await asyncio.sleep(max(0.0, end - loop.time()))

    async def undo_all(self) -> None:
        """End every lasting change now."""
        for key, (handle, _, _) in list(self._undo.items()):
            handle.cancel()
            self._undo_now(key)
        self.sim.clear_faults()

    # Users, through Home Assistant.

    async def switch_power(self) -> None:
        """Turn a server's power switch on or off."""
        if (target := self._switch()) is None:
            return
        entity_id, state = target
        service = "turn_off" if state == "on" else "turn_on"
        await self._call("switch", service, {"entity_id": entity_id})

    async def power_signal(self) -> None:
        """Restart or kill a server with the integration's action."""
        if (target := self._switch()) is None:
            return
        signal = self.rng.choice(["restart", "kill"])
        await self._call(DOMAIN, "send_power_signal", {"entity_id": target[0], "signal": signal})

    async def console_command(self) -> None:
        """Send a console command."""
        if (target := self._switch()) is None:
            return
        await self._call(DOMAIN, "send_command", {"entity_id": target[0], "command": "say soak"})

    # The panel's owner and the panel itself.

    async def panel_side_power(self) -> None:
        """Start, stop, restart or crash a server from the panel, behind Home Assistant's back."""
        server = self._server()
        server.apply_signal(self.rng.choice(list(PowerSignal)))

    async def replace_server(self) -> None:
        """Delete a server and create another: the panel's size stays the same."""
        server = self._server(undisturbed=True)
        self.sim.remove_server(server.identifier)
        await self.sim.disconnect_websockets(server.identifier)
        self.result.servers_deleted += 1
        added = self.sim.add_server()
        if server.access is not Access.OWNER:
            # As many servers stay polled: calm after the chaos compares with calm before it.
            self.sim.make_subuser(added.identifier, POLLED_PERMISSIONS)
        if self.rng.random() < 0.5:
            added.apply_signal(PowerSignal.START)
        self.result.servers_added += 1

    async def suspend(self) -> None:
        """Suspend a server for a while."""
        server = self._server(undisturbed=True)
        identifier = server.identifier
        self.sim.suspend(identifier)
        self._later(self._minutes(20, 90), identifier, lambda: self.sim.suspend(identifier, False))

    async def reinstall(self) -> None:
        """Reinstall a server: it is installing for a while."""
        server = self._server(undisturbed=True)
        identifier = server.identifier
        self.sim.set_installing(identifier)
        self._later(
            self._minutes(5, 20), identifier, lambda: self.sim.set_installing(identifier, False)
        )

    async def transfer_or_maintenance(self) -> None:
        """Transfer a server to another node, or put its node in maintenance, for a while."""
        identifier = self._server(undisturbed=True).identifier
        if self.rng.choice(["transferring", "node_maintenance"]) == "transferring":
            self.sim.set_state(identifier, transferring=True)
            self._later(
                self._minutes(5, 30),
                identifier,
                lambda: self.sim.set_state(identifier, transferring=False),
            )
        else:
            self.sim.set_state(identifier, node_maintenance=True)
            self._later(
                self._minutes(5, 30),
                identifier,
                lambda: self.sim.set_state(identifier, node_maintenance=False),
            )

    async def node_down(self) -> None:
        """Make a server's node unreachable for a few minutes."""
        identifier = self._server(undisturbed=True).identifier
        self.sim.set_node_down(identifier)
        self._later(
            self._minutes(2, 15), identifier, lambda: self.sim.set_node_down(identifier, False)
        )

    async def http_fault(self) -> None:
        """Make one server's usage requests fail one way for a few minutes."""
        server = self._server(undisturbed=True)
        fault = self.rng.choice(
            [
                Fault(FaultKind.STATUS, status=500),
                Fault(FaultKind.STATUS, status=502),
                Fault(FaultKind.STATUS, status=504),
                Fault(FaultKind.CLOSE),
                Fault(FaultKind.DISCONNECT),
                Fault(FaultKind.TRUNCATED_JSON),
                Fault(FaultKind.NON_JSON),
                Fault(FaultKind.REDIRECT_LOGIN),
                Fault(FaultKind.DELAY, delay=30.0),
            ]
        )
        fault.server = server.identifier
        fault.path_contains = "/utilization" if self.sim.flavor is Flavor.LEGACY else "/resources"
        self._fault(fault, self._minutes(1, 10), server.identifier)

    async def token_fault(self) -> None:
        """Refuse a server's websocket tokens for a few minutes."""
        server = self._server(undisturbed=True)
        fault = Fault(FaultKind.STATUS, status=500, server=server.identifier)
        fault.path_contains = "/websocket"
        self._fault(fault, self._minutes(1, 10), server.identifier)

    async def panel_outage(self) -> None:
        """Fail the whole panel (a proxy's 502, or a 429 with Retry-After) for a few minutes."""
        if self.rng.random() < 0.5:
            fault = Fault(FaultKind.STATUS, status=502)
        else:
            fault = Fault(FaultKind.STATUS, status=429, code="TooManyRequests", retry_after=60)
        self._fault(fault, self._minutes(1, 5), None)

    # Wings.

    async def drop_socket(self) -> None:
        """Drop a server's socket without a close frame, or close it cleanly."""
        server = self._server()
        if self.rng.random() < 0.5:
            self.sim.wings.drop(server.identifier)
        else:
            await self.sim.disconnect_websockets(server.identifier)

    async def expire_token(self) -> None:
        """Expire a server's websocket token early."""
        self.sim.expire_websocket_tokens(self._server().identifier)

    async def daemon_error(self) -> None:
        """Send a `daemon error` or a `jwt error` on a server's socket."""
        server = self._server()
        if self.rng.random() < 0.5:
            self.sim.send_websocket_event(server.identifier, "daemon error", "soak: daemon error")
        else:
            self.sim.send_websocket_event(server.identifier, "jwt error", "soak: jwt error")

    async def wings_restart(self) -> None:
        """Every socket drops at once, as when Wings restarts."""
        self.sim.wings.drop()

    # Helpers.

    def _minutes(self, low: float, high: float) -> float:
        """Return a random duration in seconds."""
        return self.rng.uniform(low, high) * 60

    def _server(self, *, undisturbed: bool = False) -> SimServer:
        """Return a random server of the panel (optionally one without a lasting change)."""
        servers = [
            server
            for server in self.sim.servers.values()
            if not undisturbed or server.identifier not in self._disturbed
        ]
        return self.rng.choice(servers or list(self.sim.servers.values()))

    def _switch(self) -> tuple[str, str] | None:
        """Return a random power switch with a state, and that state."""
        registry = er.async_get(self.hass)
        server = self._server()
        entity_id = registry.async_get_entity_id("switch", DOMAIN, f"{server.uuid}_power")
        state = self.hass.states.get(entity_id) if entity_id is not None else None
        if entity_id is None or state is None:
            return None
        return entity_id, state.state

    def _later(self, seconds: float, identifier: str | None, undo: Callable[[], object]) -> None:
        """Undo a lasting change after `seconds` (or at the end); the server stays undisturbed."""
        if identifier is not None:
            self._disturbed.add(identifier)
        key = next(self._keys)
        handle = asyncio.get_running_loop().call_later(seconds, self._undo_now, key)
        self._undo[key] = (handle, identifier, undo)

    def _undo_now(self, key: int) -> None:
        """Run one undo."""
        _, identifier, undo = self._undo.pop(key)
        self._disturbed.discard(identifier or "")
        undo()

    def _fault(self, fault: Fault, seconds: float, identifier: str | None) -> None:
        """Apply a fault for `seconds`."""
        self.sim.inject_fault(fault)
        self._later(seconds, identifier, lambda: self.sim.remove_fault(fault))

    async def _call(self, domain: str, service: str, data: dict[str, Any]) -> None:
        """Call an action as a user would; a translated refusal is fine, anything else is not."""
        try:
            async with asyncio.timeout(120):
                await self.hass.services.async_call(domain, service, data, blocking=True)
        except HomeAssistantError as err:
            self.result.refused_actions[err.translation_key or type(err).__name__] += 1
        except Exception as err:  # the soak reports whatever escapes
            self.result.unexpected_errors.append(f"{domain}.{service}: {err!r}")


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


class _Sampler:
    """Takes a sample every few simulated minutes."""

    def __init__(self, hass: HomeAssistant, sim: PanelSimulator, entry: MockConfigEntry) -> None:
        """Sample this Home Assistant and panel."""
        self.hass = hass
        self.sim = sim
        self.entry = entry
        self.started = asyncio.get_running_loop().time()

    def sample(self, result: SoakResult) -> Sample:
        """Take a sample and fold the panel's request log into the totals."""
        loop = asyncio.get_running_loop()
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
        result.unplanned_429 += unplanned
        # Garbage waiting for the cycle collector is no leak: count what is still referenced.
        gc.collect()
        sample = Sample(
            minute=(loop.time() - self.started) / 60,
            servers=len(self.sim.servers),
            pushed=sum(
                self.entry.runtime_data.push.is_live(identifier) for identifier in self.sim.servers
            ),
            tasks=len(asyncio.all_tasks()),
            sockets=_open_sockets(),
            traced_bytes=tracemalloc.get_traced_memory()[0],
            rss_bytes=_rss(),
            requests=len(requests),
            unplanned_429=unplanned,
        )
        requests.clear()
        result.samples.append(sample)
        return sample


def _short_path(filename: str) -> str:
    """Return a source file's path inside the repository or site-packages."""
    return filename.removeprefix(f"{REPO_ROOT}/").rsplit("site-packages/", 1)[-1]


def _traced(snapshot: tracemalloc.Snapshot, filters: Sequence[tracemalloc.Filter]) -> int:
    """Return the bytes of the snapshot's allocations that the filters keep."""
    return sum(stat.size for stat in snapshot.filter_traces(filters).statistics("filename"))


def _trends(result: SoakResult) -> list[Trend]:
    """Compare the calm samples before and after the chaos; fit a line through the chaos."""
    baseline, final = result.baseline, result.final
    if baseline is None or final is None:
        raise RuntimeError("the soak ended before its baseline and final samples")
    during = [s for s in result.samples if baseline.minute <= s.minute <= final.minute]
    minutes = [s.minute for s in during]

    def trend(
        name: str,
        value: Callable[[Sample], float],
        share: float,
        least: float,
        set_aside: float = 0.0,
    ) -> Trend:
        values = [value(s) for s in during]
        slope, _ = statistics.linear_regression(minutes, values)
        return Trend(
            name=name,
            baseline=value(baseline),
            final=value(final),
            peak=max(values),
            per_hour=slope * 60,
            allowed_growth=max(least, value(baseline) * share),
            set_aside=set_aside,
        )

    # Tasks and sockets follow the open websockets, which are all back once calm returns; a leak
    # of one per fault or reconnection would leave hundreds behind.
    return [
        trend("asyncio tasks", lambda s: s.tasks, 0.02, 5),
        trend("open sockets", lambda s: s.sockets, 0.02, 5),
        trend(
            "traced memory (MiB)",
            lambda s: s.traced_bytes / 2**20,
            0.05,
            2.0,
            result.ha_records_bytes / 2**20,
        ),
    ]


def _expected_status(server: SimServer) -> str:
    """Return what the status sensor of a server must show, from the panel's own state."""
    if server.status is PanelStatus.SUSPENDED:
        return "suspended"
    if server.status is PanelStatus.INSTALLING:
        return "installing"
    return _POWER_STATUS[server.power_state]


def _check_final_state(
    hass: HomeAssistant, sim: PanelSimulator, entry: MockConfigEntry, result: SoakResult
) -> None:
    """Compare every server's entities with the panel, and look for leftovers."""
    entities = er.async_get(hass)
    devices = dr.async_get(hass)
    for server in sim.servers.values():
        status_id = entities.async_get_entity_id("sensor", DOMAIN, f"{server.uuid}_state")
        switch_id = entities.async_get_entity_id("switch", DOMAIN, f"{server.uuid}_power")
        if status_id is None or switch_id is None:
            result.missing_entities += 1
            continue
        status = hass.states.get(status_id)
        switch = hass.states.get(switch_id)
        expected = _expected_status(server)
        switch_expected = "on" if expected in ("starting", "running") else "off"
        shown = (status.state if status else None, switch.state if switch else None)
        if shown != (expected, switch_expected):
            result.wrong_states.append(
                f"{server.name} ({server.identifier}): shows {shown}, "
                f"panel says {(expected, switch_expected)}"
            )
    listed = {server.identifier for server in sim.servers.values()}
    result.leftover_devices = sum(
        not any(i in listed for d, i in device.identifiers if d == DOMAIN)
        for device in dr.async_entries_for_config_entry(devices, entry.entry_id)
    )
    # Unique IDs are "<server uuid>_<key>".
    uuids = {server.uuid for server in sim.servers.values()}
    result.leftover_entities = sum(
        registry_entry.unique_id.split("_", 1)[0] not in uuids
        for registry_entry in er.async_entries_for_config_entry(entities, entry.entry_id)
    )
    coordinator = entry.runtime_data
    result.entry_loaded = entry.state is ConfigEntryState.LOADED and coordinator.last_update_success


def _build_panel(settings: SoakSettings, clock: Callable[[], float]) -> PanelSimulator:
    """Create the panel: a share of the servers without websocket permission are polled."""
    sim = PanelSimulator(
        flavor=settings.flavor,
        servers=settings.servers,
        seed=settings.seed,
        clock=clock,
        rate_limit=settings.rate_limit,
        running=settings.running,
        latency_ms=20.0,
        resources_cache_seconds=20.0,
        wings=WingsSettings(
            stats_interval=settings.stats_interval,
            state_check_interval=2.0,
            console_interval=60.0,
            # The console log a socket replays; full within the warm-up, so it grows no further.
            log_lines=20,
        ),
    )
    for index, identifier in enumerate(list(sim.servers)):
        if index % settings.polled_every == settings.polled_every - 1:
            sim.make_subuser(identifier, POLLED_PERMISSIONS)
    return sim


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
    sim = _build_panel(settings, loop.time)
    await sim.start("127.0.0.1", 0)
    watch = _LogWatch(result, [sim.client_key])
    logging.getLogger().addHandler(watch)
    try:
        async with home_assistant(loop, "pterodactyl-soak-") as hass:
            await _soak(hass, sim, settings, result, progress)
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
    settings: SoakSettings,
    result: SoakResult,
    progress: Callable[[Sample], None],
) -> None:
    """Set the entry up, leap through the hours of chaos, settle, then check."""
    loop = _virtual_loop()
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="soak",
        version=2,
        minor_version=1,
        data={CONF_URL: sim.url, CONF_API_KEY: sim.client_key, "verify_ssl": True},
        options={"update_interval": 30, "console_events": True},
        unique_id=f"1@{sim.url}",
    )
    entry.add_to_hass(hass)
    if not await hass.config_entries.async_setup(entry.entry_id):
        raise RuntimeError(f"set-up failed: {entry.state} {entry.reason}")
    await hass.async_block_till_done()
    loop.leaping = True
    sampler = _Sampler(hass, sim, entry)
    chaos = Chaos(hass, sim, result)
    sample_seconds = settings.sample_minutes * 60
    await asyncio.sleep(settings.warmup_minutes * 60)
    result.baseline = sampler.sample(result)
    before = tracemalloc.take_snapshot()
    progress(result.baseline)

    async def sample_until_done(done: asyncio.Event) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), sample_seconds)
            if done.is_set():
                return
            progress(sampler.sample(result))

    done = asyncio.Event()
    sampling = asyncio.create_task(sample_until_done(done))
    await chaos.run(settings.hours * 3600)
    await chaos.undo_all()
    await asyncio.sleep(SETTLE_SECONDS)
    done.set()
    await sampling
    await hass.async_block_till_done()
    result.final = sampler.sample(result)
    after = tracemalloc.take_snapshot()
    result.ha_records_bytes = _traced(after, HA_RECORDS) - _traced(before, HA_RECORDS)
    others = [tracemalloc.Filter(False, f.filename_pattern, all_frames=True) for f in HA_RECORDS]
    growth = after.filter_traces(others).compare_to(before.filter_traces(others), "lineno")
    result.memory_growth = [
        f"{_short_path(stat.traceback[0].filename)}:{stat.traceback[0].lineno}"
        f" {stat.size_diff / 1024:+,.0f} KiB, {stat.count_diff:+,} blocks"
        for stat in growth[:8]
    ]
    progress(result.final)
    loop.leaping = False
    result.trends = _trends(result)
    _check_final_state(hass, sim, entry, result)
    await hass.config_entries.async_unload(entry.entry_id)


def markdown(result: SoakResult, command: str) -> str:
    """Return the soak's section of docs/benchmarks.md."""
    settings = result.settings
    first, last = result.baseline or result.samples[0], result.final or result.samples[-1]
    trend_rows = "\n".join(
        f"| {t.name} | {t.baseline:,.1f} | {t.final:,.1f} | {t.final - t.baseline:+,.1f} "
        f"| {t.set_aside:,.1f} | {t.allowed_growth:,.1f} | {t.peak:,.1f} | {t.per_hour:+,.2f} "
        f"| {'yes' if t.flat else '**no**'} |"
        for t in result.trends
    )
    check_lines = "\n".join(
        f"- {'pass' if ok else '**FAIL**'}: {name}" for name, ok in result.checks.items()
    )
    event_lines = ", ".join(f"{name} {count:,}" for name, count in sorted(result.events.items()))
    refused = ", ".join(f"{k} {v:,}" for k, v in sorted(result.refused_actions.items())) or "none"
    logged = "\n".join(
        f"| {count:,} | `{message[:110]}` |" for message, count in result.logged.most_common(12)
    )
    host = ", ".join(f"{k}: {v}" for k, v in machine().items())
    limiter = ", ".join(f"{k} ({v})" for k, v in result.refused_by_limiter.items()) or "none"
    growth = "; ".join(f"`{line}`" for line in result.memory_growth[:5]) or "not measured"
    records_kib = result.ha_records_bytes / 1024
    per_server = (
        f" ({records_kib / result.servers_deleted:,.0f} KiB a server)"
        if result.servers_deleted
        else ""
    )
    return f"""## Soak (issue 6)

Generated by `{command}`: {settings.servers} servers on a simulated {settings.flavor} panel
limited to {settings.rate_limit} requests a minute, one in {settings.polled_every} polled (no
websocket permission), the others pushed, for **{settings.hours:g} simulated hours** of chaos
between two calm spells. It took {result.wall_seconds / 60:.1f} minutes of
wall time ({result.cpu_seconds / 60:.1f} of CPU) on this machine ({host}). `python -m
benchmarks.soak --hours 1` is the short form CI runs (tests/benchmarks/test_soak.py).

### Checks

{check_lines}

### Leaks: calm before the chaos against calm after it

Each figure after a calm {settings.warmup_minutes:g}-minute start (every socket open, every
cache full), and again after the chaos and {SETTLE_SECONDS / 60:g} calm minutes, when every
fault is cleared and every socket is back: a leak of one object per fault, reconnection or
action would be left behind. Also its peak during the chaos, and the slope of a least-squares
line through the samples taken every {settings.sample_minutes:g} simulated minutes.

| figure | before | after | change | set aside | allowed | peak | trend per hour | back to calm |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | :---: |
{trend_rows}

Set aside: Home Assistant keeps, for as long as the config entry exists, a record of every entity
and device it deletes (so that a server which comes back gets its entity IDs and settings
again), and removed entities' last states for a week. For the {result.servers_deleted} servers
deleted here that is {records_kib:,.0f} KiB{per_server}: the traced allocations made in its entity
and device registries and restore-state (one of an allocation's two innermost frames is there),
calm to calm. The check is on everything else, and the registries must hold no entity or device
of a deleted server.

Before: {first.tasks} tasks, {first.sockets} sockets, {first.pushed} servers pushed; after:
{last.tasks} tasks, {last.sockets} sockets, {last.pushed} pushed, resident memory
{last.rss_bytes / 2**20:,.0f} MiB. Sockets count both ends of every loopback connection (the panel
runs in the same process); memory is counted after a garbage collection.

### What happened

- Events: {event_lines}.
- Servers deleted {result.servers_deleted}, added {result.servers_added}; API requests
  {result.requests:,}, of which {result.unplanned_429} refused by the panel's limiter (429s
  injected as faults are not counted).
- Actions refused with a translated error (the panel or the server could not do it then):
  {refused}.
- Unexpected errors from actions: {len(result.unexpected_errors)}; unhandled exceptions logged:
  {len(result.unhandled)}; log lines holding the key or a token: {result.secrets_logged}.
- Requests the panel's limiter refused: {limiter}.
- Where traced memory grew most from calm to calm, apart from what is set aside: {growth}.

Warnings and errors logged (expected: each fault logged once while it lasts, once on recovery):

| count | message |
| ---: | --- |
{logged}

### Method

Home Assistant (the test harness's `async_test_home_assistant`: the real core, config entries,
registries, entity platforms and actions; storage in memory), the integration from
`custom_components/` and the simulator share one process and one event loop
(`benchmarks/virtual_time.py`) whose clock leaps to its next timer whenever no callback is
ready, no socket has data and no thread works. Every request and websocket frame still crosses
a real loopback socket. Home Assistant's `utcnow` and the simulator's clock follow the loop's.
About {settings.events_per_hour:g} random events an hour (seed {settings.seed}): power switches
and actions, console commands, power changes made on the panel, servers deleted and created,
suspensions, reinstalls, transfers, node maintenance and outages, HTTP faults on one server's
usage or token requests (500, 502, 504, closed or cut connections, truncated JSON, HTML, a
login redirect, a 30 s stall), panel-wide 502s and 429s, dropped and closed websockets, early
token expiry, `daemon error` and `jwt error`, and Wings restarts. Wings streams stats every
{settings.stats_interval:g} s (the integration writes pushed usage at most every 5 s) and prints
a console line a minute on every running server; console events are on. Memory is
`tracemalloc`'s traced total.
"""


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak", description=__doc__)
    defaults = SoakSettings()
    parser.add_argument("--hours", type=float, default=defaults.hours, help="simulated hours")
    parser.add_argument("--servers", type=int, default=defaults.servers)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument(
        "--events-per-hour", type=float, default=defaults.events_per_hour,
        help="random events a simulated hour",
    )  # fmt: skip
    parser.add_argument("--json", type=Path, default=None, help="write the result as JSON")
    parser.add_argument(
        "--output", type=Path, default=DEFAULT_OUTPUT,
        help="markdown file whose soak section is rewritten (default docs/benchmarks.md)",
    )  # fmt: skip
    parser.add_argument("--no-report", action="store_true", help="write no markdown (the CI form)")
    parser.add_argument(
        "--render", type=Path, default=None, metavar="JSON",
        help="run nothing: write the report of a result saved with --json",
    )  # fmt: skip
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the soak, print its checks, write the report; exit 1 when a check fails."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    options = build_parser().parse_args(arguments)
    logging.basicConfig(level=logging.CRITICAL, stream=sys.stderr)
    logging.getLogger().setLevel(logging.INFO)
    settings = SoakSettings(
        hours=options.hours,
        servers=options.servers,
        seed=options.seed,
        events_per_hour=options.events_per_hour,
    )

    def progress(sample: Sample) -> None:
        print(  # noqa: T201
            f"  {sample.minute / 60:6.2f} h  servers {sample.servers}  pushed {sample.pushed}  "
            f"tasks {sample.tasks}  sockets {sample.sockets}  "
            f"traced {sample.traced_bytes / 2**20:.1f} MiB  requests {sample.requests}",
            flush=True,
        )

    if options.render is not None:
        result = SoakResult.from_json(json.loads(options.render.read_text()))
        arguments = [f"--hours {result.settings.hours:g}"]
    else:
        with asyncio.Runner(loop_factory=VirtualTimeLoop) as runner:
            result = runner.run(run_soak(settings, progress))
    for name, ok in result.checks.items():
        print(f"{'PASS' if ok else 'FAIL'}: {name}")  # noqa: T201
    for line in [*result.unhandled, *result.unexpected_errors, *result.wrong_states][:20]:
        print(f"  {line}")  # noqa: T201
    if options.json is not None:
        options.json.write_text(json.dumps(result.to_json(), indent=2, default=str))
    if not options.no_report:
        command = " ".join(["python -m benchmarks.soak", *arguments])
        text = options.output.read_text() if options.output.exists() else ""
        options.output.write_text(replace_section(text, SECTION, markdown(result, command)))
        print(f"wrote {options.output}")  # noqa: T201
    return 0 if result.passed else 1


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
