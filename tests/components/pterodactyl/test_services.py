"""Tests of the actions against the simulated panel: targets, panel errors, permissions, input."""

from collections.abc import Callable
import json
from pathlib import Path
from typing import Any

from homeassistant.const import ATTR_AREA_ID, ATTR_DEVICE_ID, ATTR_ENTITY_ID, STATE_OFF, STATE_ON
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError, Unauthorized
from homeassistant.helpers import area_registry as ar, device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser
import voluptuous as vol
import yaml

from custom_components.pterodactyl.const import DOMAIN
from custom_components.pterodactyl.services import MAX_COMMAND_LENGTH
from simulator import PanelSimulator, PowerState, SimServer
from simulator.models import ServerStatus as PanelStatus

from .common import wait_for_entity

INTEGRATION = Path(__file__).parents[3] / "custom_components" / DOMAIN
SURVIVAL, CREATIVE, VALHEIM = 0, 1, 2

pytestmark = pytest.mark.usefixtures("init_integration")

type Target = Callable[..., dict[str, Any]]


def _server(simulator: PanelSimulator, index: int) -> SimServer:
    """Return the simulated server in the fleet's `index`-th position."""
    return list(simulator.servers.values())[index]


def _switch(hass: HomeAssistant, server: SimServer) -> str:
    """Return the entity ID of a server's power switch."""
    entity_id = er.async_get(hass).async_get_entity_id("switch", DOMAIN, f"{server.uuid}_power")
    assert entity_id is not None
    return entity_id


def _device(hass: HomeAssistant, server: SimServer) -> str:
    """Return the device ID of a server."""
    (entry,) = hass.config_entries.async_entries(DOMAIN)
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, server.identifier), entry.entry_id
    )
    assert device is not None
    return device.id


@pytest.fixture(params=["entity", "device", "area"])
def target(request: pytest.FixtureRequest, hass: HomeAssistant) -> Target:
    """Return a builder of a target covering some servers, as an entity, device or area target."""

    def build(*servers: SimServer) -> dict[str, Any]:
        if request.param == "entity":
            return {ATTR_ENTITY_ID: [_switch(hass, server) for server in servers]}
        if request.param == "device":
            return {ATTR_DEVICE_ID: [_device(hass, server) for server in servers]}
        area = ar.async_get(hass).async_get_or_create("Game room")
        for server in servers:
            dr.async_get(hass).async_update_device(_device(hass, server), area_id=area.id)
        return {ATTR_AREA_ID: area.id}

    return build


async def _call(
    hass: HomeAssistant, action: str, data: dict[str, Any], context: Context | None = None
) -> None:
    """Call one of the integration's actions and wait for it."""
    await hass.services.async_call(DOMAIN, action, data, blocking=True, context=context)


async def test_send_command_reaches_every_targeted_server(
    hass: HomeAssistant, simulator: PanelSimulator, target: Target
) -> None:
    """A command goes to each running server the target covers, and to no other."""
    survival, creative, valheim = (_server(simulator, i) for i in (SURVIVAL, CREATIVE, VALHEIM))
    simulator.set_state(creative.identifier, power=PowerState.RUNNING)
    # Started on the panel: Wings pushes the change.
    await wait_for_entity(hass, _switch(hass, creative), lambda state: state == STATE_ON)

    await _call(hass, "send_command", {**target(survival, creative), "command": "say Hello"})

    assert survival.commands == ["say Hello"]
    assert creative.commands == ["say Hello"]
    assert valheim.commands == []


@pytest.mark.parametrize("signal", ["start", "stop", "restart", "kill"])
async def test_send_power_signal_reaches_every_targeted_server(
    hass: HomeAssistant, simulator: PanelSimulator, target: Target, signal: str
) -> None:
    """Each signal goes to each server the target covers, and to no other."""
    survival, creative, valheim = (_server(simulator, i) for i in (SURVIVAL, CREATIVE, VALHEIM))

    await _call(hass, "send_power_signal", {**target(survival, creative), "signal": signal})

    assert survival.power_signals == [signal]
    assert creative.power_signals == [signal]
    assert valheim.power_signals == []


