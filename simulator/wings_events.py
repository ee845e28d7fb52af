"""Wings -> client: the events the simulated Wings sends on its own.

Status changes, stats, console lines, token expiry and crashes, sampled from the lazy power
model by one pump for all sockets. Sources: pterodactyl/wings@v1.11.11 server/server.go
(OnStateChange), server/crash.go, server/power.go, environment/docker/power.go,
router/websocket/listeners.go; pelican-dev/wings@HEAD the same files.
"""

from collections import Counter
import json
import math
from typing import Any

from simulator.backups import SimBackup
from simulator.models import MIB, PowerSignal, PowerState, SimServer
from simulator.wings_connection import WingsConnection
from simulator.wings_node import WingsNode

# listeners.go listenForExpiration: `token expiring` when this many seconds or fewer remain.
EXPIRING_WITHIN = 60
# Host memory reported as the limit of a server with unlimited (0) memory (assumption).
HOST_MEMORY_BYTES = 16 * 1024 * MIB
# Disk I/O counters of Pelican's `disk_io` while up, bytes per second (assumption).
DISK_READ_RATE = 20_000.0
DISK_WRITE_RATE = 60_000.0
_UP = (PowerState.STARTING, PowerState.RUNNING)

# What a few games print, for `console output` while a simulated server runs (assumption).
_BOOT_LINES = {
    "Minecraft": [
        "[Server thread/INFO]: Starting minecraft server version 1.21.4",
        '[Server thread/INFO]: Preparing level "world"',
    ],
}
_READY_LINES = {"Minecraft": ['[Server thread/INFO]: Done (4.812s)! For help, type "help"']}
_CHATTER = {
    "Minecraft": [
        "[Server thread/INFO]: Saving the game (this may take a moment!)",
        "[Server thread/INFO]: Saved the game",
        "[Server thread/INFO]: There are 0 of a max of 20 players online",
    ],
}
_GENERIC_BOOT = ["Loading configuration...", "Starting server..."]
_GENERIC_READY = ["Server started."]
_GENERIC_CHATTER = ["Autosaving world...", "World saved."]

# The states Wings passes through between two sampled states (the lazy model may skip them).
_PATHS: dict[tuple[PowerState, PowerState], list[PowerState]] = {
    # environment/docker/power.go Stop/Terminate: stopping, then offline (no crash detection).
    (PowerState.STARTING, PowerState.OFFLINE): [PowerState.STOPPING, PowerState.OFFLINE],
    (PowerState.RUNNING, PowerState.OFFLINE): [PowerState.STOPPING, PowerState.OFFLINE],
    # A restart waits for offline before onBeforeStart runs (server/power.go).
    (PowerState.STOPPING, PowerState.STARTING): [PowerState.OFFLINE, PowerState.STARTING],
    (PowerState.STOPPING, PowerState.RUNNING): [
        PowerState.OFFLINE,
        PowerState.STARTING,
        PowerState.RUNNING,
    ],
    (PowerState.OFFLINE, PowerState.RUNNING): [PowerState.STARTING, PowerState.RUNNING],
    (PowerState.RUNNING, PowerState.STARTING): [
        PowerState.STOPPING,
        PowerState.OFFLINE,
        PowerState.STARTING,
    ],
}


def daemon_line(text: str, *, pelican: bool) -> str:
    """Return PublishConsoleOutputFromDaemon's line (server/console.go, colorstring ANSI)."""
    # "[yellow][bold][%s Daemon]:[default] %s" with AppName "Pterodactyl" / "pelican".
    app = "pelican" if pelican else "Pterodactyl"
    return f"\x1b[33m\x1b[1m[{app} Daemon]:\x1b[39m {text}\x1b[0m"


def memory_limit_bytes(memory_mb: int) -> int:
    """Return Docker's memory limit: environment/settings.go BoundedMemoryLimit."""
    if memory_mb <= 0:
        return HOST_MEMORY_BYTES
    # config/config_docker.go Overhead.GetMultiplier defaults.
    multiplier = 1.15 if memory_mb <= 2048 else 1.10 if memory_mb <= 4096 else 1.05
    return round(memory_mb * multiplier * 1_000_000)


def stats_json(server: SimServer, *, pelican: bool, reset: bool = False) -> str:
    """Return the `stats` argument: server/resources.go ResourceUsage as Wings marshals it.

    `reset` gives ResourceUsage.Reset()'s values (offline; memory, cpu, uptime, network
    and Pelican's disk_io zeroed; limit and disk kept).
    """
    stats = server.stats()
    up = not reset and stats.state is not PowerState.OFFLINE
    seconds = stats.uptime / 1000 if up else 0.0
    body: dict[str, Any] = {
        "memory_bytes": stats.memory_bytes if up else 0,
        "memory_limit_bytes": memory_limit_bytes(server.limits.memory),
        "cpu_absolute": stats.cpu_absolute if up else 0.0,
        "network": {
            "rx_bytes": stats.network_rx_bytes if up else 0,
            "tx_bytes": stats.network_tx_bytes if up else 0,
        },
    }
    if pelican:
        # pelican-dev/wings environment/stats.go: DiskIo after Network.
        body["disk_io"] = {
            "read_bytes": int(DISK_READ_RATE * seconds),
            "write_bytes": int(DISK_WRITE_RATE * seconds),
        }
    body["uptime"] = stats.uptime if up else 0
    body["state"] = (PowerState.OFFLINE if reset else stats.state).value
    body["disk_bytes"] = stats.disk_bytes
    return json.dumps(body)


