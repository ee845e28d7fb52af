"""The coordinator: one per panel account; Wings pushes usage, or the panel is polled for it."""

from dataclasses import replace
from datetime import timedelta
from functools import partial
from typing import override

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .api import (
    Account,
    ConnectionState,
    PanelFlavor,
    PowerSignal,
    PterodactylAuthenticationError,
    PterodactylClient,
    PterodactylError,
    PterodactylNotFoundError,
    PterodactylTwoFactorRequiredError,
    Server,
    Utilization,
)
from .const import (
    CONF_UPDATE_INTERVAL,
    DEFAULT_UPDATE_INTERVAL,
    DOMAIN,
    LEGACY_USAGE_RATE_LIMIT,
    LOGGER,
    POWER_ACTION_TIMEOUT,
)
from .devices import async_sync_devices
from .extras import ServerExtras
from .health import ServerHealth
from .helpers import auth_failed_error, update_failed_error
from .issues import (
    async_delete_issue,
    async_raise_two_factor_issue,
    async_update_provided_elsewhere_issue,
    two_factor_issue_id,
)
from .models import PterodactylData, ServerData, log_availability, panel_failure, server_data
from .ownership import async_claim
from .polling import PollPlanner
from .power import PowerTracker
from .push import PushManager
from .pushed import PushedState
from .servers import ServerList

type PterodactylConfigEntry = ConfigEntry[PterodactylCoordinator]