async def test_start_signal_shows_on_the_switch(
    hass: HomeAssistant, simulator: PanelSimulator
) -> None:
    """Starting a stopped server through the action turns its power switch on at once."""
    creative = _server(simulator, CREATIVE)
    entity_id = _switch(hass, creative)
    assert hass.states.is_state(entity_id, STATE_OFF)

    await _call(hass, "send_power_signal", {ATTR_ENTITY_ID: entity_id, "signal": "start"})

    assert hass.states.is_state(entity_id, STATE_ON)


async def _assert_action_error(
    hass: HomeAssistant, action: str, data: dict[str, Any], key: str, message: str
) -> None:
    """Assert that an action fails with a translated error a user can read."""
    # Home Assistant drops a translated message's final full stop, so `message` has none.
    with pytest.raises(HomeAssistantError) as raised:
        await _call(hass, action, data)
    assert raised.value.translation_domain == DOMAIN
    assert raised.value.translation_key == key
    assert str(raised.value) == message


@pytest.mark.parametrize("panel_flavor", ["v1", "legacy", "pelican"])
async def test_command_to_offline_server(hass: HomeAssistant, simulator: PanelSimulator) -> None:
    """Every panel's offline server is reported, Pelican's too, which would drop the command.

    Pterodactyl answers 502 (1.x) or 412 (0.7); Pelican answers 204, so its server's state is
    read before sending.
    """
    creative = _server(simulator, CREATIVE)
    await _assert_action_error(
        hass,
        "send_command",
        {ATTR_ENTITY_ID: _switch(hass, creative), "command": "list"},
        "server_offline",
        "Creative is offline: start it before sending console commands",
    )
    assert creative.commands == []
    if simulator.spec.is_pelican:
        # Not sent at all: Pelican would have swallowed it.
        assert simulator.api_requests(path_contains="/command") == []


@pytest.mark.parametrize("panel_flavor", ["pelican"])
# Poll only: a polled server's state is read afresh before a command; a pushed one is live.
@pytest.mark.parametrize("websocket_push", [False])
async def test_pelican_command_reaches_a_server_started_since_the_poll(
    hass: HomeAssistant, simulator: PanelSimulator
) -> None:
    """The state read before a Pelican command is fresh: a server started since is reached."""
    creative = _server(simulator, CREATIVE)
    simulator.set_state(creative.identifier, power=PowerState.RUNNING)
    await _call(hass, "send_command", {ATTR_ENTITY_ID: _switch(hass, creative), "command": "list"})
    assert creative.commands == ["list"]


async def test_one_offline_server_does_not_stop_the_others(
    hass: HomeAssistant, simulator: PanelSimulator, target: Target
) -> None:
    """A command to several servers reaches the running ones and says which did not get it."""
    survival, creative = _server(simulator, SURVIVAL), _server(simulator, CREATIVE)
    with pytest.raises(ServiceValidationError) as raised:
        await _call(hass, "send_command", {**target(survival, creative), "command": "save-all"})
    assert raised.value.translation_key == "some_servers_failed"
    assert str(raised.value) == (
        "1 of 2 servers did not get it. Sent to: Survival. "
        "Creative is offline: start it before sending console commands"
    )
    assert survival.commands == ["save-all"]


async def test_no_targeted_server_got_it(hass: HomeAssistant, simulator: PanelSimulator) -> None:
    """When every server refuses, each one's reason is told, and nothing is said to be sent."""
    creative, valheim = _server(simulator, CREATIVE), _server(simulator, VALHEIM)
    await _assert_action_error(
        hass,
        "send_command",
        {ATTR_ENTITY_ID: [_switch(hass, creative), _switch(hass, valheim)], "command": "list"},
        "all_servers_failed",
        "None of the 2 servers got it. "
        "Creative is offline: start it before sending console commands; "
        "Valheim is offline: start it before sending console commands",
    )
    assert creative.commands == valheim.commands == []


