"""Base entity: one device per game server, entities keyed like Home Assistant core's."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import override

from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .api import PanelFlavor
from .const import DOMAIN
from .coordinator import PterodactylConfigEntry, PterodactylCoordinator
from .devices import name_and_model
from .models import ServerData


def always(_: object) -> bool:
    """Return True: the entity exists on every panel, or has a value whenever its server does."""
    return True


def power_known(data: ServerData) -> bool:
    """Return whether the panel can tell the server's power state (its node is up and free)."""
    # A suspended or installing server is known to be off: its power entities stay available
    # so that an action on it gets the panel's reason instead of being skipped silently.
    return data.power_known


def has_usage(data: ServerData) -> bool:
    """Return whether the server's usage could be read (the state sensor says why not)."""
    return data.utilization is not None


def not_legacy(flavor: PanelFlavor | None) -> bool:
    """Return whether the panel is newer than 0.7, which reports no network counters or uptime."""
    return flavor is not PanelFlavor.LEGACY


@dataclass(frozen=True, kw_only=True)
class PterodactylEntityDescription(EntityDescription):
    """What every entity of a game server says of itself."""

    # Whether a panel of this flavour has the entity at all: none that is never known.
    exists_fn: Callable[[PanelFlavor | None], bool] = always
    # Whether the entity has a value now, beyond the panel answering and listing the server.
    available_fn: Callable[[ServerData], bool] = always


class PterodactylEntity(CoordinatorEntity[PterodactylCoordinator]):
    """An entity of one game server."""

    _attr_has_entity_name = True
    entity_description: PterodactylEntityDescription

    def __init__(
        self,
        coordinator: PterodactylCoordinator,
        identifier: str,
        description: PterodactylEntityDescription,
    ) -> None:
        """Attach the entity to its server's device."""
        super().__init__(coordinator)
        self.entity_description = description
        self.identifier = identifier
        server = coordinator.data.servers[identifier].server
        # The same unique IDs and device identifiers as core's integration keep history on upgrade.
        self._attr_unique_id = f"{server.uuid}_{description.key}"
        name, model = name_and_model(server)
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, identifier)},
            name=name,
            manufacturer=(
                "Pelican" if coordinator.client.flavor is PanelFlavor.PELICAN else "Pterodactyl"
            ),
            # The client API reports no panel version, so there is no sw_version to give.
            model=model,
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
        """Return True while the panel answers, lists this server, and the entity has a value."""
        return (
            super().available
            and self.identifier in self.coordinator.data.servers
            and self.entity_description.available_fn(self.server_data)
        )


def async_add_server_entities[D: PterodactylEntityDescription](
    entry: PterodactylConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    entity: Callable[[PterodactylCoordinator, str, D], PterodactylEntity],
    descriptions: Iterable[D],
    *,
    server_has: Callable[[str], bool] = always,
    rechecked_on: Callable[[Callable[[], None]], Callable[[], None]] | None = None,
) -> None:
    """Add each server's entities now, and those of servers that appear on the panel later.

    `server_has` tells which servers have these entities at all (all by default); a server
    it refuses is asked again at each update, and when `rechecked_on` calls back.
    """
    coordinator = entry.runtime_data
    exist = [d for d in descriptions if d.exists_fn(coordinator.client.flavor)]
    known: set[str] = set()

    def add_new_servers() -> None:
        # A server leaves the data only when the panel stops listing it (its device is removed
        # then), so forgetting it lets its entities return if it is ever listed again.
        known.intersection_update(coordinator.data.servers)
        new = {
            identifier for identifier in coordinator.data.servers.keys() - known
            if server_has(identifier)
        }  # fmt: skip
        known.update(new)
        if new:
            async_add_entities(
                entity(coordinator, identifier, description)
                for identifier in new
                for description in exist
            )

    add_new_servers()
    entry.async_on_unload(coordinator.async_add_listener(add_new_servers))
    if rechecked_on is not None:
        entry.async_on_unload(rechecked_on(add_new_servers))
