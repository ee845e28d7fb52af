"""Actions: send a console command or a power signal to every server a target covers."""

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import config_validation as cv, service
import probatio

from .api import PowerSignal
from .const import (
    ATTR_COMMAND,
    ATTR_SIGNAL,
    DOMAIN,
    SERVICE_SEND_COMMAND,
    SERVICE_SEND_POWER_SIGNAL,
)

# The panel checks only that a command is not empty; a cap keeps a runaway template (a whole
# log file, say) out of the game's console.
MAX_COMMAND_LENGTH = 1024

COMMAND_SCHEMA = probatio.All(
    cv.string,
    probatio.Strip,
    # The game's console takes commands without the slash players type in chat.
    lambda command: command.removeprefix("/").lstrip(),
    probatio.Length(min=1, max=MAX_COMMAND_LENGTH),
    # Wings ends each command with a newline: one embedded in a templated value would smuggle in
    # a second command, so only a single line of printable text is accepted.
    probatio.Match(r"^[^\x00-\x1f\x7f]*\Z", msg="must be a single line without control characters"),
)


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the actions; each server is reached through its power switch entity."""
    service.async_register_platform_entity_service(
        hass,
        DOMAIN,
        SERVICE_SEND_COMMAND,
        entity_domain=Platform.SWITCH,
        # A console command can make anyone an operator: only admins (and automations) may send.
        admin_only=True,
        schema={probatio.Required(ATTR_COMMAND): COMMAND_SCHEMA},
        func="async_send_command",
    )
    service.async_register_platform_entity_service(
        hass,
        DOMAIN,
        SERVICE_SEND_POWER_SIGNAL,
        entity_domain=Platform.SWITCH,
        schema={probatio.Required(ATTR_SIGNAL): probatio.Coerce(PowerSignal)},
        func="async_send_power_signal",
    )
