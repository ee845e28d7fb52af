"""Two entries that see the same servers: one provides each, and neither touches the other's."""

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_API_KEY, CONF_URL
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er, issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.pterodactyl.const import CONF_VERIFY_SSL, DOMAIN, SERVER_LIST_INTERVAL
from simulator import PanelSimulator

from .common import poll, settle

# Polling keeps these tests about ownership, not sockets.
pytestmark = pytest.mark.parametrize("websocket_push", [False])


def second_entry(simulator: PanelSimulator) -> MockConfigEntry:
    """Return another account's entry that sees the same servers (an admin and an owner)."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="admin @ 127.0.0.1",
        version=2,
        data={
            CONF_URL: simulator.url,
            CONF_API_KEY: simulator.new_client_key(),
            CONF_VERIFY_SSL: True,
        },
        unique_id=f"2@{simulator.url}",
    )


def entities_of(hass: HomeAssistant, entry: MockConfigEntry) -> set[str]:
    """Return the entity IDs registered to an entry."""
    return {
        e.entity_id for e in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    }


def issue_of(issue_registry: ir.IssueRegistry, entry: MockConfigEntry) -> ir.IssueEntry | None:
    """Return the entry's issue naming servers another entry provides."""
    return issue_registry.async_get_issue(DOMAIN, f"servers_provided_elsewhere_{entry.entry_id}")


async def test_second_entry_leaves_the_first_entrys_servers_alone(
    hass: HomeAssistant,
    *,
    simulator: PanelSimulator,
    init_integration: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The entry that added a server keeps it; the other says so, and its removal costs nothing."""
    first = entities_of(hass, init_integration)
    assert first
    other = second_entry(simulator)
    other.add_to_hass(hass)
    assert await hass.config_entries.async_setup(other.entry_id)
    await settle(hass)

    assert entities_of(hass, other) == set()
    assert entities_of(hass, init_integration) == first
    assert "does not generate unique IDs" not in caplog.text
    issue = issue_of(issue_registry, other)
    assert issue is not None
    assert issue.translation_placeholders == {
        "entry": "admin @ 127.0.0.1",
        "count": "3",
        "servers": "Creative, Survival, Valheim",
    }
    assert issue_of(issue_registry, init_integration) is None

    assert await hass.config_entries.async_remove(other.entry_id)
    await settle(hass)
    assert entities_of(hass, init_integration) == first
    enabled = [
        e.entity_id
        for e in er.async_entries_for_config_entry(er.async_get(hass), init_integration.entry_id)
        if e.disabled_by is None
    ]
    assert enabled
    assert all(hass.states.get(entity_id) is not None for entity_id in enabled)
    assert issue_of(issue_registry, other) is None


async def test_servers_move_when_their_entry_is_deleted(
    hass: HomeAssistant,
    *,
    freezer: FrozenDateTimeFactory,
    simulator: PanelSimulator,
    init_integration: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Deleting the entry that provides the servers hands them to the other within 5 minutes."""
    other = second_entry(simulator)
    other.add_to_hass(hass)
    await hass.config_entries.async_setup(other.entry_id)
    await settle(hass)
    assert await hass.config_entries.async_remove(init_integration.entry_id)
    await settle(hass)

    await poll(hass, freezer, (SERVER_LIST_INTERVAL + timedelta(seconds=30)).total_seconds())
    assert len(entities_of(hass, other)) > len(simulator.servers)
    assert issue_of(issue_registry, other) is None


async def test_same_account_at_another_address_is_refused(
    hass: HomeAssistant, simulator: PanelSimulator, init_integration: MockConfigEntry
) -> None:
    """The panel added again by another address of the same host is the same account: aborted."""
    other_url = await simulator.add_address()
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_URL: other_url, CONF_API_KEY: simulator.new_client_key(), CONF_VERIFY_SSL: True},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured_other_url"
    assert result["description_placeholders"] == {CONF_URL: simulator.url}
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1
