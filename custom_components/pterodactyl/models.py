"""What is known of each game server, and how its status is told; no Home Assistant here."""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from .api import (
    Account,
    ConflictReason,
    PterodactylAuthenticationError,
    PterodactylConflictError,
    PterodactylError,
    PterodactylForbiddenError,
    PterodactylNodeUnavailableError,
    PterodactylNotFoundError,
    PterodactylRateLimitError,
    PterodactylTwoFactorRequiredError,
    Server,
    ServerLimits,
    ServerState,
    Utilization,
)
from .const import LOGGER


class ServerStatus(StrEnum):
    """What the state sensor shows: the power state, or why there is none."""

    OFFLINE = "offline"
    STARTING = "starting"
    RUNNING = "running"
    STOPPING = "stopping"
    SUSPENDED = "suspended"
    INSTALLING = "installing"
    TRANSFERRING = "transferring"
    RESTORING_BACKUP = "restoring_backup"
    NODE_MAINTENANCE = "node_maintenance"
    # Not "unavailable": Home Assistant reads that state as the entity itself being unavailable.
    UNREACHABLE = "unreachable"


STATUS_OF_STATE: Final = {
    ServerState.OFFLINE: ServerStatus.OFFLINE,
    ServerState.STARTING: ServerStatus.STARTING,
    ServerState.RUNNING: ServerStatus.RUNNING,
    ServerState.STOPPING: ServerStatus.STOPPING,
}
_STATUS_OF_CONFLICT: Final = {
    ConflictReason.SUSPENDED: ServerStatus.SUSPENDED,
    ConflictReason.INSTALLING: ServerStatus.INSTALLING,
    ConflictReason.TRANSFERRING: ServerStatus.TRANSFERRING,
    ConflictReason.RESTORING: ServerStatus.RESTORING_BACKUP,
    ConflictReason.NODE_MAINTENANCE: ServerStatus.NODE_MAINTENANCE,
}
# The panel refuses to tell the power state: the node is down or busy with the server, which may
# be running all the same.
POWER_UNKNOWN: Final = frozenset(
    {
        ServerStatus.UNREACHABLE,
        ServerStatus.TRANSFERRING,
        ServerStatus.RESTORING_BACKUP,
        ServerStatus.NODE_MAINTENANCE,
    }
)
# Errors that concern one server; any other error on every server means the panel is failing.
_SERVER_ERRORS: Final = (
    PterodactylConflictError,
    PterodactylNodeUnavailableError,
    PterodactylNotFoundError,
    PterodactylForbiddenError,
)
# Errors of the key or the account: every server is refused until they clear.
_ACCOUNT_ERRORS: Final = (
    PterodactylAuthenticationError,
    PterodactylRateLimitError,
    PterodactylTwoFactorRequiredError,
)
# Pterodactyl caches usage for 20 s, and polls jitter: the boot time computed from the uptime
# drifts by that much between polls. A real reboot moves it by the whole previous uptime.
_BOOT_TIME_TOLERANCE: Final = timedelta(seconds=45)


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerData:
    """Everything known about one server after an update."""

    server: Server
    utilization: Utilization | None
    status: ServerStatus
    # When the running process started; None while offline or when the panel does not say.
    started_at: datetime | None = None

    @property
    def limits(self) -> ServerLimits:
        """Return the limits, preferring the ones reported with the usage (0.7)."""
        if self.utilization is not None and self.utilization.limits is not None:
            return self.utilization.limits
        return self.server.limits

    def showing(self, state: ServerState) -> ServerData:
        """Return this data showing another power state (a power action's interim one)."""
        if self.utilization is None:
            return self
        return replace(
            self, utilization=replace(self.utilization, state=state), status=STATUS_OF_STATE[state]
        )

    @property
    def power_known(self) -> bool:
        """Return False when the panel cannot tell the power state (node down or busy)."""
        return self.status not in POWER_UNKNOWN


@dataclass(frozen=True, slots=True, kw_only=True)
class PterodactylData:
    """The coordinator's data: the account and its servers by identifier."""

    account: Account
    servers: dict[str, ServerData]


def server_data(
    server: Server,
    result: Utilization | PterodactylError,
    previous: ServerData | None,
    now: datetime,
) -> ServerData:
    """Combine a listed server with its usage, or with why there is none."""
    if isinstance(result, PterodactylError):
        return ServerData(server=server, utilization=None, status=_status_of_error(server, result))
    if result.is_suspended:
        return ServerData(server=server, utilization=None, status=ServerStatus.SUSPENDED)
    return ServerData(
        server=server,
        utilization=result,
        status=STATUS_OF_STATE[result.state],
        started_at=_started_at(result, previous, now),
    )


def _status_of_error(server: Server, error: PterodactylError) -> ServerStatus:
    """Say why a server has no usage: its listed flags, then the words of a 409 as a hint."""
    reason = server.conflict_reason
    if reason is None and isinstance(error, PterodactylConflictError):
        # Newer than the listing, but only English words are understood (Pelican translates).
        reason = error.reason
    if reason is None:
        return ServerStatus.UNREACHABLE
    return _STATUS_OF_CONFLICT.get(reason, ServerStatus.UNREACHABLE)


def _started_at(
    utilization: Utilization, previous: ServerData | None, now: datetime
) -> datetime | None:
    """Return when the process started, stable across polls so the state changes only on boot."""
    if utilization.uptime_seconds is None or utilization.uptime_seconds <= 0:
        return None
    started_at = now - timedelta(seconds=utilization.uptime_seconds)
    if (
        previous is not None
        and previous.started_at is not None
        and abs(started_at - previous.started_at) < _BOOT_TIME_TOLERANCE
    ):
        return previous.started_at
    return started_at


def panel_failure(
    results: dict[str, Utilization | PterodactylError], *, pushed: bool
) -> PterodactylError | None:
    """Return the error among a poll's results that concerns the whole panel, not one server."""
    errors = [result for result in results.values() if isinstance(result, PterodactylError)]
    if account_error := next((e for e in errors if isinstance(e, _ACCOUNT_ERRORS)), None):
        return account_error
    # Only when no server answered, for no reason of its own, is the panel itself failing;
    # servers pushed by Wings still speak, so then the failing ones are unreachable instead.
    if (
        errors
        and len(errors) == len(results)
        and not any(isinstance(error, _SERVER_ERRORS) for error in errors)
        and not pushed
    ):
        return errors[0]
    return None


def log_availability(
    previous: ServerData | None, data: ServerData, result: Utilization | PterodactylError
) -> None:
    """Log once when a server's usage becomes unreadable, and once when it is back."""
    if previous is None or (previous.utilization is None) == (data.utilization is None):
        return
    name = data.server.name
    if data.utilization is None:
        LOGGER.info("Usage of server %s is unavailable: %s", name, data.status)
        LOGGER.debug("Server %s: %s", name, result)
    else:
        LOGGER.info("Usage of server %s is available again", name)