async def test_a_panel_failure_among_several_is_not_a_user_mistake(
    hass: HomeAssistant, simulator: PanelSimulator
) -> None:
    """A server whose node is down makes the whole report an error, not a validation message."""
    survival, creative = _server(simulator, SURVIVAL), _server(simulator, CREATIVE)
    simulator.set_state(creative.identifier, power=PowerState.RUNNING)
    await wait_for_entity(hass, _switch(hass, creative), lambda state: state == STATE_ON)
    simulator.set_node_down(creative.identifier, True)
    with pytest.raises(HomeAssistantError) as raised:
        await _call(
            hass,
            "send_power_signal",
            {
                ATTR_ENTITY_ID: [_switch(hass, survival), _switch(hass, creative)],
                "signal": "restart",
            },
        )
    assert not isinstance(raised.value, ServiceValidationError)
    assert raised.value.translation_key == "some_servers_failed"
    assert "Sent to: Survival." in str(raised.value)
    assert survival.power_signals == ["restart"]


@pytest.mark.parametrize("panel_flavor", ["v1", "pelican", "legacy"])
@pytest.mark.parametrize(
    ("action", "data"),
    [("send_command", {"command": "list"}), ("send_power_signal", {"signal": "start"})],
)
@pytest.mark.parametrize("polled", [False, True], ids=["since_last_poll", "known"])
async def test_action_on_suspended_server(
    hass: HomeAssistant,
    simulator: PanelSimulator,
    *,
    panel_flavor: str,
    action: str,
    data: dict[str, Any],
    polled: bool,
) -> None:
    """A suspended server is refused with the panel's reason, whether polled since or not."""
    survival = _server(simulator, SURVIVAL)
    simulator.suspend(survival.identifier)
    if polled:
        # Its switch stays available, so the action is not skipped silently.
        (entry,) = hass.config_entries.async_entries(DOMAIN)
        await entry.runtime_data.async_refresh()
    await _assert_action_error(
        hass,
        action,
        {ATTR_ENTITY_ID: _switch(hass, survival), **data},
        "server_suspended",
        "Survival is suspended on the panel",
    )
    assert survival.commands == []
    assert survival.power_signals == []


@pytest.mark.parametrize(
    ("action", "data", "granted"),
    [
        ("send_command", {"command": "op griefer"}, ["control.start", "control.stop"]),
        ("send_power_signal", {"signal": "restart"}, ["control.console", "control.start"]),
        ("send_power_signal", {"signal": "kill"}, ["control.start", "control.restart"]),
    ],
)
async def test_action_without_panel_permission(
    hass: HomeAssistant,
    simulator: PanelSimulator,
    action: str,
    data: dict[str, Any],
    granted: list[str],
) -> None:
    """A subuser lacking the action's permission gets the panel's 403, explained."""
    survival = _server(simulator, SURVIVAL)
    simulator.make_subuser(survival.identifier, granted)
    await _assert_action_error(
        hass,
        action,
        {ATTR_ENTITY_ID: _switch(hass, survival), **data},
        "missing_permission",
        "Your panel account lacks the permission for this action on Survival",
    )
    assert survival.commands == []
    assert survival.power_signals == []


async def test_subuser_with_permission_may_act(
    hass: HomeAssistant, simulator: PanelSimulator
) -> None:
    """A subuser holding exactly the needed permissions is not refused."""
    survival = _server(simulator, SURVIVAL)
    simulator.make_subuser(survival.identifier, ["control.console", "control.restart"])
    entity_id = _switch(hass, survival)
    await _call(hass, "send_command", {ATTR_ENTITY_ID: entity_id, "command": "list"})
    await _call(hass, "send_power_signal", {ATTR_ENTITY_ID: entity_id, "signal": "restart"})
    assert survival.commands == ["list"]
    assert survival.power_signals == ["restart"]


