"""Base entity: one device per game server, entities keyed like Home Assistant core's."""

from collections.abc import Callable, Iterable
from typing import override

from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .api import PanelFlavor
from .const import DOMAIN
from .coordinator import PterodactylConfigEntry, PterodactylCoordinator
from .models import ServerData


class PterodactylEntity(CoordinatorEntity[PterodactylCoordinator]):
    """An entity of one game server."""

    _attr_has_entity_name = True

    def __init__(
        self,
        coordinator: PterodactylCoordinator,
        identifier: str,
        description: EntityDescription,
    ) -> None:
        """Attach the entity to its server's device."""
        super().__init__(coordinator)
        self.entity_description = description
        self.identifier = identifier
        server = coordinator.data.servers[identifier].server
        # The same unique IDs and device identifiers as core's integration keep history on upgrade.
        self._attr_unique_id = f"{server.uuid}_{description.key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, identifier)},
            name=server.name,
            manufacturer=(
                "Pelican" if coordinator.client.flavor is PanelFlavor.PELICAN else "Pterodactyl"
            ),
            model="Game server",
            serial_number=server.uuid,
            configuration_url=coordinator.client.server_url(identifier),
        )

    @override
    async def async_added_to_hass(self) -> None:
        """Follow every update of the coordinator, and the pushed ones of this server."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self.coordinator.pushed.add_listener(self.identifier, self._handle_coordinator_update)
        )

    @property
    def server_data(self) -> ServerData:
        """Return this server's latest data."""
        return self.coordinator.data.servers[self.identifier]

    @property
    @override
    def available(self) -> bool:
        """Return True while the panel answers and still lists this server."""
        return super().available and self.identifier in self.coordinator.data.servers

    @property
    def power_state_known(self) -> bool:
        """Return False when the panel cannot tell the server's power state (node down or busy)."""
        # A suspended or installing server is known to be off: its power entities stay available
        # so that an action on it gets the panel's reason instead of being skipped silently.
        return self.server_data.power_known


def async_add_server_entities(
    entry: PterodactylConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    entities_for_server: Callable[[PterodactylCoordinator, str], Iterable[Entity]],
) -> None:
    """Add each server's entities now, and those of servers that appear on the panel later."""
    coordinator = entry.runtime_data
    known: set[str] = set()

    def add_new_servers() -> None:
        # A server leaves the data only when the panel stops listing it (its device is removed
        # then), so forgetting it lets its entities return if it is ever listed again.
        known.intersection_update(coordinator.data.servers)
        new = coordinator.data.servers.keys() - known
        known.update(new)
        if new:
            async_add_entities(
                entity
                for identifier in new
                for entity in entities_for_server(coordinator, identifier)
            )

    add_new_servers()
    entry.async_on_unload(coordinator.async_add_listener(add_new_servers))
