"""The panel's server list: re-read every few minutes, at once when a server has gone."""

from collections.abc import Callable, Mapping
from datetime import datetime

from .api import PterodactylClient, Server
from .const import SERVER_LIST_INTERVAL


class ServerList:
    """The servers the key's account sees, by identifier, and when they were listed."""

    def __init__(self) -> None:
        """Start with none, due at once."""
        self.servers: dict[str, Server] = {}
        # Listed, but provided by another entry of the same panel.
        self.elsewhere: dict[str, Server] = {}
        self._listed_at: datetime | None = None

    def due(self, now: datetime) -> bool:
        """Say whether the list must be re-read: it is old, or there is nothing to poll."""
        return (
            self._listed_at is None
            or not self.servers
            or now - self._listed_at >= SERVER_LIST_INTERVAL
        )

    def expire(self) -> None:
        """Re-read the list at the next full poll (a server was not found)."""
        self._listed_at = None

    async def refresh(
        self,
        client: PterodactylClient,
        now: datetime,
        provided: Callable[[Mapping[str, Server]], tuple[dict[str, Server], dict[str, Server]]],
    ) -> set[str]:
        """Re-read the list; return the identifiers of the servers this entry no longer provides.

        `provided` splits the listed servers into this entry's and those another entry provides.
        """
        listed = {server.identifier: server for server in await client.list_servers()}
        self._listed_at = now
        own, self.elsewhere = provided(listed)
        gone = self.servers.keys() - own.keys()
        self.servers = own
        return gone
