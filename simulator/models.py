"""Simulated servers: configuration, lazy power state machine and live statistics."""

from dataclasses import dataclass, field
from enum import StrEnum
import math
import random
import re

from simulator.clock import Clock

MIB = 1024 * 1024


class PowerState(StrEnum):
    """Wings process state."""

    OFFLINE = "offline"
    STARTING = "starting"
    RUNNING = "running"
    STOPPING = "stopping"


class PowerSignal(StrEnum):
    """Signals accepted by the power endpoint."""

    START = "start"
    STOP = "stop"
    RESTART = "restart"
    KILL = "kill"


class ServerStatus(StrEnum):
    """The panel's `status` column; `None` on a server means normal."""

    INSTALLING = "installing"
    INSTALL_FAILED = "install_failed"
    REINSTALL_FAILED = "reinstall_failed"
    SUSPENDED = "suspended"
    RESTORING_BACKUP = "restoring_backup"


class Access(StrEnum):
    """How the account relates to a server."""

    OWNER = "owner"
    SUBUSER = "subuser"
    # The server exists on the panel but the account may not see it (404 unless root admin).
    NONE = "none"


# Which permission each power signal needs (SendPowerRequest::permission).
SIGNAL_PERMISSIONS: dict[str, str] = {
    "start": "control.start",
    "stop": "control.stop",
    "kill": "control.stop",
    "restart": "control.restart",
}

# Wings' container is running in these states, so it accepts console commands.
CONTAINER_UP = frozenset({PowerState.STARTING, PowerState.RUNNING, PowerState.STOPPING})


@dataclass(slots=True)
class Limits:
    """Build limits; memory, swap and disk in MB, cpu in % (100 = one core)."""

    memory: int = 2048
    swap: int = 0
    disk: int = 10240
    io: int = 500
    cpu: int = 200
    threads: str | None = None
    oom_disabled: bool = True


@dataclass(slots=True)
class FeatureLimits:
    """Feature limits shown to the client."""

    databases: int = 2
    allocations: int = 1
    backups: int = 3


@dataclass(slots=True)
class Allocation:
    """A network allocation (ip:port) of a server."""

    id: int
    ip: str
    port: int
    ip_alias: str | None = None
    notes: str | None = None
    is_default: bool = False


@dataclass(slots=True)
class EggVariable:
    """A startup variable of the server's egg."""

    name: str
    env_variable: str
    default_value: str
    server_value: str
    description: str = ""
    is_editable: bool = True
    rules: str = "required|string|max:64"


@dataclass(slots=True)
class Stats:
    """A snapshot of what wings reports for a server; bytes, %, and ms."""

    state: PowerState
    memory_bytes: int
    memory_limit_bytes: int
    cpu_absolute: float
    disk_bytes: int
    network_rx_bytes: int
    network_tx_bytes: int
    uptime: int


