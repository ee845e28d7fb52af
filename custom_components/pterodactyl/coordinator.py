"""The coordinator: one per panel account; Wings pushes usage, or the panel is polled for it."""

import asyncio
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
import math
from typing import override

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .api import (
    SAFE_WINDOW,
    Account,
    ConflictReason,
    ConnectionState,
    PanelFlavor,
    PowerSignal,
    PterodactylAuthenticationError,
    PterodactylClient,
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
    ServerStats,
    Utilization,
)
from .const import (
    CONF_UPDATE_INTERVAL,
    DEFAULT_UPDATE_INTERVAL,
    DOMAIN,
    LEGACY_USAGE_RATE_LIMIT,
    LOGGER,
    POWER_ACTION_TIMEOUT,
    PUSH_WRITE_INTERVAL,
    RATE_LIMIT_SHARE,
    SERVER_LIST_INTERVAL,
    TRANSITION_POLL_INTERVAL,
)
from .helpers import auth_failed_error, update_failed_error
from .push import PushManager

type PterodactylConfigEntry = ConfigEntry[PterodactylCoordinator]


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


_STATUS_OF_STATE = {
    ServerState.OFFLINE: ServerStatus.OFFLINE,
    ServerState.STARTING: ServerStatus.STARTING,
    ServerState.RUNNING: ServerStatus.RUNNING,
    ServerState.STOPPING: ServerStatus.STOPPING,
}
_STATUS_OF_CONFLICT = {
    ConflictReason.SUSPENDED: ServerStatus.SUSPENDED,
    ConflictReason.INSTALLING: ServerStatus.INSTALLING,
    ConflictReason.TRANSFERRING: ServerStatus.TRANSFERRING,
    ConflictReason.RESTORING: ServerStatus.RESTORING_BACKUP,
    ConflictReason.NODE_MAINTENANCE: ServerStatus.NODE_MAINTENANCE,
}
# Errors that concern one server; any other error on every server means the panel is failing.
_SERVER_ERRORS = (
    PterodactylConflictError,
    PterodactylNodeUnavailableError,
    PterodactylNotFoundError,
    PterodactylForbiddenError,
)
# Pterodactyl caches usage for 20 s, and polls jitter: the boot time computed from the uptime
# drifts by that much between polls. A real reboot moves it by the whole previous uptime.
_BOOT_TIME_TOLERANCE = timedelta(seconds=45)


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


@dataclass(frozen=True, slots=True, kw_only=True)
class PterodactylData:
    """The coordinator's data: the account and its servers by identifier."""

    account: Account
    servers: dict[str, ServerData]


@dataclass(slots=True, kw_only=True)
class _PowerAction:
    """A power action being followed until the panel shows its outcome (or time runs out)."""

    # States that prove the panel has acted on the signal; until then `interim` is shown.
    acknowledged_by: frozenset[ServerState]
    interim: ServerState
    # The state the action ends in: fast polling lasts until the panel reports it.
    settled: ServerState
    deadline: datetime
    uptime_before: float | None
    acknowledged: bool = field(default=False)

    def is_acknowledged_by(self, utilization: Utilization) -> bool:
        """Say whether this usage shows the panel has acted (a restart shows as a fresh uptime)."""
        restarted = (
            self.uptime_before is not None
            and utilization.uptime_seconds is not None
            and utilization.uptime_seconds < self.uptime_before
        )
        return restarted or utilization.state in self.acknowledged_by


_UP = frozenset({ServerState.STARTING, ServerState.RUNNING})
_DOWN = frozenset({ServerState.STOPPING, ServerState.OFFLINE})


