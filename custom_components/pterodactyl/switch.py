"""The power switch: the main entity of each game server, named after it."""

from dataclasses import dataclass
from typing import Any, override

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import PowerSignal
from .const import DOMAIN
from .coordinator import PterodactylConfigEntry
from .entity import (
    PterodactylEntity,
    PterodactylEntityDescription,
    async_add_server_entities,
    power_known,
)
from .helpers import translate_action_errors
from .models import ServerStatus
from .schedules import ScheduleNotFoundError

# One power request at a time: the panel answers each quickly, and a burst only hits its limit.
PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class PterodactylSwitchEntityDescription(SwitchEntityDescription, PterodactylEntityDescription):
    """Describes the power switch of a game server."""


# Usable while the server's power state is known (not while its node is down).
POWER_SWITCH = PterodactylSwitchEntityDescription(
    key="power", translation_key="power", available_fn=power_known
)
_ON = frozenset({ServerStatus.STARTING, ServerStatus.RUNNING})


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PterodactylConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the power switch of every server, now and as servers appear."""
    async_add_server_entities(entry, async_add_entities, PterodactylPowerSwitch, [POWER_SWITCH])


class PterodactylPowerSwitch(PterodactylEntity, SwitchEntity):
    """Starts and stops a game server; the actions reach the server through it."""

    # The device's main feature carries the server's name, so "turn on Survival" finds it.
    _attr_name = None
    entity_description: PterodactylSwitchEntityDescription

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

    @property
    def server_name(self) -> str:
        """Return the server's name on the panel, for messages about it."""
        return self.server_data.server.name

    async def async_send_power_signal(self, signal: PowerSignal) -> None:
        """Send a power signal (the send_power_signal action)."""
        with translate_action_errors(self.server_name):
            await self.coordinator.async_send_power_signal(self.identifier, signal)

    async def async_create_backup(
        self, *, name: str | None, ignored: str | None, locked: bool, rotate: bool
    ) -> None:
        """Start a backup (the create_backup action)."""
        with translate_action_errors(self.server_name, self._backup_limit):
            await self.coordinator.extras.backups.async_create(
                self.identifier, name=name, ignored=ignored, locked=locked, rotate=rotate
            )

    async def async_run_schedule(self, wanted: str) -> None:
        """Run the server's schedule of that name or id now (the run_schedule action)."""
        tracker = self.coordinator.extras.schedules
        with translate_action_errors(self.server_name):
            if self.identifier not in tracker.by_server:
                await tracker.async_read(self.identifier)
            try:
                schedule = tracker.find(self.identifier, wanted)
            except ScheduleNotFoundError as err:
                raise ServiceValidationError(
                    translation_domain=DOMAIN,
                    translation_key="schedule_not_found",
                    translation_placeholders={"server": self.server_name, "schedule": wanted},
                ) from err
            await tracker.async_run(self.identifier, schedule)

    @property
    def _backup_limit(self) -> dict[str, str]:
        """Return the server's backup limit, for the message of a full server."""
        return {"limit": str(self.server_data.server.backup_limit)}

    async def async_send_command(self, command: str) -> None:
        """Send a console command (the send_command action)."""
        with translate_action_errors(self.server_name):
            await self.coordinator.async_send_command(self.identifier, command)
