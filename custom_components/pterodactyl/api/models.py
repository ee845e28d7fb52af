"""Typed, immutable views of what the panel returns, normalised across API generations."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class PanelFlavor(StrEnum):
    """Which API generation a panel speaks."""

    PTERODACTYL = "pterodactyl"  # Pterodactyl 1.x: /resources
    PELICAN = "pelican"  # Pelican: /resources, 'missing' state, own account shape
    LEGACY = "legacy"  # Pterodactyl 0.7: /utilization in MB


class ServerState(StrEnum):
    """The power state of a game server, the same on every API generation."""

    OFFLINE = "offline"
    STARTING = "starting"
    RUNNING = "running"
    STOPPING = "stopping"


class PowerSignal(StrEnum):
    """Power signals the panel accepts."""

    START = "start"
    STOP = "stop"
    RESTART = "restart"
    KILL = "kill"


@dataclass(frozen=True, slots=True, kw_only=True)
class Account:
    """The user the API key belongs to."""

    # Pterodactyl's numeric id, or Pelican's uuid: stable per user on one panel.
    id: str
    username: str
    email: str
    admin: bool
    language: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerLimits:
    """Resource limits; None where the panel sets 0, which means unlimited."""

    memory_bytes: int | None
    disk_bytes: int | None
    cpu_percent: float | None


class ConflictReason(StrEnum):
    """Why the panel refused a server action with 409."""

    SUSPENDED = "suspended"
    INSTALLING = "installing"
    TRANSFERRING = "transferring"
    RESTORING = "restoring"
    NODE_MAINTENANCE = "node_maintenance"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerAddress:
    """Where players reach a game server: its default allocation."""

    host: str
    port: int

    def __str__(self) -> str:
        """Return host:port, an IPv6 host in brackets."""
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Server:
    """A game server as listed by the panel."""

    identifier: str
    uuid: str
    name: str
    description: str
    node: str | None
    limits: ServerLimits
    is_owner: bool
    is_suspended: bool
    is_installing: bool
    is_transferring: bool
    is_restoring: bool
    is_node_under_maintenance: bool
    # What the server runs and where players reach it; None where the panel does not say
    # (0.7 lists none of it).
    egg: str | None = None
    docker_image: str | None = None
    address: ServerAddress | None = None
    # What its egg says of the game: the egg's features, the startup command and the startup
    # variables' values (none without startup.read), for telling how to query its players.
    egg_features: tuple[str, ...] = ()
    invocation: str | None = None
    variables: tuple[tuple[str, str], ...] = ()
    # How many backups the server may keep (feature_limits.backups); None where not listed.
    backup_limit: int | None = None

    @property
    def conflict_reason(self) -> ConflictReason | None:
        """Return why the panel refuses this server's routes with 409, from its listed flags.

        In the order AuthenticateServerAccess checks them. The 409's words are no guide: Pelican
        writes them in the panel's language.
        """
        flags = (
            (self.is_suspended, ConflictReason.SUSPENDED),
            (self.is_node_under_maintenance, ConflictReason.NODE_MAINTENANCE),
            (self.is_installing, ConflictReason.INSTALLING),
            (self.is_restoring, ConflictReason.RESTORING),
            (self.is_transferring, ConflictReason.TRANSFERRING),
        )
        return next((reason for flag, reason in flags if flag), None)


@dataclass(frozen=True, slots=True, kw_only=True)
class Utilization:
    """Live usage of one server; None where the API generation does not report a value."""

    state: ServerState
    is_suspended: bool
    memory_bytes: int
    disk_bytes: int
    cpu_percent: float  # % of one core, as the panel reports it (200 = two cores busy)
    network_rx_bytes: int | None
    network_tx_bytes: int | None
    uptime_seconds: float | None
    # 0.7 reports its limits with the usage; 1.x and Pelican only in the server list.
    limits: ServerLimits | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerStats:
    """One Wings `stats` event: bytes, CPU in % of one core, uptime in seconds."""

    state: ServerState
    memory_bytes: int
    cpu_percent: float
    disk_bytes: int
    network_rx_bytes: int
    network_tx_bytes: int
    uptime_seconds: float

    def to_utilization(self, *, is_suspended: bool = False) -> Utilization:
        """Return the same numbers as /resources would; Wings does not know about suspension."""
        return Utilization(
            state=self.state,
            is_suspended=is_suspended,
            memory_bytes=self.memory_bytes,
            disk_bytes=self.disk_bytes,
            cpu_percent=self.cpu_percent,
            network_rx_bytes=self.network_rx_bytes,
            network_tx_bytes=self.network_tx_bytes,
            uptime_seconds=self.uptime_seconds,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class WebsocketCredentials:
    """A short-lived token and the Wings websocket URL it opens."""

    token: str
    socket_url: str
    # The Origin Wings accepts: the panel's own URL, which signs the token as its `iss` claim
    # and which the panel wrote into Wings' configuration. None when the token does not say.
    panel_origin: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RateLimitStatus:
    """The panel's rate-limit headers from the latest response (None until seen)."""

    limit: int | None = None
    remaining: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Backup:
    """One backup of a server, as the panel lists it."""

    uuid: str
    name: str
    is_successful: bool
    is_locked: bool
    size_bytes: int
    created_at: datetime
    completed_at: datetime | None  # None while Wings is still archiving

    @property
    def running(self) -> bool:
        """Return whether Wings has not reported the backup yet."""
        return self.completed_at is None

    @property
    def counts_to_limit(self) -> bool:
        """Return whether the panel counts it against the limit: running, or good."""
        return self.running or self.is_successful


@dataclass(frozen=True, slots=True, kw_only=True)
class BackupCompleted:
    """Wings' `backup completed` event."""

    uuid: str
    is_successful: bool
    size_bytes: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Schedule:
    """One schedule of a server."""

    id: int
    name: str
    cron: str  # minute hour day-of-month month day-of-week, as the panel shows it
    is_active: bool
    is_processing: bool
    next_run_at: datetime | None
    last_run_at: datetime | None
