"""A background reader of each server's data, once a period, on a minute's timer."""

from abc import ABC, abstractmethod
import asyncio
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.util import dt as dt_util

from .api import PanelFlavor, PterodactylClient
from .models import ServerData
from .staggered import TICK, StaggeredReads, allowance


class StaggeredReader(ABC):
    """Reads every server once a period, a share each minute, within what the limit leaves.

    Backups and schedules (Pterodactyl 1.x and Pelican; 0.7 has neither) are read so.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        client: PterodactylClient,
        servers: Callable[[], Mapping[str, ServerData]],
        period: timedelta,
    ) -> None:
        """Read through `client`, every `period`, the servers `servers` returns."""
        self._hass = hass
        self._client = client
        self._servers = servers
        self._reads = StaggeredReads(period)
        self._unsubscribe: CALLBACK_TYPE | None = None
        # Servers this account may not read (the panel's 403): no entities for them.
        self.denied: set[str] = set()

    def reads_per_minute(self) -> int:
        """Return the reads a minute the regular reads take, for the rate-limit budget."""
        if self._unsubscribe is None:
            return 0  # not reading: 0.7, or not started
        return self._reads.per_minute(len(self._readable()))

    @callback
    def async_start(self) -> None:
        """Read now, then every minute what is due (nothing on 0.7)."""
        if self._client.flavor is PanelFlavor.LEGACY:
            return
        self._unsubscribe = async_track_time_interval(
            self._hass, self._async_tick, TICK, cancel_on_shutdown=True
        )
        self._hass.async_create_background_task(
            self.async_tick(), f"pterodactyl {type(self).__name__}"
        )

    @callback
    def async_stop(self) -> None:
        """Stop reading."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    async def _async_tick(self, _: datetime) -> None:
        """Read on the timer."""
        await self.async_tick()

    async def async_tick(self) -> None:
        """Read the servers due, and those that must be read again at once."""
        now = dt_util.utcnow().timestamp()
        due = set(self._reads.due(self._readable(), now, allowance(self._client.rate_limit)))
        due.update(self._urgent())
        await asyncio.gather(*(self.async_read(identifier) for identifier in due))

    def _urgent(self) -> Iterable[str]:
        """Return the servers to read at every tick, due or not (none by default)."""
        return ()

    def _record(self, identifier: str) -> None:
        """Remember that a server was read (or tried) now."""
        self._reads.record(identifier, dt_util.utcnow().timestamp())

    def forget(self, identifier: str) -> None:
        """Forget a server the panel no longer lists."""
        self.denied.discard(identifier)
        self._reads.forget(identifier)

    @abstractmethod
    def _readable(self) -> list[str]:
        """Return the servers that may be read."""

    @abstractmethod
    async def async_read(self, identifier: str) -> None:
        """Read one server."""
