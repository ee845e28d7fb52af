"""Buttons: start, stop, restart and force stop each game server; run each schedule now."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import override

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import PowerSignal
from .coordinator import PterodactylConfigEntry
from .entity import (
    PterodactylEntity,
    PterodactylEntityDescription,
    async_add_server_entities,
    power_known,
)
from .helpers import translate_action_errors
from .models import ServerData
from .schedule_entities import SCHEDULE_BUTTONS, async_add_schedule_entities

# One power request at a time: the panel answers each quickly, and a burst only hits its limit.
PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class PterodactylButtonEntityDescription(ButtonEntityDescription, PterodactylEntityDescription):
    """Describes a power button of a game server: usable while its power state is known."""

    signal: PowerSignal
    available_fn: Callable[[ServerData], bool] = power_known


BUTTONS: tuple[PterodactylButtonEntityDescription, ...] = (
    # The power switch starts and stops a server already: these two are for those who want
    # separate buttons on a dashboard, so they wait to be enabled.
    PterodactylButtonEntityDescription(
        key="start_server",
        translation_key="start_server",
        signal=PowerSignal.START,
        entity_registry_enabled_default=False,
    ),
    PterodactylButtonEntityDescription(
        key="stop_server",
        translation_key="stop_server",
        signal=PowerSignal.STOP,
        entity_registry_enabled_default=False,
    ),
    PterodactylButtonEntityDescription(
        key="restart_server", translation_key="restart_server", signal=PowerSignal.RESTART
    ),
    # Kills the process without saving the world: a last resort, so hidden until wanted.
    PterodactylButtonEntityDescription(
        key="force_stop_server",
        translation_key="force_stop_server",
        signal=PowerSignal.KILL,
        entity_registry_enabled_default=False,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PterodactylConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the power buttons of every server, now and as servers appear."""
    async_add_server_entities(entry, async_add_entities, PterodactylButtonEntity, BUTTONS)
    async_add_schedule_entities(entry, async_add_entities, SCHEDULE_BUTTONS)


class PterodactylButtonEntity(PterodactylEntity, ButtonEntity):
    """A power button of a game server."""

    entity_description: PterodactylButtonEntityDescription

    @override
    async def async_press(self) -> None:
        """Send the button's power signal."""
        with translate_action_errors(self.server_data.server.name):
            await self.coordinator.async_send_power_signal(
                self.identifier, self.entity_description.signal
            )
