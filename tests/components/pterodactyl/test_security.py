"""Security: what the URL field accepts, and where the API key may (and may never) appear."""

import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import ATTR_ENTITY_ID, CONF_API_KEY, CONF_URL, MATCH_ALL, SERVICE_TURN_OFF
from homeassistant.core import Event, HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.pterodactyl.const import CONF_VERIFY_SSL, DOMAIN, SERVICE_SEND_COMMAND
from simulator import PanelSimulator

from .common import SURVIVAL, VALHEIM, entity_id_of, poll, server_at


@pytest.fixture
def websocket_push() -> bool:
    """Poll only: the websocket's own secrets (its token) are the push tests' concern."""
    return False


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "javascript:alert(1)",
        "ws://127.0.0.1",
        "http://user@127.0.0.1",
        "https://:secret@127.0.0.1",
        "http://127.0.0.1/?token=x",
        "http://127.0.0.1/#fragment",
        "http://127.0.0.1 /",
    ],
)
async def test_url_field_refuses(hass: HomeAssistant, simulator: PanelSimulator, url: str) -> None:
    """Only a plain http(s) address is accepted, and nothing is sent to any other."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_URL: url, CONF_API_KEY: simulator.client_key, CONF_VERIFY_SSL: True},
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_URL: "invalid_url"}
    assert simulator.api_requests() == []


async def test_key_is_kept_in_the_entry_data_only(
    hass: HomeAssistant, simulator: PanelSimulator
) -> None:
    """The key is stored once, in the entry's data: not in its title, unique ID or options."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        # Pasted with a trailing newline, as keys often are.
        {
            CONF_URL: simulator.url,
            CONF_API_KEY: f"{simulator.client_key}\n",
            CONF_VERIFY_SSL: True,
        },
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    assert entry.data[CONF_API_KEY] == simulator.client_key
    key = simulator.client_key
    assert key not in entry.title
    assert entry.unique_id is not None
    assert key not in entry.unique_id
    assert key not in repr(dict(entry.options))
    assert key not in repr({k: v for k, v in entry.data.items() if k != CONF_API_KEY})
    assert key not in repr(entry.runtime_data.client)


async def test_key_never_leaves_the_entry(
    hass: HomeAssistant,
    *,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    hass_client: ClientSessionGenerator,
    simulator: PanelSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Setup, polls, actions, a failed action and a revoked key put the key nowhere to be seen."""
    caplog.set_level(logging.DEBUG)
    events: list[Event[Any]] = []
    hass.bus.async_listen(MATCH_ALL, events.append)
    key = simulator.client_key
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    survival, valheim = server_at(simulator, SURVIVAL), server_at(simulator, VALHEIM)

    await poll(hass, freezer)
    await hass.services.async_call(
        SWITCH_DOMAIN,
        SERVICE_TURN_OFF,
        {ATTR_ENTITY_ID: entity_id_of(hass, "switch", survival, "power")},
        blocking=True,
    )
    # A command to a server that is off: the panel refuses it, and the refusal is shown.
    with pytest.raises(HomeAssistantError) as refused:
        await hass.services.async_call(
            DOMAIN,
            SERVICE_SEND_COMMAND,
            {ATTR_ENTITY_ID: entity_id_of(hass, "switch", valheim, "power"), "command": "list"},
            blocking=True,
        )
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, mock_config_entry)
    simulator.revoke_key(key)
    await poll(hass, freezer)
    await hass.async_block_till_done()

    exception = mock_config_entry.runtime_data.last_exception
    assert exception is not None
    for text in (str(refused.value), repr(refused.value.__cause__), str(exception)):
        assert key not in text
    assert key not in caplog.text
    assert key not in repr(diagnostics)
    assert events
    for event in events:
        assert key not in repr(event.data), event.event_type
    for state in hass.states.async_all():
        assert key not in repr(state.attributes), state.entity_id
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flows
    assert key not in repr(flows)