def _power_action(
    signal: PowerSignal, current: Utilization | None, deadline: datetime
) -> _PowerAction:
    """Describe what a power signal will do to a server, given its state before the signal."""
    uptime = current.uptime_seconds if current is not None else None
    if signal is PowerSignal.START or (
        signal is PowerSignal.RESTART and (current is None or current.state is ServerState.OFFLINE)
    ):
        return _PowerAction(
            acknowledged_by=_UP,
            interim=ServerState.STARTING,
            settled=ServerState.RUNNING,
            deadline=deadline,
            uptime_before=uptime,
        )
    if signal is PowerSignal.RESTART:
        # Wings stops, then starts: any step away from the old process proves it acted.
        return _PowerAction(
            acknowledged_by=frozenset({ServerState.STOPPING, ServerState.STARTING}),
            interim=ServerState.STARTING,
            settled=ServerState.RUNNING,
            deadline=deadline,
            uptime_before=uptime,
        )
    if signal is PowerSignal.STOP:
        return _PowerAction(
            acknowledged_by=_DOWN,
            interim=ServerState.STOPPING,
            settled=ServerState.OFFLINE,
            deadline=deadline,
            uptime_before=None,
        )
    return _PowerAction(
        acknowledged_by=frozenset({ServerState.OFFLINE}),
        interim=ServerState.OFFLINE,
        settled=ServerState.OFFLINE,
        deadline=deadline,
        uptime_before=None,
    )


def _fitting_interval(requests_per_minute: int, per_poll: int) -> timedelta:
    """Return the shortest interval at which polls of `per_poll` requests fit a minute's share."""
    # A poll sends its requests at once: fit whole polls into each window of the limit. Home
    # Assistant starts polls at whole seconds plus a fixed fraction, so with a whole-second
    # interval longer than window / polls no window ever holds one poll more. The client's
    # pacing minute (SAFE_WINDOW) is a second longer than the panel's: fitting polls to it
    # means pacing never holds a regular poll back.
    polls = requests_per_minute // min(per_poll, requests_per_minute)
    return timedelta(seconds=math.floor(SAFE_WINDOW / polls) + 1)


