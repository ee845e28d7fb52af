"""Actions on every server a target covers: commands, power, backups and schedules."""

import asyncio
from collections.abc import Callable, Coroutine
from functools import partial
from typing import Any

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, ServiceCall, callback
from homeassistant.exceptions import (
    HomeAssistantError,
    ServiceValidationError,
    Unauthorized,
    UnknownUser,
)
from homeassistant.helpers import config_validation as cv, service
from homeassistant.helpers.entity import Entity
import probatio

from .api import PowerSignal
from .const import (
    ATTR_COMMAND,
    ATTR_IGNORED,
    ATTR_LOCKED,
    ATTR_NAME,
    ATTR_ROTATE,
    ATTR_SCHEDULE,
    ATTR_SIGNAL,
    DOMAIN,
    SERVICE_CREATE_BACKUP,
    SERVICE_RUN_SCHEDULE,
    SERVICE_SEND_COMMAND,
    SERVICE_SEND_POWER_SIGNAL,
)
from .switch import PterodactylPowerSwitch

type _Act = Callable[[PterodactylPowerSwitch, ServiceCall], Coroutine[Any, Any, None]]

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
    service.async_register_batched_platform_entity_service(
        hass,
        DOMAIN,
        SERVICE_SEND_COMMAND,
        entity_domain=Platform.SWITCH,
        schema={probatio.Required(ATTR_COMMAND): COMMAND_SCHEMA},
        func=partial(_act_on_each, _send_command, admin_only=True),
    )
    service.async_register_batched_platform_entity_service(
        hass,
        DOMAIN,
        SERVICE_SEND_POWER_SIGNAL,
        entity_domain=Platform.SWITCH,
        schema={probatio.Required(ATTR_SIGNAL): probatio.Coerce(PowerSignal)},
        func=partial(_act_on_each, _send_power_signal),
    )
    service.async_register_batched_platform_entity_service(
        hass,
        DOMAIN,
        SERVICE_CREATE_BACKUP,
        entity_domain=Platform.SWITCH,
        schema={
            probatio.Optional(ATTR_NAME): probatio.All(cv.string, probatio.Length(max=191)),
            probatio.Optional(ATTR_IGNORED): cv.string,
            probatio.Optional(ATTR_LOCKED, default=False): cv.boolean,
            probatio.Optional(ATTR_ROTATE, default=False): cv.boolean,
        },
        func=partial(_act_on_each, _create_backup),
    )
    service.async_register_batched_platform_entity_service(
        hass,
        DOMAIN,
        SERVICE_RUN_SCHEDULE,
        entity_domain=Platform.SWITCH,
        schema={probatio.Required(ATTR_SCHEDULE): probatio.All(cv.string, probatio.Strip)},
        func=partial(_act_on_each, _run_schedule),
    )


async def _run_schedule(switch: PterodactylPowerSwitch, call: ServiceCall) -> None:
    """Run a schedule of one server now."""
    await switch.async_run_schedule(call.data[ATTR_SCHEDULE])


async def _create_backup(switch: PterodactylPowerSwitch, call: ServiceCall) -> None:
    """Start a backup of one server."""
    await switch.async_create_backup(
        name=call.data.get(ATTR_NAME),
        ignored=call.data.get(ATTR_IGNORED),
        locked=call.data[ATTR_LOCKED],
        rotate=call.data[ATTR_ROTATE],
    )


async def _send_command(switch: PterodactylPowerSwitch, call: ServiceCall) -> None:
    """Send the action's console command to one server."""
    await switch.async_send_command(call.data[ATTR_COMMAND])


async def _send_power_signal(switch: PterodactylPowerSwitch, call: ServiceCall) -> None:
    """Send the action's power signal to one server."""
    await switch.async_send_power_signal(call.data[ATTR_SIGNAL])


async def _act_on_each(
    act: _Act, entities: list[Entity], call: ServiceCall, *, admin_only: bool = False
) -> None:
    """Act on every targeted server at once; when any fails, say which servers got it."""
    if admin_only and call.context.user_id:
        # A console command can make anyone an operator: only admins (and automations, which
        # act without a user) may send one. Batched actions have no admin_only of their own.
        user = await call.hass.auth.async_get_user(call.context.user_id)
        if user is None:
            raise UnknownUser(context=call.context)
        if not user.is_admin:
            raise Unauthorized(context=call.context)
    switches = [entity for entity in entities if isinstance(entity, PterodactylPowerSwitch)]

    async def act_on(switch: PterodactylPowerSwitch) -> None:
        switch.async_set_context(call.context)
        # Through the platform's PARALLEL_UPDATES, as Home Assistant's own entity actions go.
        await switch.async_request_call(act(switch, call))

    # By name, so that the report reads the same whatever order the target resolved in.
    switches.sort(key=lambda switch: switch.server_name)
    results = await asyncio.gather(*map(act_on, switches), return_exceptions=True)
    errors = [result for result in results if isinstance(result, BaseException)]
    if not errors:
        return
    if len(switches) == 1 or not all(isinstance(err, HomeAssistantError) for err in errors):
        # One server's own error says it all; anything else is a bug to surface as it is.
        raise errors[0]
    sent = [
        switch.server_name
        for switch, result in zip(switches, results, strict=True)
        if not isinstance(result, BaseException)
    ]
    # A user can fix every failure only when each one is a mistake of theirs.
    error = (
        ServiceValidationError
        if all(isinstance(err, ServiceValidationError) for err in errors)
        else HomeAssistantError
    )
    placeholders = {
        "total": str(len(switches)),
        "failed": str(len(errors)),
        "sent": ", ".join(sent),
        # Home Assistant drops each message's final full stop; semicolons keep them apart.
        "errors": "; ".join(str(err) for err in errors),
    }
    raise error(
        translation_domain=DOMAIN,
        translation_key="some_servers_failed" if sent else "all_servers_failed",
        translation_placeholders=placeholders,
    )
