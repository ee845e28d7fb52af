"""The power switch: the main entity of each game server, named after it."""

from typing import Any, override

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import PowerSignal
from .coordinator import PterodactylConfigEntry, PterodactylCoordinator
from .entity import PterodactylEntity, async_add_server_entities
from .helpers import translate_action_errors
from .models import ServerStatus

# One power request at a time: the panel answers each quickly, and a burst only hits its limit.
PARALLEL_UPDATES = 1

POWER_SWITCH = SwitchEntityDescription(key="power", translation_key="power")
_ON = frozenset({ServerStatus.STARTING, ServerStatus.RUNNING})


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PterodactylConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the power switch of every server, now and as servers appear."""

    def switches(coordinator: PterodactylCoordinator, identifier: str) -> list[SwitchEntity]:
        return [PterodactylPowerSwitch(coordinator, identifier, POWER_SWITCH)]

    async_add_server_entities(entry, async_add_entities, switches)


class PterodactylPowerSwitch(PterodactylEntity, SwitchEntity):
    """Starts and stops a game server; the actions reach the server through it."""

    # The device's main feature carries the server's name, so "turn on Survival" finds it.
    _attr_name = None

    @property
    @override
    def available(self) -> bool:
        """Return False while the server's power state is unknown (its node is down)."""
        return super().available and self.power_state_known

    @property
    @override
    def is_on(self) -> bool:
        """Return True while the server is starting or running."""
        return self.server_data.status in _ON

    @override
    async def async_turn_on(self, **kwargs: Any) -> None:
        """Start the server."""
        await self.async_send_power_signal(PowerSignal.START)

    @override
    async def async_turn_off(self, **kwargs: Any) -> None:
        """Stop the server gracefully."""
        await self.async_send_power_signal(PowerSignal.STOP)

    async def async_send_power_signal(self, signal: PowerSignal) -> None:
        """Send a power signal (the send_power_signal action)."""
        with translate_action_errors(self.server_data.server.name):
            await self.coordinator.async_send_power_signal(self.identifier, signal)

    async def async_send_command(self, command: str) -> None:
        """Send a console command (the send_command action)."""
        with translate_action_errors(self.server_data.server.name):
            await self.coordinator.async_send_command(self.identifier, command)
