"""Push under Wings' Origin rule: the Origin the token names, and a repair issue when refused."""

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_API_KEY, CONF_URL
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from yarl import URL

from custom_components.pterodactyl.api import ConnectionState
from custom_components.pterodactyl.const import CONF_VERIFY_SSL, DOMAIN
from simulator import PanelSimulator

from .common import SURVIVAL, coordinator_of, server_at, settle, state_of, wait_for_push
from .pushing import all_live

# Wings' `remote` when it does not match the panel's APP_URL.
OTHER_REMOTE = "https://panel.example.com"


def issue_id(entry: MockConfigEntry) -> str:
    """Return the ID of the entry's refused-Origin issue."""
    return f"websocket_origin_refused_{entry.entry_id}"


async def test_panel_added_by_another_address_is_pushed(
    hass: HomeAssistant, simulator: PanelSimulator, issue_registry: ir.IssueRegistry
) -> None:
    """A panel whose APP_URL is `localhost` added as 127.0.0.1 still gets live push."""
    assert simulator.url is not None
    simulator.app_url = f"http://localhost:{URL(simulator.url).port}"
    entry = MockConfigEntry(
        domain=DOMAIN,
        version=2,
        data={CONF_URL: simulator.url, CONF_API_KEY: simulator.client_key, CONF_VERIFY_SSL: True},
        unique_id=f"1@{simulator.url}",
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await all_live(entry, simulator)
    assert issue_registry.async_get_issue(DOMAIN, issue_id(entry)) is None


async def test_refused_origin_raises_a_fixable_issue(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    *,
    simulator: PanelSimulator,
    init_integration: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Wings refusing the Origin: servers are polled, and Repairs says why and how to fix it.

    Its fix flow retries push once Wings is fixed.
    """
    assert await async_setup_component(hass, "repairs", {})
    await all_live(init_integration, simulator)
    await hass.config_entries.async_unload(init_integration.entry_id)

    # Wings was configured from another address than the panel's APP_URL.
    simulator.wings.settings.remote = OTHER_REMOTE
    await hass.config_entries.async_setup(init_integration.entry_id)
    await settle(hass)
    coordinator = coordinator_of(init_integration)
    await wait_for_push(
        init_integration,
        lambda: all(
            coordinator.push.state(i) is ConnectionState.ORIGIN_REFUSED for i in simulator.servers
        ),
    )
    issue = issue_registry.async_get_issue(DOMAIN, issue_id(init_integration))
    assert issue is not None
    assert (issue.severity, issue.is_fixable, issue.translation_key) == (
        ir.IssueSeverity.WARNING,
        True,
        "websocket_origin_refused",
    )
    assert issue.translation_placeholders == {
        "url": simulator.url,
        "origin": simulator.url,
        "servers": str(len(simulator.servers)),
    }
    assert simulator.client_key not in repr(issue.to_json())
    # Polled meanwhile: the entities are up to date and available.
    assert state_of(hass, "sensor", server_at(simulator, SURVIVAL), "state") == "running"

    # The administrator fixes Wings; the user submits the fix flow.
    simulator.wings.settings.remote = None
    client = await hass_client()
    flow = await client.post(
        "/api/repairs/issues/fix", json={"handler": DOMAIN, "issue_id": issue.issue_id}
    )
    flow_id = (await flow.json())["flow_id"]
    done = await client.post(f"/api/repairs/issues/fix/{flow_id}", json={})
    assert (await done.json())["type"] == "create_entry"
    await settle(hass)
    assert init_integration.state is ConfigEntryState.LOADED
    await all_live(init_integration, simulator)
    assert issue_registry.async_get_issue(DOMAIN, issue_id(init_integration)) is None


async def test_issue_goes_with_the_entry(
    hass: HomeAssistant,
    *,
    simulator: PanelSimulator,
    mock_config_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Unloading the entry takes its refused-Origin issue with it."""
    simulator.wings.settings.remote = OTHER_REMOTE
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    # The issue is raised as a socket reports the refusal.
    await wait_for_push(
        mock_config_entry,
        lambda: issue_registry.async_get_issue(DOMAIN, issue_id(mock_config_entry)) is not None,
    )
    await hass.config_entries.async_unload(mock_config_entry.entry_id)
    assert issue_registry.async_get_issue(DOMAIN, issue_id(mock_config_entry)) is None
