"""What an entry keeps of each server besides usage and power: console, players and work."""

from collections.abc import Callable, Mapping

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant

from .api import PterodactylClient
from .backups import BackupTracker
from .console import ConsoleEvents
from .const import CONF_CONSOLE_EVENTS
from .models import ServerData
from .player_events import PlayerEvents
from .players import PlayerTracker
from .schedules import ScheduleTracker
from .servers import ServerList


class ServerExtras:
    """The per-server trackers beside the coordinator's data, started and stopped together."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        client: PterodactylClient,
        *,
        server_list: ServerList,
        servers: Callable[[], Mapping[str, ServerData]],
        pushed: Callable[[str], bool],
    ) -> None:
        """Track the servers `servers` returns; `pushed` tells which Wings pushes."""
        self.console = (
            ConsoleEvents(hass, entry.entry_id, server_list)
            if entry.options.get(CONF_CONSOLE_EVENTS, False)
            else None
        )
        self.players = PlayerTracker(
            hass, servers, PlayerEvents(hass, entry.entry_id, server_list), entry.options
        )
        self.backups = BackupTracker(
            hass,
            entry.entry_id,
            client,
            server_list=server_list,
            servers=servers,
            pushed=pushed,
        )
        self.schedules = ScheduleTracker(hass, client, servers)

    @property
    def wants_console(self) -> bool:
        """Return whether console lines are read: for console events, and the joins they tell."""
        return self.console is not None

    def console_line(self, identifier: str, line: str) -> None:
        """Fire a console line as an event, and as a player's join or leave when it tells one."""
        if self.console is not None:
            self.console.line(identifier, line)
        self.players.console_line(identifier, line)

    def start(self) -> None:
        """Start the player queries, and the backup and schedule reads."""
        self.players.async_start()
        self.backups.async_start()
        self.schedules.async_start()

    def stop(self) -> None:
        """Stop them."""
        self.players.async_stop()
        self.backups.async_stop()
        self.schedules.async_stop()

    def forget(self, identifier: str) -> None:
        """Forget a server the panel no longer lists."""
        if self.console is not None:
            self.console.forget(identifier)
        self.players.forget(identifier)
        self.backups.forget(identifier)
        self.schedules.forget(identifier)

    def reads_per_minute(self) -> int:
        """Return the panel requests a minute the regular reads take, for the rate-limit budget."""
        return self.backups.reads_per_minute() + self.schedules.reads_per_minute()