class PterodactylCoordinator(DataUpdateCoordinator[PterodactylData]):
    """One panel account: the server list every few minutes; usage pushed, else polled."""

    config_entry: PterodactylConfigEntry
    account: Account  # read once in _async_setup, before the first update

    def __init__(
        self, hass: HomeAssistant, config_entry: PterodactylConfigEntry, client: PterodactylClient
    ) -> None:
        """Set up the coordinator for an entry."""
        self.planner = PollPlanner(
            timedelta(
                seconds=config_entry.options.get(CONF_UPDATE_INTERVAL, DEFAULT_UPDATE_INTERVAL)
            )
        )
        super().__init__(
            hass,
            LOGGER,
            config_entry=config_entry,
            name=f"{DOMAIN} {client.base_url}",
            update_interval=self.planner.regular_interval,
        )
        self.client = client
        self.server_list = ServerList()
        self.health = ServerHealth(hass, config_entry, self.server_list)
        self.power = PowerTracker(POWER_ACTION_TIMEOUT, self.health)
        self.pushed = PushedState(hass.loop, self, self.power, self._push_connection)
        self.extras = ServerExtras(
            hass,
            config_entry,
            client,
            server_list=self.server_list,
            servers=lambda: self.data.servers if self.data is not None else {},
            pushed=lambda identifier: self.push.is_live(identifier),  # noqa: PLW0108 (made below)
        )
        self.push = PushManager(
            hass,
            config_entry,
            client,
            self.pushed,
            self.extras.console_line if self.extras.wants_console else None,
            backup_completed=self.extras.backups.backup_completed,
            health=self.health.console_line,
        )

    @override
    async def _async_setup(self) -> None:
        """Read the account once; it names the entry's user and the panel flavour."""
        try:
            self.account = await self.client.get_account()
        except PterodactylError as err:
            raise self._update_failed(err) from err

    async def async_start_push(self) -> None:
        """Let Wings push usage from now on; panels before 1.0 have no websocket: poll them."""
        if self.client.flavor is PanelFlavor.LEGACY:
            return
        # The coordinator of an entry is shut down on unload only; its sockets end with Home
        # Assistant too, and their pending writes must not fire after the stop.
        self.config_entry.async_on_unload(
            self.hass.bus.async_listen(EVENT_HOMEASSISTANT_STOP, self._async_stop_push)
        )
        await self.push.async_start(self.server_list.servers)

    @override
    async def async_shutdown(self) -> None:
        """Stop polling and pushing."""
        await super().async_shutdown()
        await self._async_stop_push()

    async def _async_stop_push(self, event: Event | None = None) -> None:
        """Close every websocket and drop the writes still waiting; stop the background reads."""
        self.extras.stop()
        await self.push.async_stop()
        self.pushed.clear()

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
        now = dt_util.utcnow()
        polling_fast = self.update_interval != self.planner.effective_interval
        full = self.data is None or self.planner.full_poll_due(now, polling_fast=polling_fast)
        try:
            if full and self.server_list.due(now):
                await self._async_refresh_server_list()
            limit = self.client.rate_limit.limit
            if self.client.flavor is PanelFlavor.LEGACY:
                limit = LEGACY_USAGE_RATE_LIMIT
            polled = sum(not self.push.is_live(i) for i in self.server_list.servers)
            self.planner.fit(limit, polled, reserved=self.extras.reads_per_minute())
            results = await self.client.get_utilizations(
                self.planner.due(
                    self.server_list.servers,
                    full=full,
                    unread=lambda i: self.data is None or i not in self.data.servers,
                    followed=self.power.followed,
                    live=self.push.is_live,
                )
            )
        except PterodactylError as err:
            raise self._update_failed(err) from err
        if failure := panel_failure(
            results, pushed=any(map(self.push.is_live, self.server_list.servers))
        ):
            raise self._update_failed(failure) from failure
        async_delete_issue(self.hass, two_factor_issue_id(self.config_entry.entry_id))
        if any(isinstance(result, PterodactylNotFoundError) for result in results.values()):
            # Deleted between list and poll: re-read the list next time to remove its device.
            self.server_list.expire()
        self.planner.record(results, loop_time=self.hass.loop.time(), now=now, full=full)
        servers = {
            identifier: (
                self.build_server_data(server, results[identifier])
                if identifier in results
                else replace(
                    self.pushed.latest(identifier) or self.data.servers[identifier], server=server
                )
            )
            for identifier, server in self.server_list.servers.items()
            # A server not read yet, left for a later poll by the budget, has nothing to show.
            if identifier in results or (self.data is not None and identifier in self.data.servers)
        }
        self.power.keep_only(servers)
        self.update_interval = self._poll_interval()
        # This update writes every server: pushed usage waiting for its turn is in it.
        self.pushed.clear()
        return PterodactylData(account=self.account, servers=servers)

    async def _async_refresh_server_list(self) -> None:
        """Re-read the list; remove the devices of servers gone, rename those renamed."""
        entry_id = self.config_entry.entry_id
        gone = await self.server_list.refresh(
            self.client, dt_util.utcnow(), partial(async_claim, self.hass, entry_id)
        )
        async_update_provided_elsewhere_issue(
            self.hass, entry_id, self.server_list.elsewhere.values()
        )
        for identifier in gone:
            self.power.end(identifier)
            self.planner.forget(identifier)
            self.pushed.forget(identifier)
            self.extras.forget(identifier)
            self.health.forget(identifier)
        async_sync_devices(self.hass, entry_id, gone, self.server_list.servers)
        await self.push.async_sync(self.server_list.servers)

    def _update_failed(self, err: PterodactylError) -> ConfigEntryAuthFailed | UpdateFailed:
        """Map a failed update: reauthentication, or a failure (2FA with a repair issue)."""
        if isinstance(err, PterodactylAuthenticationError):
            return auth_failed_error(err)
        if isinstance(err, PterodactylTwoFactorRequiredError):
            # Only the user can fix it, on the panel: say where, in Repairs, until it is done.
            async_raise_two_factor_issue(
                self.hass,
                self.config_entry.entry_id,
                self.client.base_url,
                self.client.account_url(),
            )
        return update_failed_error(err)

    def build_server_data(
        self, server: Server, result: Utilization | PterodactylError
    ) -> ServerData:
        """Combine the listed server with its usage, showing a power action under way."""
        previous = self.pushed.latest(server.identifier)
        now = dt_util.utcnow()
        if not isinstance(result, PterodactylError):
            result = self.power.apply(server.identifier, result, now)
        data = server_data(server, result, previous, now)
        self.health.observe(previous, data, live=self.push.is_live(server.identifier))
        log_availability(previous, data, result)
        return data

    def _poll_interval(self) -> timedelta:
        """Return the interval: the full polls', or shorter while polled servers change power."""
        # Wings reports a pushed server's every step, so its actions need no polling at all.
        return self.planner.poll_interval(
            sum(not self.push.is_live(identifier) for identifier in self.power.followed)
        )

    async def async_send_power_signal(self, identifier: str, signal: PowerSignal) -> None:
        """Send a power signal, show its expected effect at once, then follow the panel."""
        await self.client.send_power_signal(identifier, signal)
        current = self.data.servers.get(identifier)
        utilization = current.utilization if current is not None else None
        action = self.power.start(identifier, signal, utilization, dt_util.utcnow())
        live = self.push.is_live(identifier)
        if not live:
            # Read at the next fast poll, not at once: a read per signal would read every
            # followed server again, and a "stop all" would flood the panel's rate limit.
            self.update_interval = self._poll_interval()
            self._schedule_refresh()
        if current is not None and utilization is not None:
            interim = current.showing(action.effect.interim)
            if live:
                self.pushed.publish(identifier, interim, at_once=True)
            else:
                self.async_set_updated_data(
                    replace(self.data, servers={**self.data.servers, identifier: interim})
                )

    async def async_send_command(self, identifier: str, command: str) -> None:
        """Send a console command; a server Wings pushes is known to be up or not already."""
        latest = self.pushed.latest(identifier) if self.push.is_live(identifier) else None
        state = latest.utilization.state if latest and latest.utilization else None
        await self.client.send_command(identifier, command, state=state)

    # What the panel's state says of push, and what the pushed data is applied to.

    @callback
    def _push_connection(self, identifier: str, state: ConnectionState) -> None:
        """Poll a server whose socket failed at once, instead of after the interval."""
        if state is not ConnectionState.DISCONNECTED:
            self.planner.fallen_back.discard(identifier)
            return
        # Only this server is read now: a wave of drops (a Wings restart) is no burst.
        self.planner.fallen_back.add(identifier)
        self.config_entry.async_create_background_task(
            self.hass, self.async_request_refresh(), f"pterodactyl fallback {identifier}"
        )

    def current_server_data(self, identifier: str) -> ServerData | None:
        """Return a server's data as last written."""
        return self.data.servers.get(identifier) if self.data is not None else None

    def write_server_data(self, identifier: str, data: ServerData) -> bool:
        """Replace a server's data without touching the others; False when it has none."""
        if self.data is None or identifier not in self.data.servers:
            return False
        # Not async_set_updated_data: that would also put off the next poll of the other servers.
        self.data = replace(self.data, servers={**self.data.servers, identifier: data})
        return True

    def listed_server(self, identifier: str) -> Server | None:
        """Return the server as the panel lists it, None when it does not."""
        return self.server_list.servers.get(identifier)