class PterodactylCoordinator(DataUpdateCoordinator[PterodactylData]):
    """One panel account: the server list every few minutes; usage pushed, else polled."""

    config_entry: PterodactylConfigEntry
    account: Account  # read once in _async_setup, before the first update

    def __init__(
        self, hass: HomeAssistant, config_entry: PterodactylConfigEntry, client: PterodactylClient
    ) -> None:
        """Set up the coordinator for an entry."""
        self.regular_interval = timedelta(
            seconds=config_entry.options.get(CONF_UPDATE_INTERVAL, DEFAULT_UPDATE_INTERVAL)
        )
        super().__init__(
            hass,
            LOGGER,
            config_entry=config_entry,
            name=f"{DOMAIN} {client.base_url}",
            update_interval=self.regular_interval,
        )
        self.client = client
        self._servers: dict[str, Server] = {}
        self._servers_listed_at: datetime | None = None
        self._actions: dict[str, _PowerAction] = {}
        # Servers whose socket dropped and that are not read since: the next update reads them.
        self._fallen_back: set[str] = set()
        self._next_full_poll: datetime | None = None
        # The interval between full polls, lengthened when the panel's rate limit requires it.
        self.effective_interval = self.regular_interval
        # Requests a minute polling may use; None until the panel's limit is known.
        self.budget: int | None = None
        # The rest of the limit: reads between full polls (power actions, fallbacks) fit in it.
        self._headroom: int | None = None
        # When each server's usage was last read (loop time): the budget reads the oldest first.
        self._read_at: dict[str, float] = {}
        self.push = PushManager(self)
        # Pushed usage waiting for its server's next write (see PUSH_WRITE_INTERVAL).
        self._pending: dict[str, ServerData] = {}
        self._written_at: dict[str, float] = {}
        self._write_timers: dict[str, asyncio.TimerHandle] = {}
        # The entities of each server, updated alone when its pushed data is written.
        self._server_listeners: dict[str, list[CALLBACK_TYPE]] = {}

    @override
    async def _async_setup(self) -> None:
        """Read the account once; it names the entry's user and the panel flavour."""
        try:
            self.account = await self.client.get_account()
        except PterodactylAuthenticationError as err:
            raise auth_failed_error(err) from err
        except PterodactylError as err:
            raise update_failed_error(err) from err

    async def async_start_push(self) -> None:
        """Let Wings push usage from now on; panels before 1.0 have no websocket: poll them."""
        if self.client.flavor is PanelFlavor.LEGACY:
            return
        # The coordinator of an entry is shut down on unload only; its sockets end with Home
        # Assistant too, and their pending writes must not fire after the stop.
        self.config_entry.async_on_unload(
            self.hass.bus.async_listen(EVENT_HOMEASSISTANT_STOP, self._async_stop_push)
        )
        await self.push.async_start(self._servers)

    @override
    async def async_shutdown(self) -> None:
        """Stop polling and pushing."""
        await super().async_shutdown()
        await self._async_stop_push()

    async def _async_stop_push(self, event: Event | None = None) -> None:
        """Close every websocket and drop the writes still waiting."""
        await self.push.async_stop()
        self._cancel_pending_writes()

    @callback
    @override
    def _async_refresh_finished(self) -> None:
        """Once an update succeeds, keep the last failure (diagnostics) without its traceback."""
        # Home Assistant keeps the last failure until the next one; the frames of its traceback
        # hold that update's answer for every server, hundreds of kilobytes on a big panel.
        if self.last_update_success and self.last_exception is not None:
            self.last_exception = self.last_exception.with_traceback(None)

    @override
    async def _async_update_data(self) -> PterodactylData:
        """Read the server list when due, then the usage of the servers that Wings does not push."""
        full = self._full_poll_due()
        try:
            if full and self._server_list_due():
                await self._async_refresh_server_list()
            self._fit_rate_limit()
            results = await self.client.get_utilizations(self._due(full))
        except PterodactylAuthenticationError as err:
            raise auth_failed_error(err) from err
        except PterodactylError as err:
            raise self._update_failed(err) from err
        self._raise_for_panel_failure(results)
        ir.async_delete_issue(self.hass, DOMAIN, two_factor_issue_id(self.config_entry.entry_id))
        if any(isinstance(result, PterodactylNotFoundError) for result in results.values()):
            # Deleted between list and poll: re-read the list next time to remove its device.
            self._servers_listed_at = None
        if full:
            self._next_full_poll = dt_util.utcnow() + self.effective_interval
        for identifier in results:
            self._read_at[identifier] = self.hass.loop.time()
        self._fallen_back.difference_update(results)
        servers = {
            identifier: (
                self._server_data(server, results[identifier])
                if identifier in results
                else replace(
                    self._pending.get(identifier, self.data.servers[identifier]), server=server
                )
            )
            for identifier, server in self._servers.items()
            # A server not read yet, left for a later poll by the budget, has nothing to show.
            if identifier in results or (self.data is not None and identifier in self.data.servers)
        }
        self._follow_power_actions(servers)
        # This update writes every server: pushed usage waiting for its turn is in it.
        self._cancel_pending_writes()
        return PterodactylData(account=self.account, servers=servers)

    def _due(self, full: bool) -> list[str]:
        """Return the servers to read now, no more than the rate limit allows in one poll."""
        # Between full polls only the servers under a power action are read: fast polling
        # then costs one request per changing server, not one per server on the panel.
        due = (
            [
                i
                for i in self._servers
                if i not in self.data.servers
                or (
                    (full or i in self._actions or i in self._fallen_back)
                    and not self.push.is_live(i)
                )
            ]
            if self.data is not None
            else list(self._servers)
        )
        # A poll between full polls is paid from the headroom, not from the full polls' budget.
        cap = self.budget if full else self._headroom
        if cap is None or len(due) <= cap:
            return due
        # More servers than a poll may read: each poll reads the least recently read ones.
        return sorted(due, key=lambda i: self._read_at.get(i, -math.inf))[:cap]

    def _full_poll_due(self) -> bool:
        """Say whether every server's usage is due, rather than only those changing power state."""
        return (
            self.data is None
            or not (self._polling_fast or self._fallen_back)
            or self._next_full_poll is None
            or dt_util.utcnow() >= self._next_full_poll
        )

    def _server_list_due(self) -> bool:
        """Say whether the server list must be re-read: it is old, or there is nothing to poll."""
        return (
            self._servers_listed_at is None
            or not self._servers
            or dt_util.utcnow() - self._servers_listed_at >= SERVER_LIST_INTERVAL
        )

    async def _async_refresh_server_list(self) -> None:
        """Re-read the list; remove the devices of servers deleted on the panel."""
        listed = {server.identifier: server for server in await self.client.list_servers()}
        self._servers_listed_at = dt_util.utcnow()
        if gone := self._servers.keys() - listed.keys():
            registry = dr.async_get(self.hass)
            for identifier in gone:
                self._actions.pop(identifier, None)
                self._read_at.pop(identifier, None)
                self._written_at.pop(identifier, None)
                self._fallen_back.discard(identifier)
                if device := registry.async_get_device_by_identifier(
                    (DOMAIN, identifier), self.config_entry.entry_id
                ):
                    LOGGER.info("Server %s is gone from the panel; removing its device", identifier)
                    registry.async_remove_device(device.id)
        self._servers = listed
        await self.push.async_sync(listed)

    def _fit_rate_limit(self) -> None:
        """Lengthen the interval so that polling every server Wings does not push fits the limit."""
        limit = (
            LEGACY_USAGE_RATE_LIMIT
            if self.client.flavor is PanelFlavor.LEGACY
            else self.client.rate_limit.limit
        )
        if limit is None:
            return
        self.budget = max(1, math.floor(limit * RATE_LIMIT_SHARE))
        self._headroom = max(1, limit - self.budget)
        polled = sum(not self.push.is_live(identifier) for identifier in self._servers)
        interval = self.regular_interval
        if polled:
            interval = max(interval, _fitting_interval(self.budget, polled))
        if interval != self.effective_interval and interval > self.regular_interval:
            LOGGER.info(
                "Polling %d servers every %d s to stay within the panel's %d requests a minute",
                polled,
                interval.total_seconds(),
                limit,
            )
        self.effective_interval = interval

    def _raise_for_panel_failure(self, results: dict[str, Utilization | PterodactylError]) -> None:
        """Turn errors that concern the whole panel, not one server, into an update failure."""
        errors = [result for result in results.values() if isinstance(result, PterodactylError)]
        for error in errors:
            if isinstance(error, PterodactylAuthenticationError):
                raise auth_failed_error(error) from error
            # The limit is per key, and 2FA per account: every server is refused until it clears.
            if isinstance(error, (PterodactylRateLimitError, PterodactylTwoFactorRequiredError)):
                raise self._update_failed(error) from error
        # Only when no server answered, for no reason of its own, is the panel itself failing;
        # servers pushed by Wings still speak, so then the failing ones are unreachable instead.
        if (
            errors
            and len(errors) == len(results)
            and not any(isinstance(error, _SERVER_ERRORS) for error in errors)
            and not any(self.push.is_live(identifier) for identifier in self._servers)
        ):
            raise self._update_failed(errors[0]) from errors[0]

    def _update_failed(self, err: PterodactylError) -> UpdateFailed:
        """Build an update failure; an account without the panel's required 2FA gets an issue."""
        if isinstance(err, PterodactylTwoFactorRequiredError):
            # Only the user can fix it, on the panel: say where, in Repairs, until it is done.
            account_url = self.client.account_url()
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                two_factor_issue_id(self.config_entry.entry_id),
                is_fixable=False,
                severity=ir.IssueSeverity.ERROR,
                learn_more_url=account_url,
                translation_key="two_factor_required",
                translation_placeholders={"url": self.client.base_url, "account_url": account_url},
            )
        return update_failed_error(err)

    def _server_data(self, server: Server, result: Utilization | PterodactylError) -> ServerData:
        """Combine the listed server with its usage, or with why there is none."""
        previous = self._latest(server.identifier)
        if isinstance(result, PterodactylError):
            data = ServerData(server=server, utilization=None, status=_error_status(server, result))
        else:
            utilization = self._apply_power_action(server.identifier, result)
            if utilization.is_suspended:
                data = ServerData(server=server, utilization=None, status=ServerStatus.SUSPENDED)
            else:
                data = ServerData(
                    server=server,
                    utilization=utilization,
                    status=_STATUS_OF_STATE[utilization.state],
                    started_at=_started_at(utilization, previous),
                )
        _log_availability(server, previous, data, result)
        return data

    def _apply_power_action(self, identifier: str, utilization: Utilization) -> Utilization:
        """Keep showing a power action's effect until the panel reports it (its stats lag)."""
        action = self._actions.get(identifier)
        if action is None:
            return utilization
        if dt_util.utcnow() >= action.deadline:
            del self._actions[identifier]
            return utilization
        if not action.acknowledged:
            if not action.is_acknowledged_by(utilization):
                return replace(utilization, state=action.interim)
            action.acknowledged = True
        if utilization.state is action.settled:
            del self._actions[identifier]
        return utilization

    def _follow_power_actions(self, servers: dict[str, ServerData]) -> None:
        """Poll fast while a power action is under way, else at the full polls' interval."""
        for identifier in self._actions.keys() - servers.keys():
            del self._actions[identifier]
        self.update_interval = self._poll_interval()

    def _poll_interval(self) -> timedelta:
        """Return the interval between polls: the full polls', or shorter after power actions."""
        # Only actions sent from here speed polling up: a server stuck 'starting' (a game whose
        # ready line the egg does not match) would otherwise keep every server polled fast.
        # Wings reports a pushed server's every step, so its actions need no polling at all.
        followed = sum(not self.push.is_live(identifier) for identifier in self._actions)
        if not followed:
            return self.effective_interval
        interval = TRANSITION_POLL_INTERVAL
        if self._headroom is not None:
            # Fast polls use only what the full polls leave of the limit: many actions at once
            # (a "stop all") are followed less often; on 0.7, 3 of its 15 reads: every 21 s.
            interval = max(interval, _fitting_interval(self._headroom, followed))
        # No slower than the full polls, which read the followed servers too.
        return min(interval, self.effective_interval)

    @property
    def _polling_fast(self) -> bool:
        """Say whether polls between the full ones read the servers under a power action."""
        return self.update_interval != self.effective_interval

    async def async_send_power_signal(self, identifier: str, signal: PowerSignal) -> None:
        """Send a power signal, show its expected effect at once, then follow the panel."""
        await self.client.send_power_signal(identifier, signal)
        current = self.data.servers.get(identifier)
        utilization = current.utilization if current is not None else None
        action = _power_action(signal, utilization, dt_util.utcnow() + POWER_ACTION_TIMEOUT)
        self._actions[identifier] = action
        live = self.push.is_live(identifier)
        if not live:
            # Read at the next fast poll, not at once: a read per signal would read every
            # followed server again, and a "stop all" would flood the panel's rate limit.
            self.update_interval = self._poll_interval()
            self._schedule_refresh()
        if current is not None and utilization is not None:
            interim = replace(
                current,
                utilization=replace(utilization, state=action.interim),
                status=_STATUS_OF_STATE[action.interim],
            )
            if live:
                self._async_publish(identifier, interim, at_once=True)
            else:
                servers = dict(self.data.servers)
                servers[identifier] = interim
                self.async_set_updated_data(replace(self.data, servers=servers))

    async def async_send_command(self, identifier: str, command: str) -> None:
        """Send a console command; a server Wings pushes is known to be up or not already."""
        latest = self._latest(identifier) if self.push.is_live(identifier) else None
        state = latest.utilization.state if latest and latest.utilization else None
        await self.client.send_command(identifier, command, state=state)

    # Push: the websocket callbacks, run in the event loop.

    @callback
    def async_push_state(self, identifier: str, state: ServerState) -> None:
        """Show a pushed power state at once; it is the panel's truth, ending any power action."""
        # Wings sends `status` only on a change, in order with everything else on the socket,
        # so it is never older than a signal sent before it was seen.
        self._actions.pop(identifier, None)
        server = self._servers.get(identifier)
        latest = self._latest(identifier)
        if server is None or latest is None or latest.utilization is None:
            # Nothing to show the state with yet: the stats that follow every first status do.
            return
        self._async_publish(
            identifier,
            self._server_data(server, replace(latest.utilization, state=state)),
            at_once=True,
        )
        if state is ServerState.OFFLINE:
            # Wings stops sending stats with the process: ask once for the zeroed usage.
            self.config_entry.async_create_background_task(
                self.hass,
                self.push.async_request_stats(identifier),
                f"pterodactyl stats {identifier}",
            )

    @callback
    def async_push_stats(self, identifier: str, stats: ServerStats) -> None:
        """Apply pushed usage, written at once only when the power state changes."""
        server = self._servers.get(identifier)
        if server is None:
            return
        latest = self._latest(identifier)
        data = self._server_data(server, stats.to_utilization(is_suspended=server.is_suspended))
        self._async_publish(
            identifier, data, at_once=latest is None or latest.status is not data.status
        )

    @callback
    def async_push_connection(self, identifier: str, state: ConnectionState) -> None:
        """Poll a server whose socket failed at once, instead of after the interval."""
        if state is not ConnectionState.DISCONNECTED:
            self._fallen_back.discard(identifier)
        else:
            # Only this server is read now: a wave of drops (a Wings restart) is no burst.
            self._fallen_back.add(identifier)
            self.config_entry.async_create_background_task(
                self.hass, self.async_request_refresh(), f"pterodactyl fallback {identifier}"
            )

    def _latest(self, identifier: str) -> ServerData | None:
        """Return the newest data of a server, pushed but not yet written included."""
        if identifier in self._pending:
            return self._pending[identifier]
        return self.data.servers.get(identifier) if self.data is not None else None

    @callback
    def _async_publish(self, identifier: str, data: ServerData, *, at_once: bool) -> None:
        """Write pushed data now, or when the server's write interval has passed."""
        self._pending[identifier] = data
        due = self._written_at.get(identifier, -PUSH_WRITE_INTERVAL) + PUSH_WRITE_INTERVAL
        if at_once or self.hass.loop.time() >= due:
            self._async_write(identifier)
        elif identifier not in self._write_timers:
            self._write_timers[identifier] = self.hass.loop.call_at(
                due, self._async_write, identifier
            )

    @callback
    def _async_write(self, identifier: str) -> None:
        """Put a server's pending data into the coordinator's data and update the entities."""
        if (timer := self._write_timers.pop(identifier, None)) is not None:
            timer.cancel()
        data = self._pending.pop(identifier, None)
        if data is None or identifier not in self.data.servers:
            return
        self._written_at[identifier] = self.hass.loop.time()
        # Not async_set_updated_data: that would also put off the next poll of the other servers.
        self.data = replace(self.data, servers={**self.data.servers, identifier: data})
        # Only this server's entities: writing every entity of the panel for each push would cost
        # Home Assistant servers x entities state writes every few seconds.
        for listener in list(self._server_listeners.get(identifier, ())):
            listener()

    @callback
    def async_add_server_listener(
        self, identifier: str, update_callback: CALLBACK_TYPE
    ) -> CALLBACK_TYPE:
        """Call `update_callback` when pushed data of this server is written; return the remover."""
        listeners = self._server_listeners.setdefault(identifier, [])
        listeners.append(update_callback)

        @callback
        def remove_listener() -> None:
            listeners.remove(update_callback)
            if not listeners:
                del self._server_listeners[identifier]

        return remove_listener

    def _cancel_pending_writes(self) -> None:
        """Forget pending pushed data, which the update being made contains."""
        for timer in self._write_timers.values():
            timer.cancel()
        self._write_timers.clear()
        self._pending.clear()


