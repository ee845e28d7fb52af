"""Tests of the repair issue raised while the panel demands two-factor authentication."""

import json
from pathlib import Path
import string

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.pterodactyl.const import DOMAIN
from simulator import PanelSimulator

from .common import SURVIVAL, poll, server_at, state_of

TRANSLATIONS = Path(__file__).parents[3] / "custom_components" / DOMAIN / "translations"


def issue_of(issue_registry: ir.IssueRegistry, entry: MockConfigEntry) -> ir.IssueEntry | None:
    """Return the entry's two-factor issue, None when there is none."""
    return issue_registry.async_get_issue(DOMAIN, f"two_factor_required_{entry.entry_id}")


# Poll only: a pushed panel is asked nothing at the next poll, which must fail here.
@pytest.mark.parametrize("websocket_push", [False])
async def test_issue_while_panel_demands_two_factor(
    hass: HomeAssistant,
    *,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
    simulator: PanelSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Repairs says where to enable 2FA while the panel demands it; the issue goes once it is on."""
    survival = server_at(simulator, SURVIVAL)
    assert issue_of(issue_registry, init_integration) is None

    simulator.require_2fa = True
    await poll(hass, freezer)

    assert state_of(hass, "sensor", survival, "state") == STATE_UNAVAILABLE
    issue = issue_of(issue_registry, init_integration)
    assert issue is not None
    account_url = f"{simulator.url}/account"
    assert (issue.severity, issue.is_fixable, issue.translation_key, issue.learn_more_url) == (
        ir.IssueSeverity.ERROR,
        False,
        "two_factor_required",
        account_url,
    )
    assert issue.translation_placeholders == {"url": simulator.url, "account_url": account_url}
    assert simulator.client_key not in repr(issue.to_json())

    # Still failing: the same issue, not a second one.
    await poll(hass, freezer)
    assert len(issue_registry.issues) == 1

    simulator.account.two_factor_enabled = True
    await poll(hass, freezer)

    assert state_of(hass, "sensor", survival, "state") == survival.power_state.value
    assert issue_of(issue_registry, init_integration) is None


async def test_issue_while_setup_retries(
    hass: HomeAssistant,
    issue_registry: ir.IssueRegistry,
    simulator: PanelSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """A panel demanding 2FA at startup raises the issue too; removing the entry deletes it."""
    simulator.require_2fa = True
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY
    assert issue_of(issue_registry, mock_config_entry) is not None

    await hass.config_entries.async_remove(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert issue_of(issue_registry, mock_config_entry) is None


# Poll only: a pushed panel is asked nothing at the next poll, which must fail here.
@pytest.mark.parametrize("websocket_push", [False])
async def test_unload_deletes_issue(
    hass: HomeAssistant,
    *,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
    simulator: PanelSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """An entry that is unloaded (disabled, say) no longer has a failing update to repair."""
    simulator.require_2fa = True
    await poll(hass, freezer)
    assert issue_of(issue_registry, init_integration) is not None

    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert issue_of(issue_registry, init_integration) is None


@pytest.mark.parametrize("language", ["en", "zh-Hans"])
def test_issue_translation_uses_only_given_placeholders(language: str) -> None:
    """The issue's texts use only the placeholders the coordinator fills in."""
    strings = json.loads((TRANSLATIONS / f"{language}.json").read_text("utf-8"))
    issue = strings["issues"]["two_factor_required"]
    used = {
        field
        for text in (issue["title"], issue["description"])
        for _, field, _, _ in string.Formatter().parse(text)
        if field
    }
    assert used == {"url", "account_url"}
