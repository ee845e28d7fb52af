"""Sensors of a game server's players: how many are on, how many fit, since when it is empty."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, override

from homeassistant.components.sensor import (
    RestoreSensor,
    SensorDeviceClass,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.helpers.typing import StateType

from .const import MAX_PLAYER_NAMES
from .coordinator import PterodactylCoordinator
from .entity import PterodactylEntity, PterodactylEntityDescription
from .models import ServerStatus
from .players import ServerPlayers


@dataclass(frozen=True, kw_only=True)
class PterodactylPlayerSensorEntityDescription(
    SensorEntityDescription, PterodactylEntityDescription
):
    """Describes a player sensor of a game server."""

    value_fn: Callable[[ServerPlayers], StateType | datetime]
    attributes_fn: Callable[[ServerPlayers], dict[str, Any] | None] = lambda _: None


def _names(state: ServerPlayers) -> dict[str, Any] | None:
    """Return the names of the players on, where the game lists them all, capped."""
    if state.players is None or state.players.names is None:
        return None
    return {"players": sorted(state.players.names)[:MAX_PLAYER_NAMES]}


PLAYER_SENSORS: tuple[PterodactylPlayerSensorEntityDescription, ...] = (
    PterodactylPlayerSensorEntityDescription(
        key="players_online",
        translation_key="players_online",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda state: state.players.online if state.players else None,
        attributes_fn=_names,
    ),
    PterodactylPlayerSensorEntityDescription(
        key="players_max",
        translation_key="players_max",
        value_fn=lambda state: state.players.max if state.players else None,
    ),
    # When the last player left: unknown while someone is on. It survives a restart of Home
    # Assistant, so "stop when empty for an hour" does not start counting again.
    PterodactylPlayerSensorEntityDescription(
        key="empty_since",
        translation_key="empty_since",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda state: state.empty_since,
    ),
)


class PterodactylPlayerSensor(PterodactylEntity, RestoreSensor):
    """A player sensor of a game server: available while its game runs and answers."""

    entity_description: PterodactylPlayerSensorEntityDescription

    def __init__(
        self,
        coordinator: PterodactylCoordinator,
        identifier: str,
        description: PterodactylPlayerSensorEntityDescription,
    ) -> None:
        """Attach the sensor to its server's device and players."""
        super().__init__(coordinator, identifier, description)
        self._tracker = coordinator.extras.players

    @override
    async def async_added_to_hass(self) -> None:
        """Follow the server's players; give back a restored "empty since" to the tracker."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self._tracker.add_listener(self.identifier, self._handle_coordinator_update)
        )
        if self.entity_description.device_class is SensorDeviceClass.TIMESTAMP and (
            (restored := await self.async_get_last_sensor_data()) is not None
            and isinstance(restored.native_value, datetime)
        ):
            self._tracker.restore_empty_since(self.identifier, restored.native_value)

    @property
    def _players(self) -> ServerPlayers:
        """Return what is known of this server's players."""
        return self._tracker.players_of(self.identifier)

    @property
    @override
    def available(self) -> bool:
        """Return True while the server runs and its game answers."""
        return (
            super().available
            and self.server_data.status is ServerStatus.RUNNING
            and self._players.players is not None
        )

    @property
    @override
    def native_value(self) -> StateType | datetime:
        """Return the sensor's value."""
        return self.entity_description.value_fn(self._players)

    @property
    @override
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return the players' names on the Players online sensor."""
        return self.entity_description.attributes_fn(self._players)
