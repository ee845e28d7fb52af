"""The stop-when-empty blueprint: imported as Home Assistant imports it, run against real games."""

from datetime import datetime, timedelta
from pathlib import Path
import re
import shutil
from typing import Any
from urllib.parse import unquote

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import automation
from homeassistant.components.automation import DOMAIN as AUTOMATION_DOMAIN
from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.const import STATE_ON, STATE_UNKNOWN
from homeassistant.core import HomeAssistant, State
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    mock_restore_cache_with_extra_data,
)
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from simulator import PanelSimulator, PowerState, SimServer

from .common import CREATIVE, SURVIVAL, entity_id_of, poll, server_at, settle, setup_entry, state_of

REPO_ROOT = Path(__file__).resolve().parents[3]
BLUEPRINT = REPO_ROOT / "blueprints" / "automation" / "pterodactyl" / "stop_when_empty.yaml"
# Where the README's manual import puts it, under the configuration's blueprints/automation/.
INSTALLED_PATH = "pterodactyl/stop_when_empty.yaml"
RAW_URL = (
    "https://raw.githubusercontent.com/pterodactyl-ha/pterodactyl-ha/main/"
    "blueprints/automation/pterodactyl/stop_when_empty.yaml"
)
# A fixed noon (UTC), so that no test starts on the minute its schedule names.
NOON = datetime(2026, 11, 30, 12, 0, 0, tzinfo=dt_util.UTC)
EMPTY_MINUTES = 30

pytestmark = pytest.mark.parametrize("panel_games", [True])


@pytest.fixture
def hass_config_dir(hass_tmp_config_dir: str) -> str:
    """Give each test a configuration directory of its own: blueprints are files there."""
    return hass_tmp_config_dir


def install_blueprint(hass: HomeAssistant) -> None:
    """Copy the blueprint where the README's manual import puts it."""
    target = Path(hass.config.path("blueprints", AUTOMATION_DOMAIN, INSTALLED_PATH))
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(BLUEPRINT, target)


def instance(
    hass: HomeAssistant, server: SimServer, path: str = INSTALLED_PATH, **inputs: Any
) -> dict[str, Any]:
    """Return an automation made from the blueprint for one server's switch and sensor."""
    return {
        "alias": f"Stop {server.name} when empty",
        "use_blueprint": {
            "path": path,
            "input": {
                "power_switch": entity_id_of(hass, SWITCH_DOMAIN, server, "power"),
                "empty_since": entity_id_of(hass, "sensor", server, "empty_since"),
                "empty_minutes": EMPTY_MINUTES,
                **inputs,
            },
        },
    }


async def set_up_automations(hass: HomeAssistant, *automations: dict[str, Any]) -> None:
    """Create automations from the blueprint; each must have passed validation (is on)."""
    config = {AUTOMATION_DOMAIN: list(automations)}
    assert await async_setup_component(hass, AUTOMATION_DOMAIN, config)
    await settle(hass)
    states = hass.states.async_all(AUTOMATION_DOMAIN)
    assert [state.state for state in states] == [STATE_ON] * len(automations), states


