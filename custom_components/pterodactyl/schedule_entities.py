"""Schedule entities: a button that runs each schedule now, and its next run (disabled)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Final, override

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.components.sensor import SensorDeviceClass, SensorEntity, SensorEntityDescription
from homeassistant.const import Platform
from homeassistant.core import callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import Schedule
from .const import MAX_ENABLED_SCHEDULE_BUTTONS
from .coordinator import PterodactylConfigEntry, PterodactylCoordinator
from .entity import PterodactylEntity, PterodactylEntityDescription
from .helpers import translate_action_errors
from .schedules import ScheduleTracker


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


# The keys of a schedule's entities; `{}` is the schedule's id.
BUTTON_KEY: Final = "schedule_{}"
NEXT_RUN_KEY: Final = "schedule_{}_next_run"


def schedule_button(
    coordinator: PterodactylCoordinator, identifier: str, schedule: Schedule, count: int
) -> ScheduleEntity:
    """Return a schedule's button; a server with many schedules gets them disabled."""
    description = ScheduleButtonDescription(
        key=BUTTON_KEY.format(schedule.id),
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
        key=NEXT_RUN_KEY.format(schedule.id),
        translation_key="schedule_next_run",
        translation_placeholders={"schedule": schedule.name},
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_registry_enabled_default=False,
    )
    return ScheduleNextRunSensor(coordinator, identifier, description, schedule.id)


@dataclass(frozen=True, slots=True)
class ScheduleEntityKind:
    """One platform's entities of schedules: how to build them, and which servers get them."""

    platform: Platform
    build: Callable[[PterodactylCoordinator, str, Schedule, int], ScheduleEntity]
    # Their key, `{}` standing for the schedule's id (BUTTON_KEY, NEXT_RUN_KEY).
    key_template: str
    server_gets: Callable[[ScheduleTracker, str], bool] = lambda _tracker, _identifier: True

    def key(self, schedule_id: int) -> str:
        """Return the key of a schedule's entity of this kind."""
        return self.key_template.format(schedule_id)

    def is_key(self, key: str) -> bool:
        """Return whether `key` is that of some schedule's entity of this kind."""
        before, _, after = self.key_template.partition("{}")
        middle = key.removeprefix(before).removesuffix(after)
        return key == self.key(int(middle)) if middle.isdigit() else False


# Buttons only where the account may run schedules; next runs wherever it may read them.
SCHEDULE_BUTTONS: Final = ScheduleEntityKind(
    Platform.BUTTON, schedule_button, BUTTON_KEY, ScheduleTracker.may_run
)
SCHEDULE_NEXT_RUNS: Final = ScheduleEntityKind(
    Platform.SENSOR, schedule_next_run_sensor, NEXT_RUN_KEY
)


def async_add_schedule_entities(
    entry: PterodactylConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    kind: ScheduleEntityKind,
) -> None:
    """Add an entity per schedule as they are read; rename and remove them as on the panel.

    Gone also while Home Assistant was stopped: a server's first read sweeps the registry.
    """
    coordinator = entry.runtime_data
    tracker = coordinator.extras.schedules
    live: dict[str, ScheduleEntity] = {}  # unique ID -> the entity added for it
    # The schedules listed (and their names) and the servers read at the last sync.
    last: tuple[frozenset[tuple[str, int, str]], frozenset[str]] | None = None

    @callback
    def sync() -> None:
        nonlocal last
        servers = coordinator.data.servers
        listed = {
            (identifier, schedule.id): schedule
            for identifier, schedules in tracker.by_server.items()
            if identifier in servers and kind.server_gets(tracker, identifier)
            for schedule in schedules
        }
        read = frozenset(identifier for identifier in tracker.by_server if identifier in servers)
        current = (frozenset((*key, schedule.name) for key, schedule in listed.items()), read)
        if last == current:
            return  # nothing changed since the last sync: no registry sweep
        last = current
        unique_ids = {
            (identifier, schedule_id): f"{servers[identifier].server.uuid}_{kind.key(schedule_id)}"
            for identifier, schedule_id in listed
        }
        wanted = set(unique_ids.values())
        _remove_unwanted(coordinator, entry, kind, {servers[i].server.uuid for i in read}, wanted)
        for unique_id in live.keys() - wanted:
            del live[unique_id]
        new = []
        for key, schedule in listed.items():
            entity = live.get(unique_ids[key])
            if entity is not None and _named_after(entity) == schedule.name:
                continue
            identifier = key[0]
            count = len(tracker.by_server[identifier])
            live[unique_ids[key]] = replacement = kind.build(
                coordinator, identifier, schedule, count
            )
            if entity is None:
                new.append(replacement)
            else:
                # Renamed on the panel. A name is fixed once added: the entity is added again,
                # with its unique ID, so its entity ID and settings stay.
                entry.async_create_background_task(
                    coordinator.hass,
                    _async_replace(entity, replacement, async_add_entities),
                    f"pterodactyl rename {replacement.unique_id}",
                )
        if new:
            async_add_entities(new)

    sync()
    entry.async_on_unload(tracker.add_change_listener(sync))
    entry.async_on_unload(coordinator.async_add_listener(sync))


def _named_after(entity: ScheduleEntity) -> str | None:
    """Return the schedule name an entity was built with."""
    return (entity.entity_description.translation_placeholders or {}).get("schedule")


async def _async_replace(
    entity: ScheduleEntity,
    replacement: ScheduleEntity,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Take an entity out of Home Assistant (not the registry) and add its replacement."""
    if entity.hass is not None:  # a disabled entity was never added
        await entity.async_remove()
    async_add_entities([replacement])


def _remove_unwanted(
    coordinator: PterodactylCoordinator,
    entry: PterodactylConfigEntry,
    kind: ScheduleEntityKind,
    read_uuids: set[str],
    wanted: set[str],
) -> None:
    """Remove this entry's schedule entities of `kind`, on servers read, that are not wanted."""
    registry = er.async_get(coordinator.hass)
    for registered in er.async_entries_for_config_entry(registry, entry.entry_id):
        uuid, _, key = registered.unique_id.partition("_")
        if (
            registered.domain == kind.platform
            and uuid in read_uuids
            and kind.is_key(key)
            and registered.unique_id not in wanted
        ):
            # Deleted on the panel (also while Home Assistant was stopped), or not ours to run.
            registry.async_remove(registered.entity_id)
