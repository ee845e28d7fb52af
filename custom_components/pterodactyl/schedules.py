"""Each server's schedules: read every 5 minutes, spread over them; run on demand."""

from collections.abc import Callable, Mapping

from homeassistant.core import HomeAssistant

from .api import PterodactylClient, PterodactylError, PterodactylForbiddenError, Schedule
from .const import LOGGER, SCHEDULE_READ_INTERVAL
from .models import ServerData
from .reader import StaggeredReader


class ScheduleNotFoundError(LookupError):
    """A server has no schedule of the name or id asked for."""


class ScheduleTracker(StaggeredReader):
    """Keeps every server's schedules, within the rate limit; runs them for the actions."""

    def __init__(
        self,
        hass: HomeAssistant,
        client: PterodactylClient,
        servers: Callable[[], Mapping[str, ServerData]],
    ) -> None:
        """Read through `client` the schedules of the servers `servers` returns."""
        super().__init__(hass, client, servers, SCHEDULE_READ_INTERVAL)
        self._changed: list[Callable[[], None]] = []
        self.by_server: dict[str, list[Schedule]] = {}

    def add_change_listener(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call `listener` after every read that changed a server's schedules."""
        self._changed.append(listener)
        return lambda: self._changed.remove(listener)

    def _readable(self) -> list[str]:
        """Return the servers whose schedules may be read."""
        return [identifier for identifier in self._servers() if identifier not in self.denied]

    async def async_read(self, identifier: str) -> None:
        """Read a server's schedules; tell the listeners when they changed."""
        self._record(identifier)
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
        super().forget(identifier)
        self.by_server.pop(identifier, None)