@pytest.mark.parametrize(
    ("action", "data"),
    [("send_command", {"command": "list"}), ("send_power_signal", {"signal": "stop"})],
)
async def test_action_when_panel_unreachable(
    hass: HomeAssistant, simulator: PanelSimulator, action: str, data: dict[str, Any]
) -> None:
    """A panel gone since the last poll gives a connection error, not a traceback."""
    entity_id = _switch(hass, _server(simulator, SURVIVAL))
    await simulator.stop()
    with pytest.raises(HomeAssistantError) as raised:
        await _call(hass, action, {ATTR_ENTITY_ID: entity_id, **data})
    assert raised.value.translation_key == "cannot_connect"
    assert str(raised.value).startswith("Cannot connect to the panel: ")


@pytest.mark.parametrize("panel_flavor", ["v1", "legacy", "pelican"])
@pytest.mark.parametrize(
    ("action", "data"),
    [("send_command", {"command": "list"}), ("send_power_signal", {"signal": "stop"})],
)
async def test_action_when_node_unreachable(
    hass: HomeAssistant, simulator: PanelSimulator, action: str, data: dict[str, Any]
) -> None:
    """An unreachable Wings node is named as the problem, on every panel.

    Pterodactyl answers 504; Pelican a 500 ConnectionException in generic words (power) or the
    `missing` state (the state read before a command).
    """
    survival = _server(simulator, SURVIVAL)
    simulator.set_node_down(survival.identifier)
    await _assert_action_error(
        hass,
        action,
        {ATTR_ENTITY_ID: _switch(hass, survival), **data},
        "node_unavailable",
        "The node running Survival cannot be reached by the panel",
    )


@pytest.mark.parametrize("panel_flavor", ["pelican"])
@pytest.mark.parametrize(
    ("action", "data"),
    [("send_command", {"command": "list"}), ("send_power_signal", {"signal": "start"})],
)
@pytest.mark.parametrize(
    ("change", "key", "message"),
    [
        (
            {"status": PanelStatus.SUSPENDED},
            "server_suspended",
            "Survival is suspended on the panel",
        ),
        (
            {"node_maintenance": True},
            "node_maintenance",
            "The node running Survival is under maintenance",
        ),
        (
            {"status": PanelStatus.INSTALLING},
            "server_installing",
            "Survival is still being installed; try again when installation has finished",
        ),
        (
            {"transferring": True},
            "server_transferring",
            "Survival is being transferred to another node; try again later",
        ),
    ],
)
async def test_pelican_in_another_language_refuses_with_the_real_cause(
    hass: HomeAssistant,
    simulator: PanelSimulator,
    *,
    action: str,
    data: dict[str, Any],
    change: dict[str, Any],
    key: str,
    message: str,
) -> None:
    """Pelican writes its 409 in the panel's language: the cause comes from the server's flags."""
    simulator.locale = "de"
    survival = _server(simulator, SURVIVAL)
    simulator.set_state(survival.identifier, **change)
    await _assert_action_error(
        hass, action, {ATTR_ENTITY_ID: _switch(hass, survival), **data}, key, message
    )
    # The panel refused it in German, with 409.
    assert 409 in {r.status for r in simulator.api_requests(server=survival.identifier)}


async def test_send_command_is_refused_to_non_admin_users(
    hass: HomeAssistant,
    simulator: PanelSimulator,
    hass_read_only_user: MockUser,
) -> None:
    """Console commands can make players operators, so only administrators may send them."""
    survival = _server(simulator, SURVIVAL)
    user = await hass.auth.async_create_user("Household member", group_ids=["system-users"])
    assert not user.is_admin
    data = {ATTR_ENTITY_ID: _switch(hass, survival), "command": "op griefer"}
    for non_admin in (user.id, hass_read_only_user.id):
        with pytest.raises(Unauthorized):
            await _call(hass, "send_command", data, Context(user_id=non_admin))
    assert survival.commands == []

    # The same user may still use the power signal: its entity permissions allow control.
    await _call(
        hass,
        "send_power_signal",
        {ATTR_ENTITY_ID: _switch(hass, survival), "signal": "restart"},
        Context(user_id=user.id),
    )
    assert survival.power_signals == ["restart"]