@dataclass(eq=False)
class SimServer:
    """One game server as the panel and its wings node see it."""

    identifier: str
    uuid: str
    name: str
    internal_id: int
    clock: Clock
    game: str = "Minecraft"
    egg: str = "Paper"
    description: str = ""
    node: str = "Node 1"
    node_fqdn: str = "node1.example.com"
    sftp_port: int = 2022
    docker_image: str = "ghcr.io/pterodactyl/yolks:java_21"
    startup: str = "java -Xms128M -jar {{SERVER_JARFILE}}"
    egg_features: list[str] | None = None
    limits: Limits = field(default_factory=Limits)
    feature_limits: FeatureLimits = field(default_factory=FeatureLimits)
    allocations: list[Allocation] = field(default_factory=list)
    variables: list[EggVariable] = field(default_factory=list)
    external_id: str | None = None
    status: ServerStatus | None = None
    is_transferring: bool = False
    node_maintenance: bool = False
    # The wings daemon does not answer (v1/legacy: 504, Pelican: `missing`).
    node_down: bool = False
    # Wings answers but refuses the panel's requests with this HTTP status (None: it serves).
    wings_error: int | None = None
    access: Access = Access.OWNER
    permissions: list[str] = field(default_factory=lambda: ["*"])
    start_seconds: float = 3.0
    stop_seconds: float = 2.0
    # The egg's done line never shows: a start stays `starting` (see `_boot`).
    stalls_starting: bool = False
    # Statistics model: what the process settles at while running.
    working_set_mb: int = 1200
    idle_cpu: float = 12.0
    disk_mb: int = 850
    rx_rate: float = 4000.0
    tx_rate: float = 9000.0
    seed: int = 0
    # What the server received, for assertions.
    commands: list[str] = field(default_factory=list)
    power_signals: list[str] = field(default_factory=list)
    _timeline: list[tuple[float, PowerState]] = field(default_factory=list, repr=False)
    _rng: random.Random = field(init=False, repr=False)
    _cpu: float = field(default=0.0, init=False, repr=False)

    def __post_init__(self) -> None:
        """Seed the statistics generator and start offline."""
        self._rng = random.Random(self.seed)
        self._cpu = self.idle_cpu
        if not self._timeline:
            self._timeline = [(self.clock(), PowerState.OFFLINE)]

    # Panel-side state.

    @property
    def is_suspended(self) -> bool:
        """Return whether the server is suspended."""
        return self.status is ServerStatus.SUSPENDED

    @property
    def is_installing(self) -> bool:
        """Return whether the panel reports the server as installing (Server::isInstalled)."""
        return self.status in (ServerStatus.INSTALLING, ServerStatus.INSTALL_FAILED)

    def not_installed(self, *, pelican: bool) -> bool:
        """Return `!isInstalled()`; Pelican also counts reinstall_failed (isFailedInstall)."""
        return self.is_installing or (pelican and self.status is ServerStatus.REINSTALL_FAILED)

    @property
    def is_owner(self) -> bool:
        """Return whether the account owns the server."""
        return self.access is Access.OWNER

    def can(self, permission: str) -> bool:
        """Return whether the account holds `permission` on this server."""
        return self.is_owner or "*" in self.permissions or permission in self.permissions

    def matches(self, key: str) -> bool:
        """Return whether `key` names this server (8-char identifier or full uuid)."""
        return key == (self.identifier if len(key) == 8 else self.uuid)

    # Power state machine. State is a timeline of (time, state) computed lazily, so a test
    # clock can jump forward without anything running in the background.

    @property
    def power_state(self) -> PowerState:
        """Return the process state now."""
        return self.state_at(self.clock())

    def state_at(self, now: float) -> PowerState:
        """Return the process state at `now`."""
        state = self._timeline[0][1]
        for at, next_state in self._timeline:
            if at > now:
                break
            state = next_state
        return state

    def boot_time(self, now: float) -> float | None:
        """Return when the current container started, or None when it is not up."""
        booted: float | None = None
        previous = PowerState.OFFLINE
        for at, state in self._timeline:
            if at > now:
                break
            if state is PowerState.OFFLINE:
                booted = None
            elif state is PowerState.STARTING or previous is PowerState.OFFLINE:
                booted = at
            previous = state
        return booted

    def _schedule(self, now: float, steps: list[tuple[float, PowerState]]) -> None:
        """Drop future transitions and append `steps` (offsets from now)."""
        kept = [entry for entry in self._timeline if entry[0] <= now]
        # Old history never affects the state, so trim it to keep lookups cheap.
        current = self.state_at(now)
        self._timeline = [*kept[-8:]] if kept else [(now, current)]
        elapsed = 0.0
        for duration, state in steps:
            self._timeline.append((now + elapsed, state))
            elapsed += duration

    def apply_signal(self, signal: PowerSignal, now: float | None = None) -> None:
        """Act on a power signal the way wings does (asynchronously, ignoring no-ops)."""
        now = self.clock() if now is None else now
        self.power_signals.append(signal.value)
        state = self.state_at(now)
        if signal is PowerSignal.KILL:
            self._schedule(now, [(0.0, PowerState.OFFLINE)])
        elif signal is PowerSignal.START:
            # Wings refuses to start a server whose process is not offline.
            if state is PowerState.OFFLINE:
                self._schedule(now, self._boot())
        elif signal is PowerSignal.STOP:
            if state in (PowerState.STARTING, PowerState.RUNNING):
                self._schedule(
                    now, [(self.stop_seconds, PowerState.STOPPING), (0.0, PowerState.OFFLINE)]
                )
        elif state is PowerState.OFFLINE:
            self._schedule(now, self._boot())
        else:
            self._schedule(now, [(self.stop_seconds, PowerState.STOPPING), *self._boot()])
        self._drop_zero_length()

    def _boot(self) -> list[tuple[float, PowerState]]:
        """Return a start: `starting`, then `running` once the egg's done line shows.

        Wings leaves `starting` only for a console line matching the egg's `startup.done`
        (server/listeners.go onConsoleOutput); a server that never prints it stays starting.
        """
        if self.stalls_starting:
            return [(0.0, PowerState.STARTING)]
        return [(self.start_seconds, PowerState.STARTING), (0.0, PowerState.RUNNING)]

    def stall_start(self, stalled: bool = True) -> None:
        """Make starts never reach `running` (the done line never shows), or print it now."""
        self.stalls_starting = stalled
        now = self.clock()
        if stalled:
            self._timeline = [
                e for e in self._timeline if e[0] <= now or e[1] != PowerState.RUNNING
            ]
        elif self.power_state is PowerState.STARTING and self._timeline[-1][0] <= now:
            self._timeline.append((now, PowerState.RUNNING))

    def _drop_zero_length(self) -> None:
        """Collapse transitions that share a timestamp (zero durations in tests)."""
        collapsed: list[tuple[float, PowerState]] = []
        for at, state in self._timeline:
            if collapsed and collapsed[-1][0] == at:
                collapsed[-1] = (at, state)
            else:
                collapsed.append((at, state))
        self._timeline = collapsed

    def set_power(self, state: PowerState, *, ago: float = 0.0) -> None:
        """Force the process into `state`, entered `ago` seconds back (no signal recorded)."""
        at = self.clock() - ago
        self._timeline = [entry for entry in self._timeline if entry[0] < at]
        self._timeline.append((at, state))

    # Statistics.

    def stats(self, now: float | None = None) -> Stats:
        """Return what wings would report now; counters reset when the container stops."""
        now = self.clock() if now is None else now
        state = self.state_at(now)
        limit_bytes = self.limits.memory * MIB
        booted = self.boot_time(now)
        disk = self.disk_mb * MIB
        if state is PowerState.OFFLINE or booted is None:
            return Stats(state, 0, limit_bytes, 0.0, disk, 0, 0, 0)
        up = max(0.0, now - booted)
        # Memory climbs toward the working set with a 30 s time constant.
        memory = self.working_set_mb * MIB * (0.15 + 0.85 * (1 - math.exp(-up / 30.0)))
        memory *= 1 + self._rng.uniform(-0.01, 0.01)
        if limit_bytes:
            memory = min(memory, limit_bytes)
        cpu_cap = float(self.limits.cpu or 400)
        if state is PowerState.STARTING:
            # Booting is CPU-heavy.
            self._cpu = min(cpu_cap, self.idle_cpu * 4 + self._rng.uniform(0, 20))
        else:
            step = self._rng.gauss(0, max(1.0, self.idle_cpu * 0.2))
            pull = (self.idle_cpu - self._cpu) * 0.3
            self._cpu = min(cpu_cap, max(0.1, self._cpu + step + pull))
        return Stats(
            state=state,
            memory_bytes=int(memory),
            memory_limit_bytes=limit_bytes,
            cpu_absolute=round(self._cpu, 3),
            disk_bytes=disk,
            network_rx_bytes=int(self.rx_rate * up),
            network_tx_bytes=int(self.tx_rate * up),
            uptime=int(up * 1000),
        )

    def invocation(self, *, hide_values: bool) -> str:
        """Return the startup command with variables filled in (StartupCommandService)."""
        primary = next((a for a in self.allocations if a.is_default), None)
        replacements = {
            "SERVER_MEMORY": str(self.limits.memory),
            "SERVER_IP": primary.ip if primary else "0.0.0.0",  # noqa: S104 - a displayed value
            "SERVER_PORT": str(primary.port) if primary else "0",
        }
        for variable in self.variables:
            replacements[variable.env_variable] = (
                "[hidden]" if hide_values else variable.server_value
            )
        return re.sub(
            r"\{\{([A-Z0-9_]+)\}\}",
            lambda m: replacements.get(m.group(1), m.group(0)),
            self.startup,
        )


@dataclass(slots=True)
class Account:
    """The user that owns the simulator's API keys."""

    id: int = 1
    uuid: str = "5a2f0c3e-7d1b-4c1a-9f4e-2b6d8e0a1c33"
    username: str = "demo"
    email: str = "demo@example.com"
    first_name: str = "Demo"
    last_name: str = "User"
    language: str = "en"
    root_admin: bool = False
    two_factor_enabled: bool = False
    created_at: str = "2024-03-01T09:30:00+00:00"
    updated_at: str = "2025-01-15T18:04:12+00:00"
