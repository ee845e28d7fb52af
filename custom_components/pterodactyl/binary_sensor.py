"""Binary sensors: whether each game server is running, and whether it is suspended."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import override

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .backup_entities import BACKUP_RUNNING, BackupRunningBinarySensor
from .coordinator import PterodactylConfigEntry
from .entity import (
    PterodactylEntity,
    PterodactylEntityDescription,
    async_add_server_entities,
    power_known,
)
from .models import ServerData, ServerStatus

# The coordinator fetches everything; entities only read its data.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class PterodactylBinarySensorEntityDescription(
    BinarySensorEntityDescription, PterodactylEntityDescription
):
    """Describes a binary sensor of a game server."""

    value_fn: Callable[[ServerData], bool]


# Both repeat what the State sensor shows; they stay for core's users and for automations
# that want a plain on/off, disabled for new installs.
BINARY_SENSORS: tuple[PterodactylBinarySensorEntityDescription, ...] = (
    PterodactylBinarySensorEntityDescription(
        key="status",
        translation_key="status",
        device_class=BinarySensorDeviceClass.RUNNING,
        entity_registry_enabled_default=False,
        value_fn=lambda data: data.status is ServerStatus.RUNNING,
        # Whether the server runs is unknown while its node is down; whether it is suspended is not.
        available_fn=power_known,
    ),
    PterodactylBinarySensorEntityDescription(
        key="suspended",
        translation_key="suspended",
        entity_registry_enabled_default=False,
        value_fn=lambda data: data.status is ServerStatus.SUSPENDED,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PterodactylConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the binary sensors of every server, now and as servers appear."""
    async_add_server_entities(
        entry, async_add_entities, PterodactylBinarySensorEntity, BINARY_SENSORS
    )
    async_add_server_entities(
        entry,
        async_add_entities,
        BackupRunningBinarySensor,
        [BACKUP_RUNNING],
        server_has=entry.runtime_data.extras.backups.has_backups,
        rechecked_on=entry.runtime_data.extras.backups.add_discovery_listener,
    )


class PterodactylBinarySensorEntity(PterodactylEntity, BinarySensorEntity):
    """A binary sensor of a game server."""

    entity_description: PterodactylBinarySensorEntityDescription

    @property
    @override
    def is_on(self) -> bool:
        """Return the sensor's state."""
        return self.entity_description.value_fn(self.server_data)
