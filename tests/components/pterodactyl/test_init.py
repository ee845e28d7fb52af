"""Tests of setup, unload, migration and device removal against the simulated panel."""

from datetime import timedelta
from urllib.parse import urlsplit

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntries, ConfigEntryState
from homeassistant.const import CONF_API_KEY, CONF_URL, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryError
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components import pterodactyl
from custom_components.pterodactyl import entry_method_result
from custom_components.pterodactyl.const import CONF_VERIFY_SSL, DOMAIN
from simulator import PanelSimulator

from .common import settle


def core_entry(url: str, api_key: str) -> MockConfigEntry:
    """Return an entry exactly as Home Assistant core's integration creates it."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=url,
        version=1,
        minor_version=1,
        data={CONF_URL: url, CONF_API_KEY: api_key},
    )


async def setup_entry(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Add an entry and try to set it up."""
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


@pytest.mark.parametrize("panel_flavor", ["v1", "legacy", "pelican"])
async def test_setup_and_unload(
    hass: HomeAssistant,
    simulator: PanelSimulator,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """The entry loads every server as a device and unloads cleanly."""
    assert init_integration.state is ConfigEntryState.LOADED
    devices = dr.async_entries_for_config_entry(device_registry, init_integration.entry_id)
    assert {device.name for device in devices} == {s.name for s in simulator.servers.values()}

    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()

    assert init_integration.state is ConfigEntryState.NOT_LOADED
    # Unloaded entities stay registered, shown as unavailable.
    states = hass.states.async_all()
    assert states
    assert all(state.state == STATE_UNAVAILABLE for state in states)


async def test_setup_retry_while_panel_down(
    hass: HomeAssistant, simulator: PanelSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """A panel that is down at startup is retried, and the entry loads once it is back."""
    port = urlsplit(str(simulator.url)).port
    assert port is not None
    await simulator.stop()

    await setup_entry(hass, mock_config_entry)
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY
    assert mock_config_entry.error_reason_translation_key == "cannot_connect"

    await simulator.start("127.0.0.1", port)
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=1))
    # The retry runs as a background task.
    await settle(hass)

    assert mock_config_entry.state is ConfigEntryState.LOADED


