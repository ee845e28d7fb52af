"""Sensors: usage, limits, uptime, players and the power state of each game server."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, override

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory, UnitOfInformation, UnitOfRatio
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from .api import Utilization
from .backup_entities import BACKUP_SENSORS, BackupSensor
from .coordinator import PterodactylConfigEntry
from .entity import (
    PterodactylEntity,
    PterodactylEntityDescription,
    async_add_server_entities,
    has_usage,
    not_legacy,
)
from .health_sensor import HEALTH_SENSORS, PterodactylCrashSensor
from .models import ServerData, ServerStatus
from .player_sensor import PLAYER_SENSORS, PterodactylPlayerSensor
from .schedule_entities import SCHEDULE_NEXT_RUNS, async_add_schedule_entities

# The coordinator fetches everything; entities only read its data.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class PterodactylSensorEntityDescription(SensorEntityDescription, PterodactylEntityDescription):
    """Describes a sensor of a game server."""

    value_fn: Callable[[ServerData], StateType | datetime]


def _usage[T](value_fn: Callable[[Utilization], T]) -> Callable[[ServerData], T | None]:
    """Read a value from the server's live usage, None when there is none."""
    return lambda data: value_fn(data.utilization) if data.utilization is not None else None


def _cpu_load(data: ServerData) -> float | None:
    """Return the CPU used in percent of the server's CPU limit; None without a limit."""
    limit = data.limits.cpu_percent
    if data.utilization is None or not limit:
        return None
    return data.utilization.cpu_percent * 100 / limit


def _bytes(
    key: str, suggested_unit: UnitOfInformation, precision: int, **kwargs: Any
) -> PterodactylSensorEntityDescription:
    """Describe a sensor of a size in bytes (memory, disk, network) shown in a larger unit."""
    return PterodactylSensorEntityDescription(
        key=key,
        translation_key=key,
        device_class=SensorDeviceClass.DATA_SIZE,
        native_unit_of_measurement=UnitOfInformation.BYTES,
        suggested_unit_of_measurement=suggested_unit,
        suggested_display_precision=precision,
        **kwargs,
    )


SENSORS: tuple[PterodactylSensorEntityDescription, ...] = (
    PterodactylSensorEntityDescription(
        key="state",
        translation_key="state",
        device_class=SensorDeviceClass.ENUM,
        options=[status.value for status in ServerStatus],
        value_fn=lambda data: data.status.value,
    ),
    PterodactylSensorEntityDescription(
        key="cpu_utilization",
        translation_key="cpu_utilization",
        # Percent of one core, as the panel shows it: a server using two cores reads 200 %.
        native_unit_of_measurement=UnitOfRatio.PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        value_fn=_usage(lambda usage: usage.cpu_percent),
        available_fn=has_usage,
    ),
    PterodactylSensorEntityDescription(
        key="cpu_load",
        translation_key="cpu_load",
        # Percent of the server's own CPU limit, so 100 % means "at its limit" whatever the
        # limit; unknown for a server without one.
        native_unit_of_measurement=UnitOfRatio.PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        value_fn=_cpu_load,
        available_fn=has_usage,
    ),
    _bytes(
        "memory_usage",
        UnitOfInformation.GIBIBYTES,
        2,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=_usage(lambda usage: usage.memory_bytes),
        available_fn=has_usage,
    ),
    _bytes(
        "disk_usage",
        UnitOfInformation.GIBIBYTES,
        2,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=_usage(lambda usage: usage.disk_bytes),
        available_fn=has_usage,
    ),
    # Counted since the container started; a restart resets them, which this class expects.
    _bytes(
        "network_inbound",
        UnitOfInformation.MEBIBYTES,
        1,
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_registry_enabled_default=False,
        value_fn=_usage(lambda usage: usage.network_rx_bytes),
        available_fn=has_usage,
        exists_fn=not_legacy,
    ),
    _bytes(
        "network_outbound",
        UnitOfInformation.MEBIBYTES,
        1,
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_registry_enabled_default=False,
        value_fn=_usage(lambda usage: usage.network_tx_bytes),
        available_fn=has_usage,
        exists_fn=not_legacy,
    ),
    PterodactylSensorEntityDescription(
        key="uptime",
        translation_key="uptime",
        # A boot timestamp (as core's) changes only when the server starts, so the recorder
        # stores one row per boot instead of one per poll, and the frontend shows "2 hours ago".
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda data: data.started_at,
        available_fn=has_usage,
        exists_fn=not_legacy,
    ),
    # Where players connect: the default allocation, as the panel's console page shows it.
    PterodactylSensorEntityDescription(
        key="address",
        translation_key="address",
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda data: str(data.server.address) if data.server.address else None,
        exists_fn=not_legacy,
    ),
    # Limits are the panel's settings: 0 (unlimited) reads as unknown. Core gave them a state
    # class; keeping it spares upgraded installs a statistics repair.
    PterodactylSensorEntityDescription(
        key="cpu_limit",
        translation_key="cpu_limit",
        native_unit_of_measurement=UnitOfRatio.PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda data: data.limits.cpu_percent,
    ),
    _bytes(
        "memory_limit",
        UnitOfInformation.GIBIBYTES,
        2,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda data: data.limits.memory_bytes,
    ),
    _bytes(
        "disk_limit",
        UnitOfInformation.GIBIBYTES,
        2,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda data: data.limits.disk_bytes,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PterodactylConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the sensors of every server, now and as servers appear."""
    async_add_server_entities(entry, async_add_entities, PterodactylSensorEntity, SENSORS)
    async_add_server_entities(entry, async_add_entities, PterodactylCrashSensor, HEALTH_SENSORS)
    # Player sensors only for servers whose game can be asked: none that stay unavailable.
    async_add_server_entities(
        entry,
        async_add_entities,
        PterodactylPlayerSensor,
        PLAYER_SENSORS,
        server_has=entry.runtime_data.extras.players.has_query,
    )
    # Backup sensors for servers whose backups this account may read (not on 0.7).
    async_add_server_entities(
        entry,
        async_add_entities,
        BackupSensor,
        BACKUP_SENSORS,
        server_has=entry.runtime_data.extras.backups.has_backups,
        rechecked_on=entry.runtime_data.extras.backups.add_discovery_listener,
    )
    async_add_schedule_entities(entry, async_add_entities, SCHEDULE_NEXT_RUNS)


class PterodactylSensorEntity(PterodactylEntity, SensorEntity):
    """A sensor of a game server."""

    entity_description: PterodactylSensorEntityDescription

    @property
    @override
    def native_value(self) -> StateType | datetime:
        """Return the sensor's value."""
        return self.entity_description.value_fn(self.server_data)
