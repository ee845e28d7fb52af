"""The Crashes today sensor of a game server: counted since local midnight, kept over restarts."""

from dataclasses import dataclass
from datetime import datetime
from typing import override

from homeassistant.components.sensor import (
    ATTR_LAST_RESET,
    RestoreSensor,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory
from homeassistant.core import callback
from homeassistant.helpers.event import async_track_time_change
from homeassistant.util import dt as dt_util

from .coordinator import PterodactylCoordinator
from .entity import PterodactylEntity, PterodactylEntityDescription


@dataclass(frozen=True, kw_only=True)
class PterodactylHealthSensorEntityDescription(
    SensorEntityDescription, PterodactylEntityDescription
):
    """Describes a health sensor of a game server."""


HEALTH_SENSORS: tuple[PterodactylHealthSensorEntityDescription, ...] = (
    # A count that starts again every day: a total with the day's start as its last reset,
    # so long-term statistics add each day's crashes up.
    PterodactylHealthSensorEntityDescription(
        key="crashes_today",
        translation_key="crashes_today",
        state_class=SensorStateClass.TOTAL,
        entity_category=EntityCategory.DIAGNOSTIC,
    ),
)


class PterodactylCrashSensor(PterodactylEntity, RestoreSensor):
    """How often a game server crashed today (local time)."""

    entity_description: PterodactylHealthSensorEntityDescription

    def __init__(
        self,
        coordinator: PterodactylCoordinator,
        identifier: str,
        description: PterodactylHealthSensorEntityDescription,
    ) -> None:
        """Attach the sensor to its server's device and health."""
        super().__init__(coordinator, identifier, description)
        self._health = coordinator.health

    @override
    async def async_added_to_hass(self) -> None:
        """Follow the server's crashes and midnight; keep today's count from before a restart."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self._health.add_listener(self.identifier, self._handle_coordinator_update)
        )
        self.async_on_remove(
            async_track_time_change(self.hass, self._midnight, hour=0, minute=0, second=0)
        )
        state = await self.async_get_last_state()
        restored = await self.async_get_last_sensor_data()
        if state is None or restored is None or not isinstance(restored.native_value, int | float):
            return
        reset = dt_util.parse_datetime(str(state.attributes.get(ATTR_LAST_RESET)))
        # Only a count of today: one from before midnight is yesterday's.
        if reset is not None and reset == dt_util.start_of_local_day():
            self._health.restore_crashes_today(self.identifier, int(restored.native_value))

    @callback
    def _midnight(self, _: datetime) -> None:
        """Start the new day's count."""
        self.async_write_ha_state()

    @property
    @override
    def native_value(self) -> int:
        """Return the server's crashes since local midnight."""
        return self._health.crashes_today(self.identifier)

    @property
    @override
    def last_reset(self) -> datetime:
        """Return local midnight, when today's count began."""
        return dt_util.start_of_local_day()