async def test_setup_revoked_key_starts_reauth(
    hass: HomeAssistant, simulator: PanelSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """A refused key fails setup and asks the user for a new one."""
    simulator.revoke_key(simulator.client_key)

    await setup_entry(hass, mock_config_entry)

    assert mock_config_entry.state is ConfigEntryState.SETUP_ERROR
    assert mock_config_entry.error_reason_translation_key == "invalid_auth"
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [(flow["step_id"], flow["context"]["source"]) for flow in flows] == [
        ("reauth_confirm", SOURCE_REAUTH)
    ]
    assert flows[0]["context"]["entry_id"] == mock_config_entry.entry_id


async def test_setup_invalid_url(hass: HomeAssistant, simulator: PanelSimulator) -> None:
    """A stored URL that is not a plain http(s) address fails setup with a clear reason."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        version=2,
        data={
            CONF_URL: "ftp://panel.example.com",
            CONF_API_KEY: simulator.client_key,
            CONF_VERIFY_SSL: True,
        },
    )

    await setup_entry(hass, entry)

    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert entry.error_reason_translation_key == "invalid_url"
    assert not simulator.api_requests()


async def test_migrate_core_entry(
    hass: HomeAssistant, simulator: PanelSimulator, entity_registry: er.EntityRegistry
) -> None:
    """An entry of core's integration loads, gains its fields and ID, and keeps entity IDs."""
    entry = core_entry(f"{simulator.url}/", simulator.client_key)
    entry.add_to_hass(hass)
    survival = next(s for s in simulator.servers.values() if s.name == "Survival")
    # Registered by core's integration, with its unique ID scheme and its entity ID.
    core_entity = entity_registry.async_get_or_create(
        "sensor",
        DOMAIN,
        f"{survival.uuid}_cpu_utilization",
        config_entry=entry,
        suggested_object_id="survival_cpu_utilization",
    )
    assert core_entity.entity_id == "sensor.survival_cpu_utilization"

    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.LOADED
    assert (entry.version, entry.minor_version) == (2, 1)
    assert entry.data == {
        CONF_URL: simulator.url,
        CONF_API_KEY: simulator.client_key,
        CONF_VERIFY_SSL: True,
    }
    assert entry.unique_id == f"1@{simulator.url}"
    assert (
        entity_registry.async_get_entity_id("sensor", DOMAIN, f"{survival.uuid}_cpu_utilization")
        == "sensor.survival_cpu_utilization"
    )
    state = hass.states.get("sensor.survival_cpu_utilization")
    assert state is not None
    assert state.state not in (STATE_UNAVAILABLE, STATE_UNKNOWN)
    assert float(state.state) > 0


async def test_migrate_keeps_unparsable_url(
    hass: HomeAssistant, simulator: PanelSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    """An entry whose URL is invalid still migrates, keeping the URL for the user to fix."""
    entry = core_entry("ftp://panel.example.com", simulator.client_key)

    await setup_entry(hass, entry)

    assert entry.version == 2
    assert entry.data[CONF_URL] == "ftp://panel.example.com"
    assert entry.data[CONF_VERIFY_SSL] is True
    assert "Keeping the stored panel URL unchanged" in caplog.text
    assert entry.state is ConfigEntryState.SETUP_ERROR


async def test_unique_id_taken_is_not_adopted(
    hass: HomeAssistant, simulator: PanelSimulator, init_integration: MockConfigEntry
) -> None:
    """A core entry of an account that already has an entry loads but keeps no unique ID."""
    entry = core_entry(str(simulator.url), simulator.client_key)

    await setup_entry(hass, entry)

    assert entry.state is ConfigEntryState.LOADED
    assert entry.unique_id is None
    assert init_integration.unique_id == f"1@{simulator.url}"


async def test_migrate_from_future_version(hass: HomeAssistant, simulator: PanelSimulator) -> None:
    """An entry written by a newer version of the integration is not guessed at."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        version=3,
        data={CONF_URL: simulator.url, CONF_API_KEY: simulator.client_key, "new_field": 1},
    )

    await setup_entry(hass, entry)

    assert entry.state is ConfigEntryState.MIGRATION_ERROR
    assert entry.version == 3
    assert not simulator.api_requests()


async def remove_device(hass: HomeAssistant, client: WebSocketGenerator, device_id: str) -> bool:
    """Ask to remove a device the way the device page does; return whether it was allowed."""
    assert await async_setup_component(hass, "config", {})
    ws = await client(hass)
    await ws.send_json_auto_id({"type": "config/device_registry/remove", "device_id": device_id})
    response = await ws.receive_json()
    return bool(response["success"])


async def test_remove_device(
    hass: HomeAssistant,
    simulator: PanelSimulator,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """A live server's device cannot be removed; a device of a server gone from the panel can."""
    live = next(iter(simulator.servers))
    live_device = device_registry.async_get_device_by_identifier(
        (DOMAIN, live), init_integration.entry_id
    )
    assert live_device is not None
    # A server deleted on the panel while Home Assistant was not running.
    gone_device = device_registry.async_get_or_create(
        config_entry_id=init_integration.entry_id, identifiers={(DOMAIN, "deadbeef")}
    )

    assert not await remove_device(hass, hass_ws_client, live_device.id)
    assert device_registry.async_get(live_device.id) is not None

    assert await remove_device(hass, hass_ws_client, gone_device.id)
    assert device_registry.async_get(gone_device.id) is None


async def test_remove_device_while_not_loaded(
    hass: HomeAssistant,
    simulator: PanelSimulator,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """Without the panel's server list, no device is removed on a guess."""
    device = device_registry.async_get_or_create(
        config_entry_id=init_integration.entry_id, identifiers={(DOMAIN, "deadbeef")}
    )
    assert await hass.config_entries.async_unload(init_integration.entry_id)

    assert not await remove_device(hass, hass_ws_client, device.id)
    assert device_registry.async_get(device.id) is not None


def test_entry_method_convention_matches_home_assistant() -> None:
    """The integration returns None exactly where Home Assistant asks for it (2026.11 on)."""
    # async_unload_platforms_or_raise came with 2026.11's None convention; 2026.9 and 2026.10,
    # on which this suite runs, fail an entry whose method returns None.
    assert hasattr(ConfigEntries, "async_unload_platforms_or_raise") == pterodactyl.RETURNS_NONE


@pytest.mark.parametrize(
    ("returns_none", "succeeded", "expected"),
    [(False, True, True), (False, False, False), (True, True, None)],
)
def test_entry_method_result(
    monkeypatch: pytest.MonkeyPatch, returns_none: bool, succeeded: bool, expected: bool | None
) -> None:
    """Before 2026.11 an entry method says True or False; from 2026.11 on, None on success."""
    monkeypatch.setattr(pterodactyl, "RETURNS_NONE", returns_none)

    assert entry_method_result(succeeded) is expected


def test_entry_method_failure_raises_from_2026_11(monkeypatch: pytest.MonkeyPatch) -> None:
    """From 2026.11 on a failed unload raises what Home Assistant's own helper raises."""
    monkeypatch.setattr(pterodactyl, "RETURNS_NONE", True)

    with pytest.raises(ConfigEntryError) as err:
        entry_method_result(False)

    assert (err.value.translation_domain, err.value.translation_key) == (
        "homeassistant",
        "unload_platforms_failed",
    )