async def test_the_readme_link_imports_the_blueprint(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """The README's import link, through Home Assistant's importer: valid for automations."""
    readme = (REPO_ROOT / "README.md").read_text()
    link = re.search(r"redirect/blueprint_import/\?blueprint_url=([^)\s]+)", readme)
    assert link is not None
    url = unquote(link[1])
    assert url == RAW_URL
    # GitHub serves the file as it is in the repository.
    aioclient_mock.get(RAW_URL, text=BLUEPRINT.read_text())
    assert await async_setup_component(hass, "blueprint", {})
    # What setting up automations does first: blueprints of that domain become known.
    automation.async_get_blueprints(hass)
    client = await hass_ws_client(hass)

    await client.send_json_auto_id({"type": "blueprint/import", "url": url})
    imported = await client.receive_json()
    assert imported["success"], imported
    result = imported["result"]
    assert result["validation_errors"] is None
    assert result["blueprint"]["metadata"]["domain"] == AUTOMATION_DOMAIN
    assert set(result["blueprint"]["metadata"]["input"]) == {
        "power_switch",
        "empty_since",
        "empty_minutes",
        "start_at",
    }
    await client.send_json_auto_id(
        {
            "type": "blueprint/save",
            "domain": AUTOMATION_DOMAIN,
            "path": result["suggested_filename"],
            "yaml": result["raw_data"],
            "source_url": url,
        }
    )
    saved = await client.receive_json()
    assert saved["success"], saved

    # An automation made from the saved file passes the automation schema.
    path = f"{result['suggested_filename']}.yaml"
    await set_up_automations(
        hass,
        {
            "alias": "Stop Survival when empty",
            "use_blueprint": {
                "path": path,
                "input": {
                    "power_switch": "switch.survival",
                    "empty_since": "sensor.survival_empty_since",
                },
            },
        },
    )


async def test_an_empty_server_is_stopped_and_one_with_a_player_is_not(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: PanelSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Survival, empty, stops after 30 min; Creative waits while Steve plays, then stops too."""
    freezer.move_to(NOON)
    survival, creative = server_at(simulator, SURVIVAL), server_at(simulator, CREATIVE)
    simulator.set_state(creative.identifier, power=PowerState.RUNNING)
    simulator.game(creative.identifier).join("Steve")
    install_blueprint(hass)
    await setup_entry(hass, mock_config_entry, simulator)
    assert state_of(hass, "sensor", creative, "empty_since") == STATE_UNKNOWN
    empty_since = dt_util.parse_datetime(state_of(hass, "sensor", survival, "empty_since"))
    assert empty_since is not None
    await set_up_automations(hass, instance(hass, survival), instance(hass, creative))

    await poll(hass, freezer, (EMPTY_MINUTES - 1) * 60)
    assert survival.power_signals == []
    # A poll settles every task it starts: the automation's action has reached the panel.
    await poll(hass, freezer, 2 * 60)
    assert survival.power_signals == ["stop"]
    assert creative.power_signals == []

    # Steve leaves: Creative is empty from the next player query, and stopped 30 min later.
    simulator.game(creative.identifier).leave("Steve")
    await poll(hass, freezer)
    assert state_of(hass, "sensor", creative, "empty_since") != STATE_UNKNOWN
    await poll(hass, freezer, (EMPTY_MINUTES - 1) * 60)
    assert creative.power_signals == []
    await poll(hass, freezer, 2 * 60)
    assert creative.power_signals == ["stop"]
    assert survival.power_signals == ["stop"]


async def test_empty_before_a_restart_counts(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: PanelSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Empty for 40 min before Home Assistant restarted: stopped at the first minute after it."""
    freezer.move_to(NOON)
    survival = server_at(simulator, SURVIVAL)
    # Up for hours: it was empty before Home Assistant went down, and has not restarted since.
    survival.set_power(PowerState.RUNNING, ago=3 * 3600)
    became_empty = NOON - timedelta(minutes=40)
    mock_restore_cache_with_extra_data(
        hass,
        [
            (
                State("sensor.survival_empty_since", became_empty.isoformat()),
                {
                    "native_value": {
                        "__type": "<class 'datetime.datetime'>",
                        "isoformat": became_empty.isoformat(),
                    },
                    "native_unit_of_measurement": None,
                },
            )
        ],
    )
    install_blueprint(hass)
    await setup_entry(hass, mock_config_entry, simulator)
    assert state_of(hass, "sensor", survival, "empty_since") == became_empty.isoformat()
    await set_up_automations(hass, instance(hass, survival))

    await poll(hass, freezer, 60)
    assert survival.power_signals == ["stop"]


async def test_the_schedule_starts_the_server(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: PanelSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """With a start time, the stopped server is started at that time of day."""
    local_noon = dt_util.as_local(NOON)
    freezer.move_to(NOON)
    creative = server_at(simulator, CREATIVE)
    install_blueprint(hass)
    await setup_entry(hass, mock_config_entry, simulator)
    start_at = (local_noon + timedelta(minutes=10)).strftime("%H:%M:%S")
    await set_up_automations(hass, instance(hass, creative, start_at=start_at))

    await poll(hass, freezer, 9 * 60)
    assert creative.power_signals == []
    await poll(hass, freezer, 60)
    assert creative.power_signals == ["start"]
    assert state_of(hass, SWITCH_DOMAIN, creative, "power") == STATE_ON
