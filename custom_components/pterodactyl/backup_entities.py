"""Backup entities of a game server: the last good backup, how many it keeps, whether one runs."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, override

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.helpers.typing import StateType

from .backups import ServerBackups
from .coordinator import PterodactylCoordinator
from .entity import PterodactylEntity, PterodactylEntityDescription


@dataclass(frozen=True, kw_only=True)
class BackupSensorEntityDescription(SensorEntityDescription, PterodactylEntityDescription):
    """Describes a backup sensor of a game server."""

    value_fn: Callable[[ServerBackups], StateType | datetime]
    attributes_fn: Callable[[ServerBackups, int | None], dict[str, Any] | None]


def _last_backup(known: ServerBackups, _: int | None) -> dict[str, Any] | None:
    """Return the newest good backup's name and size."""
    if (backup := known.last_good) is None:
        return None
    return {"name": backup.name, "size_bytes": backup.size_bytes}


BACKUP_SENSORS: tuple[BackupSensorEntityDescription, ...] = (
    BackupSensorEntityDescription(
        key="last_backup",
        translation_key="last_backup",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda known: known.last_good.completed_at if known.last_good else None,
        attributes_fn=_last_backup,
    ),
    # The backups the panel counts against the server's limit: running or good.
    BackupSensorEntityDescription(
        key="backups",
        translation_key="backups",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda known: len(known.kept),
        attributes_fn=lambda _, limit: {"limit": limit},
    ),
)


@dataclass(frozen=True, kw_only=True)
class BackupBinarySensorEntityDescription(
    BinarySensorEntityDescription, PterodactylEntityDescription
):
    """Describes the backup binary sensor of a game server."""


BACKUP_RUNNING = BackupBinarySensorEntityDescription(
    key="backup_running",
    translation_key="backup_running",
    device_class=BinarySensorDeviceClass.RUNNING,
)


class BackupEntity(PterodactylEntity):
    """An entity of a server's backups: available once they could be read."""

    def __init__(
        self,
        coordinator: PterodactylCoordinator,
        identifier: str,
        description: PterodactylEntityDescription,
    ) -> None:
        """Attach the entity to its server's device and backups."""
        super().__init__(coordinator, identifier, description)
        self._tracker = coordinator.extras.backups

    @override
    async def async_added_to_hass(self) -> None:
        """Follow the server's backups too."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self._tracker.add_listener(self.identifier, self._handle_coordinator_update)
        )

    @property
    def _backups(self) -> ServerBackups:
        """Return what is known of this server's backups."""
        return self._tracker.backups_of(self.identifier)

    @property
    @override
    def available(self) -> bool:
        """Return True once the server's backups were read."""
        return super().available and self._backups.backups is not None


class BackupSensor(BackupEntity, SensorEntity):
    """A backup sensor of a game server."""

    entity_description: BackupSensorEntityDescription

    @property
    @override
    def native_value(self) -> StateType | datetime:
        """Return the sensor's value."""
        return self.entity_description.value_fn(self._backups)

    @property
    @override
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return the last backup's name and size, or the server's backup limit."""
        limit = self.server_data.server.backup_limit
        return self.entity_description.attributes_fn(self._backups, limit)


class BackupRunningBinarySensor(BackupEntity, BinarySensorEntity):
    """On while a backup of the server is being made."""

    entity_description: BackupBinarySensorEntityDescription

    @property
    @override
    def is_on(self) -> bool:
        """Return whether a backup runs."""
        return self._backups.running
