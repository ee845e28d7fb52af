"""Schedule entities: a button that runs each schedule now, and its next run (disabled)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import override

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.components.sensor import SensorDeviceClass, SensorEntity, SensorEntityDescription
from homeassistant.core import callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import Schedule
from .const import DOMAIN, MAX_ENABLED_SCHEDULE_BUTTONS
from .coordinator import PterodactylConfigEntry, PterodactylCoordinator
from .entity import PterodactylEntity, PterodactylEntityDescription
from .helpers import translate_action_errors


@dataclass(frozen=True, kw_only=True)
class ScheduleButtonDescription(ButtonEntityDescription, PterodactylEntityDescription):
    """Describes the button of one schedule."""


@dataclass(frozen=True, kw_only=True)
class ScheduleSensorDescription(SensorEntityDescription, PterodactylEntityDescription):
    """Describes the next-run sensor of one schedule."""


class ScheduleEntity(PterodactylEntity):
    """An entity of one schedule: available while the panel lists it."""

    def __init__(
        self,
        coordinator: PterodactylCoordinator,
        identifier: str,
        description: PterodactylEntityDescription,
        schedule_id: int,
    ) -> None:
        """Attach the entity to its server's device and schedule."""
        super().__init__(coordinator, identifier, description)
        self.schedule_id = schedule_id
        self._tracker = coordinator.extras.schedules

    @override
    async def async_added_to_hass(self) -> None:
        """Follow the schedules' reads too."""
        await super().async_added_to_hass()
        self.async_on_remove(self._tracker.add_change_listener(self._handle_coordinator_update))

    @property
    def schedule(self) -> Schedule | None:
        """Return the schedule as last read."""
        return self._tracker.schedule(self.identifier, self.schedule_id)

    @property
    @override
    def available(self) -> bool:
        """Return True while the panel lists the schedule."""
        return super().available and self.schedule is not None


class ScheduleButton(ScheduleEntity, ButtonEntity):
    """Runs a schedule now, whether it is active or not (as the panel's "Run now")."""

    entity_description: ScheduleButtonDescription

    @override
    async def async_press(self) -> None:
        """Run the schedule."""
        if (schedule := self.schedule) is None:
            return
        with translate_action_errors(self.server_data.server.name):
            await self._tracker.async_run(self.identifier, schedule)


class ScheduleNextRunSensor(ScheduleEntity, SensorEntity):
    """When an active schedule runs next."""

    entity_description: ScheduleSensorDescription

    @property
    @override
    def native_value(self) -> datetime | None:
        """Return the next run, unknown for a schedule that is not active."""
        schedule = self.schedule
        return schedule.next_run_at if schedule is not None and schedule.is_active else None


def schedule_button(
    coordinator: PterodactylCoordinator, identifier: str, schedule: Schedule, count: int
) -> ScheduleEntity:
    """Return a schedule's button; a server with many schedules gets them disabled."""
    description = ScheduleButtonDescription(
        key=f"schedule_{schedule.id}",
        translation_key="schedule",
        translation_placeholders={"schedule": schedule.name},
        entity_registry_enabled_default=count <= MAX_ENABLED_SCHEDULE_BUTTONS,
    )
    return ScheduleButton(coordinator, identifier, description, schedule.id)


def schedule_next_run_sensor(
    coordinator: PterodactylCoordinator, identifier: str, schedule: Schedule, count: int
) -> ScheduleEntity:
    """Return a schedule's next-run sensor, disabled by default."""
    description = ScheduleSensorDescription(
        key=f"schedule_{schedule.id}_next_run",
        translation_key="schedule_next_run",
        translation_placeholders={"schedule": schedule.name},
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_registry_enabled_default=False,
    )
    return ScheduleNextRunSensor(coordinator, identifier, description, schedule.id)


def async_add_schedule_entities(
    entry: PterodactylConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    build: Callable[[PterodactylCoordinator, str, Schedule, int], ScheduleEntity],
    platform: str,
) -> None:
    """Add an entity per schedule as they are read; remove those of deleted schedules."""
    coordinator = entry.runtime_data
    tracker = coordinator.extras.schedules
    known: dict[tuple[str, int], str] = {}  # (server, schedule id) -> unique id

    @callback
    def sync() -> None:
        listed = {
            (identifier, schedule.id): schedule
            for identifier, schedules in tracker.by_server.items()
            if identifier in coordinator.data.servers
            for schedule in schedules
        }
        registry = er.async_get(coordinator.hass)
        for key in known.keys() - listed.keys():
            # Deleted on the panel, or its server gone: its entities go as a server's do.
            if entity_id := registry.async_get_entity_id(platform, DOMAIN, known.pop(key)):
                registry.async_remove(entity_id)
        new = []
        for (identifier, schedule_id), schedule in listed.items():
            if (identifier, schedule_id) in known:
                continue
            count = len(tracker.by_server[identifier])
            entity = build(coordinator, identifier, schedule, count)
            known[(identifier, schedule_id)] = entity.unique_id or ""
            new.append(entity)
        if new:
            async_add_entities(new)

    sync()
    entry.async_on_unload(tracker.add_change_listener(sync))
    entry.async_on_unload(coordinator.async_add_listener(sync))
