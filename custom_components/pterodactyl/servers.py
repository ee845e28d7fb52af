"""The panel's server list: re-read every few minutes, at once when a server has gone."""

from datetime import datetime

from .api import PterodactylClient, Server
from .const import SERVER_LIST_INTERVAL


class ServerList:
    """The servers the key's account sees, by identifier, and when they were listed."""

    def __init__(self) -> None:
        """Start with none, due at once."""
        self.servers: dict[str, Server] = {}
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

    async def refresh(self, client: PterodactylClient, now: datetime) -> set[str]:
        """Re-read the list; return the identifiers of the servers no longer listed."""
        listed = {server.identifier: server for server in await client.list_servers()}
        self._listed_at = now
        gone = self.servers.keys() - listed.keys()
        self.servers = listed
        return gone