def two_factor_issue_id(entry_id: str) -> str:
    """Return the ID of the repair issue raised while the panel demands 2FA of the account."""
    return f"two_factor_required_{entry_id}"


def _error_status(server: Server, error: PterodactylError) -> ServerStatus:
    """Say why a server has no usage: its listed flags, then the words of a 409 as a hint."""
    reason = server.conflict_reason
    if reason is None and isinstance(error, PterodactylConflictError):
        # Newer than the listing, but only English words are understood (Pelican translates).
        reason = error.reason
    if reason is None:
        return ServerStatus.UNREACHABLE
    return _STATUS_OF_CONFLICT.get(reason, ServerStatus.UNREACHABLE)


def _started_at(utilization: Utilization, previous: ServerData | None) -> datetime | None:
    """Return when the process started, stable across polls so the state changes only on boot."""
    if utilization.uptime_seconds is None or utilization.uptime_seconds <= 0:
        return None
    started_at = dt_util.utcnow() - timedelta(seconds=utilization.uptime_seconds)
    if (
        previous is not None
        and previous.started_at is not None
        and abs(started_at - previous.started_at) < _BOOT_TIME_TOLERANCE
    ):
        return previous.started_at
    return started_at


def _log_availability(
    server: Server,
    previous: ServerData | None,
    data: ServerData,
    result: Utilization | PterodactylError,
) -> None:
    """Log once when a server's usage becomes unreadable, and once when it is back."""
    if previous is None:
        return
    if previous.utilization is not None and data.utilization is None:
        LOGGER.info("Usage of server %s is unavailable: %s", server.name, data.status)
        if isinstance(result, PterodactylError):
            LOGGER.debug("Server %s: %s", server.name, result)
    elif previous.utilization is None and data.utilization is not None:
        LOGGER.info("Usage of server %s is available again", server.name)
