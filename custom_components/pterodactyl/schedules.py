"""Each server's schedules: read every 5 minutes, spread over them; run on demand."""

from collections.abc import Callable, Mapping
from typing import Final

from homeassistant.core import HomeAssistant

from .api import PterodactylClient, PterodactylError, PterodactylForbiddenError, Schedule
from .const import LOGGER, SCHEDULE_READ_INTERVAL
from .models import ServerData
from .reader import StaggeredReader

# The permission the panel's "Run now" needs (TriggerScheduleRequest).
SCHEDULE_UPDATE: Final = "schedule.update"


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
        # Whether this account may run each server's schedules (schedule.update), once known.
        self._runnable: dict[str, bool] = {}

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
        learned = bool(schedules) and identifier not in self._runnable
        if learned:
            await self._learn_runnable(identifier)
        if self.by_server.get(identifier) == schedules and not learned:
            return
        self.by_server[identifier] = schedules
        for listener in list(self._changed):
            listener()

    async def _learn_runnable(self, identifier: str) -> None:
        """Find out whether this account may run the server's schedules (schedule.update).

        Owners may; a subuser's permissions are read once (a reload reads them again). Until
        they are known the server gets no buttons: a read that fails is tried at the next one.
        """
        data = self._servers().get(identifier)
        if data is not None and data.server.is_owner:
            self._runnable[identifier] = True
            return
        try:
            granted = await self._client.get_permissions(identifier)
        except PterodactylError as err:
            LOGGER.debug("Could not read the permissions on server %s: %s", identifier, err)
            return
        self._runnable[identifier] = "*" in granted or SCHEDULE_UPDATE in granted

    def may_run(self, identifier: str) -> bool:
        """Return whether this account may run the server's schedules, as far as known."""
        return self._runnable.get(identifier, False)

    def schedule(self, identifier: str, schedule_id: int) -> Schedule | None:
        """Return a server's schedule by id, None when it is not listed (any more)."""
        return next((s for s in self.by_server.get(identifier, ()) if s.id == schedule_id), None)

    def find(self, identifier: str, wanted: str) -> Schedule:
        """Return the server's schedule named `wanted` (any case), or with that id.

        PterodactylForbiddenError when the panel refused to list them: that, not a missing
        schedule, is why none is found.
        """
        if identifier in self.denied:
            raise PterodactylForbiddenError(status=403)
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
        self._runnable.pop(identifier, None)