async def test_send_command_is_allowed_to_admins_and_automations(
    hass: HomeAssistant, simulator: PanelSimulator, hass_admin_user: MockUser
) -> None:
    """An administrator, and an automation or script (no user), may send commands."""
    survival = _server(simulator, SURVIVAL)
    entity_id = _switch(hass, survival)
    await _call(
        hass,
        "send_command",
        {ATTR_ENTITY_ID: entity_id, "command": "say from admin"},
        Context(user_id=hass_admin_user.id),
    )
    await _call(hass, "send_command", {ATTR_ENTITY_ID: entity_id, "command": "say from automation"})
    assert survival.commands == ["say from admin", "say from automation"]


@pytest.mark.parametrize(
    "command",
    ["", "   ", "x" * (MAX_COMMAND_LENGTH + 1), "say hi\nop griefer", "say\x00", None],
    ids=["empty", "blank", "too_long", "two_lines", "control_character", "missing"],
)
async def test_invalid_command_is_rejected(
    hass: HomeAssistant, simulator: PanelSimulator, command: str | None
) -> None:
    """The schema refuses empty, overlong and multi-line commands before the panel sees them."""
    survival = _server(simulator, SURVIVAL)
    data: dict[str, Any] = {ATTR_ENTITY_ID: _switch(hass, survival)}
    if command is not None:
        data["command"] = command
    with pytest.raises(vol.Invalid):
        await _call(hass, "send_command", data)
    assert simulator.api_requests(path_contains="/command") == []


async def test_command_is_trimmed_and_may_be_long(
    hass: HomeAssistant, simulator: PanelSimulator
) -> None:
    """Surrounding whitespace is dropped; a command of the maximum length is sent whole."""
    survival = _server(simulator, SURVIVAL)
    entity_id = _switch(hass, survival)
    longest = "say " + "x" * (MAX_COMMAND_LENGTH - 4)
    await _call(hass, "send_command", {ATTR_ENTITY_ID: entity_id, "command": "  list \n"})
    await _call(hass, "send_command", {ATTR_ENTITY_ID: entity_id, "command": longest})
    assert survival.commands == ["list", longest]


@pytest.mark.parametrize("signal", ["", "reboot", "START", None])
async def test_invalid_power_signal_is_rejected(
    hass: HomeAssistant, simulator: PanelSimulator, signal: str | None
) -> None:
    """Only start, stop, restart and kill are accepted."""
    survival = _server(simulator, SURVIVAL)
    data: dict[str, Any] = {ATTR_ENTITY_ID: _switch(hass, survival)}
    if signal is not None:
        data["signal"] = signal
    with pytest.raises(vol.Invalid):
        await _call(hass, "send_power_signal", data)
    assert simulator.api_requests(path_contains="/power") == []


async def test_actions_exist_without_entries(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The actions are registered by the integration, not by an entry, so unloading keeps them."""
    await hass.config_entries.async_unload(init_integration.entry_id)
    assert hass.services.has_service(DOMAIN, "send_command")
    assert hass.services.has_service(DOMAIN, "send_power_signal")


async def test_actions_are_described_translated_and_iconed() -> None:
    """services.yaml, both translations and icons.json agree on every action, field and option."""
    services = yaml.safe_load((INTEGRATION / "services.yaml").read_text("utf-8"))
    icons = json.loads((INTEGRATION / "icons.json").read_text("utf-8"))
    assert set(services) == {"send_command", "send_power_signal", "create_backup", "run_schedule"}
    for language in ("en", "zh-Hans"):
        strings = json.loads((INTEGRATION / "translations" / f"{language}.json").read_text("utf-8"))
        assert strings["services"].keys() == services.keys()
        for action, spec in services.items():
            assert spec["target"]["entity"] == {"integration": DOMAIN, "domain": "switch"}
            translated = strings["services"][action]
            assert translated["name"]
            assert translated["description"]
            assert translated["fields"].keys() == spec["fields"].keys()
            for field in spec["fields"].values():
                select = field["selector"].get("select")
                if select is not None:
                    options = strings["selector"][select["translation_key"]]["options"]
                    assert options.keys() == set(select["options"])
            assert icons["services"][action]["service"].startswith("mdi:")
