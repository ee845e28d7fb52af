"""Each server's schedules: read every 5 minutes, spread over them; run on demand."""

import asyncio
from collections.abc import Callable, Mapping
from datetime import datetime

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.util import dt as dt_util

from .api import (
    PanelFlavor,
    PterodactylClient,
    PterodactylError,
    PterodactylForbiddenError,
    Schedule,
)
from .const import LOGGER, SCHEDULE_READ_INTERVAL
from .models import ServerData
from .staggered import TICK, StaggeredReads, allowance


class ScheduleNotFoundError(LookupError):
    """A server has no schedule of the name or id asked for."""


class ScheduleTracker:
    """Keeps every server's schedules, within the rate limit; runs them for the actions."""

    def __init__(
        self,
        hass: HomeAssistant,
        client: PterodactylClient,
        servers: Callable[[], Mapping[str, ServerData]],
    ) -> None:
        """Read through `client` the schedules of the servers `servers` returns."""
        self._hass = hass
        self._client = client
        self._servers = servers
        self._reads = StaggeredReads(SCHEDULE_READ_INTERVAL)
        self._changed: list[Callable[[], None]] = []
        self._unsubscribe: CALLBACK_TYPE | None = None
        # Servers whose schedules this account may not read (no schedule.read): no entities.
        self.denied: set[str] = set()
        self.by_server: dict[str, list[Schedule]] = {}

    def add_change_listener(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call `listener` after every read that changed a server's schedules."""
        self._changed.append(listener)
        return lambda: self._changed.remove(listener)

    def reads_per_minute(self) -> int:
        """Return the reads a minute the regular reads take, for the rate-limit budget."""
        if self._unsubscribe is None:
            return 0  # not reading: 0.7, or not started
        return self._reads.per_minute(len(self._readable()))

    @callback
    def async_start(self) -> None:
        """Read now, then every minute what is due (nothing on 0.7, which has no schedules)."""
        if self._client.flavor is PanelFlavor.LEGACY:
            return
        self._unsubscribe = async_track_time_interval(
            self._hass, self._async_tick, TICK, cancel_on_shutdown=True
        )
        self._hass.async_create_background_task(self.async_tick(), "pterodactyl schedules")

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
        """Read the servers due."""
        due = self._reads.due(
            self._readable(), dt_util.utcnow().timestamp(), allowance(self._client.rate_limit)
        )
        await asyncio.gather(*(self.async_read(identifier) for identifier in due))

    def _readable(self) -> list[str]:
        """Return the servers whose schedules may be read."""
        return [identifier for identifier in self._servers() if identifier not in self.denied]

    async def async_read(self, identifier: str) -> None:
        """Read a server's schedules; tell the listeners when they changed."""
        self._reads.record(identifier, dt_util.utcnow().timestamp())
        try:
            schedules = await self._client.work.list_schedules(identifier)
        except PterodactylForbiddenError:
            LOGGER.debug("This account may not read the schedules of server %s", identifier)
            self.denied.add(identifier)
            schedules = []
        except PterodactylError as err:
            LOGGER.debug("Could not read the schedules of server %s: %s", identifier, err)
            return
        if self.by_server.get(identifier) == schedules:
            return
        self.by_server[identifier] = schedules
        for listener in list(self._changed):
            listener()

    def schedule(self, identifier: str, schedule_id: int) -> Schedule | None:
        """Return a server's schedule by id, None when it is not listed (any more)."""
        return next((s for s in self.by_server.get(identifier, ()) if s.id == schedule_id), None)

    def find(self, identifier: str, wanted: str) -> Schedule:
        """Return the server's schedule named `wanted` (any case), or with that id."""
        schedules = self.by_server.get(identifier, [])
        folded = wanted.strip().casefold()
        for schedule in schedules:
            if schedule.name.casefold() == folded or str(schedule.id) == folded:
                return schedule
        raise ScheduleNotFoundError(wanted)

    async def async_run(self, identifier: str, schedule: Schedule) -> None:
        """Run a schedule now, then read the server's schedules for its new next run."""
        await self._client.work.run_schedule(identifier, schedule.id)
        await self.async_read(identifier)

    def forget(self, identifier: str) -> None:
        """Forget a server the panel no longer lists."""
        self.by_server.pop(identifier, None)
        self.denied.discard(identifier)
        self._reads.forget(identifier)