class WingsPump:
    """Publishes server events to the sockets of one simulated node."""

    def __init__(self, node: WingsNode) -> None:
        """Serve `node`'s sockets."""
        self.node = node
        self._observed: dict[str, PowerState] = {}
        self._next_stats: dict[str, float] = {}
        self._next_chatter: dict[str, float] = {}
        self._chatter_index: Counter[str] = Counter()
        # server/crash.go CrashHandler.lastCrash, in sim-clock seconds.
        self._last_crash: dict[str, float] = {}
        node.panel.workload.backups.listeners.append(self.backup_completed)

    def forget(self, identifier: str) -> None:
        """Drop what is kept about a deleted server."""
        for kept in (self._next_stats, self._next_chatter, self._chatter_index, self._last_crash):
            kept.pop(identifier, None)

    # Sampling.

    def tick(self, now: float) -> None:
        """Do whatever is due now for every server with a socket open."""
        node = self.node
        # Backups that finished and scheduled tasks that ran since the last tick go first.
        node.panel.workload.settle()
        servers = {c.server.identifier: c.server for c in node.connections}
        for identifier in set(self._observed) - set(servers):
            # Nobody watched it for a while: the next look starts fresh.
            del self._observed[identifier]
        for server in servers.values():
            self._observe(server, now)
        for connection in list(node.connections):
            if connection.authenticated and now >= connection.next_token_check:
                self._check_token(connection, now)

    def _observe(self, server: SimServer, now: float) -> None:
        """Publish state changes, stats while up and chatter while running."""
        state = server.power_state
        key = server.identifier
        previous = self._observed.get(key)
        self._observed[key] = state
        if previous is None:
            # First look: sockets that authenticated meanwhile learn the state (no lines).
            self._status(server, state, catch_up=True)
        elif previous is not state:
            for step_from, step in _steps(previous, state):
                self._enter(server, step_from, step)
        if state is not PowerState.OFFLINE and now >= self._next_stats.get(key, 0.0):
            # environment/docker/stats.go pollResources: one frame per Docker stats frame.
            self._next_stats[key] = now + self.node.settings.stats_interval
            self.node.broadcast(server, "stats", stats_json(server, pelican=self.node.pelican))
        interval = self.node.settings.console_interval
        if (
            state is PowerState.RUNNING
            and interval is not None
            and now >= self._next_chatter.setdefault(key, now + interval)
        ):
            self._next_chatter[key] = now + interval
            lines = _CHATTER.get(server.game, _GENERIC_CHATTER)
            index = self._chatter_index[key]
            self._chatter_index[key] += 1
            self.node.console_line(key, lines[index % len(lines)])

    def _enter(self, server: SimServer, previous: PowerState, state: PowerState) -> None:
        """Publish one state change as Wings does."""
        node = self.node
        if state is PowerState.STARTING and previous is PowerState.OFFLINE:
            # server/power.go onBeforeStart prints these before Environment.Start -> starting.
            for text in self._pre_boot_lines(server):
                node.broadcast(server, "console output", daemon_line(text, pelican=node.pelican))
        self._status(server, state)
        if state is PowerState.OFFLINE:
            # server/server.go OnStateChange: offline -> resources.Reset(), publish stats.
            node.broadcast(server, "stats", stats_json(server, pelican=node.pelican, reset=True))
        game_lines = {
            PowerState.STARTING: _BOOT_LINES.get(server.game, _GENERIC_BOOT),
            PowerState.RUNNING: _READY_LINES.get(server.game, _GENERIC_READY),
        }
        for line in game_lines.get(state, []):
            node.console_line(server.identifier, line)

    def _status(self, server: SimServer, state: PowerState, *, catch_up: bool = False) -> None:
        """Publish `status` to listening sockets; each socket hears a state once.

        A socket whose token is invalid gets `jwt error` instead and the change is lost for it
        (SendJson), so a later re-auth does not resend it.
        """
        for connection in self.node.connections:
            if (
                connection.server is server
                and connection.authenticated
                and connection.last_state is not state
            ):
                connection.last_state = state
                if catch_up and self.node.token_problem(connection) is not None:
                    continue
                self.node.send_json(connection, "status", state.value)

    def _pre_boot_lines(self, server: SimServer) -> list[str]:
        """Return onBeforeStart's daemon lines (disk check only with a disk limit)."""
        lines = []
        if server.limits.disk > 0:
            # pelican-dev/wings writes this one in lower case.
            check = "checking" if self.node.pelican else "Checking"
            lines.append(f"{check} server disk space usage, this could take a few seconds...")
        lines.append("Updating process configuration files...")
        # config.go CheckPermissionsOnBoot defaults to true.
        lines.append(
            "Ensuring file permissions are set correctly, this could take a few seconds..."
        )
        return lines

    def _check_token(self, connection: WingsConnection, now: float) -> None:
        """listenForExpiration: `token expiring` at <= 60 s, `token expired` at <= 0 (SendJson)."""
        connection.next_token_check = now + self.node.settings.token_check_interval
        # jwt.ExpirationTime.Unix() - time.Now().Unix(): whole seconds.
        remaining = connection.expires_at - math.floor(self.node.panel.unix_time())
        if remaining <= 0:
            # Only in the exp second itself is the token still valid: later ticks turn this
            # into `jwt error` "jwt: exp claim is invalid" (SendJson -> TokenValid).
            self.node.send_json(connection, "token expired")
        elif remaining <= EXPIRING_WITHIN:
            self.node.send_json(connection, "token expiring")

    def backup_completed(self, server: SimServer, backup: SimBackup) -> None:
        """Publish `backup completed` as server/backup.go does, to sockets with backup.read.

        Published as "backup completed:<uuid>", but the event bus sends the topic before the
        colon (events/events.go Publish); the map arrives as one JSON argument whose keys Go
        sorts (listeners.go json.Marshal of the decoded map).
        """
        body = {
            "checksum": backup.sha1 if backup.succeeds else "",
            "checksum_type": "sha1",
            "file_size": backup.size if backup.succeeds else 0,
            "is_successful": backup.succeeds,
            "uuid": backup.uuid,
        }
        self.node.broadcast(server, "backup completed", json.dumps(body, separators=(",", ":")))
        self.node.panel.notify_waiters()

    # Crashes.

    def crash(self, server: SimServer, *, exit_code: int = 1, oom: bool = False) -> bool:
        """Make the process exit on its own; return False if it was not up.

        server/server.go OnStateChange: starting/running -> offline publishes `status` offline
        and zeroed stats, then server/crash.go handleServerCrash prints its lines and starts
        the server again, unless the last crash was less than `crash_timeout` seconds ago.
        """
        previous = server.power_state
        if previous is PowerState.OFFLINE:
            return False
        server.set_power(PowerState.OFFLINE)
        key = server.identifier
        if previous is PowerState.STOPPING:
            # Not a crash for Wings: the pump publishes the plain offline.
            self.node.wake()
            return True
        if key in self._observed:
            self._observed[key] = PowerState.OFFLINE
        self._enter(server, previous, PowerState.OFFLINE)
        self._handle_crash(server, exit_code, oom)
        self.node.wake()
        return True

    def _handle_crash(self, server: SimServer, exit_code: int, oom: bool) -> None:
        """Run server/crash.go handleServerCrash."""
        settings = self.node.settings
        if not settings.crash_detection:
            self._daemon(
                server, "Aborting automatic restart, crash detection is disabled for this instance."
            )
            return
        if exit_code == 0 and not oom and not settings.detect_clean_exit_as_crash:
            return
        self._daemon(server, "---------- Detected server process in a crashed state! ----------")
        self._daemon(server, f"Exit code: {exit_code}")
        self._daemon(server, f"Out of memory: {'true' if oom else 'false'}")
        now = server.clock()
        last = self._last_crash.get(server.identifier)
        timeout = settings.crash_timeout
        if timeout != 0 and last is not None and last + timeout > now:
            self._daemon(
                server,
                f"Aborting automatic restart, last crash occurred less than {timeout} seconds ago.",
            )
            return
        self._last_crash[server.identifier] = now
        if server.is_suspended:
            # HandlePowerAction(start) fails with ErrSuspended: server/server.go's message.
            self._daemon(
                server, "Server crash was detected but an error occurred while handling it."
            )
            return
        server.apply_signal(PowerSignal.START)
        if server.identifier in self._observed:
            self._observed[server.identifier] = PowerState.STARTING
        self._enter(server, PowerState.OFFLINE, PowerState.STARTING)

    def _daemon(self, server: SimServer, text: str) -> None:
        """Publish a daemon console line (not in the container log `send logs` reads)."""
        line = daemon_line(text, pelican=self.node.pelican)
        self.node.broadcast(server, "console output", line)


def _steps(previous: PowerState, state: PowerState) -> list[tuple[PowerState, PowerState]]:
    """Return the (from, to) changes Wings publishes between two sampled states."""
    path = _PATHS.get((previous, state), [state])
    return list(zip([previous, *path[:-1]], path, strict=True))
