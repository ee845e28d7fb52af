"""Backups: the sensors, the create_backup action, its limit and throttle, and the event."""

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import ATTR_ENTITY_ID, STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from custom_components.pterodactyl.const import DOMAIN, EVENT_BACKUP_COMPLETED
from simulator import PanelSimulator
from simulator.clock import ManualClock

from .common import (
    CREATIVE,
    SURVIVAL,
    entity_id_of,
    poll,
    server_at,
    settle,
    state_of,
    wait_for_events,
)

pytestmark = pytest.mark.parametrize("work_reads", [True])


async def create_backup(hass: HomeAssistant, switch: str, **data: object) -> None:
    """Call the create_backup action on one server's switch."""
    await hass.services.async_call(
        DOMAIN, "create_backup", {ATTR_ENTITY_ID: switch, **data}, blocking=True
    )


def switch_of(hass: HomeAssistant, simulator: PanelSimulator, index: int) -> str:
    """Return the entity ID of a server's power switch."""
    entity_id = entity_id_of(hass, "switch", server_at(simulator, index), "power")
    assert entity_id is not None
    return entity_id


@pytest.mark.parametrize("panel_flavor", ["v1", "pelican"])
async def test_backup_sensors(
    hass: HomeAssistant, simulator: PanelSimulator, init_integration: MockConfigEntry
) -> None:
    """The newest good backup with its name and size; the count against the server's limit."""
    survival, creative = server_at(simulator, SURVIVAL), server_at(simulator, CREATIVE)
    newest = simulator.backups_of(survival.identifier)[-1]
    assert newest.completed_at is not None

    last = hass.states.get(entity_id_of(hass, "sensor", survival, "last_backup") or "")
    assert last is not None
    assert dt_util.parse_datetime(last.state) is not None
    assert last.attributes["name"] == newest.name
    assert last.attributes["size_bytes"] == newest.bytes
    count = hass.states.get(entity_id_of(hass, "sensor", survival, "backups") or "")
    assert count is not None
    assert (count.state, count.attributes["limit"]) == ("2", 3)
    assert state_of(hass, "binary_sensor", survival, "backup_running") == STATE_OFF
    # Creative's only backup failed: nothing good, and nothing counted.
    assert state_of(hass, "sensor", creative, "last_backup") == "unknown"
    assert state_of(hass, "sensor", creative, "backups") == "0"


@pytest.mark.parametrize("panel_flavor", ["legacy"])
async def test_no_backups_on_legacy_panels(
    hass: HomeAssistant, simulator: PanelSimulator, init_integration: MockConfigEntry
) -> None:
    """0.7 has no backups: no such entities, and no request for them."""
    assert entity_id_of(hass, "sensor", server_at(simulator, SURVIVAL), "backups") is None
    assert not any("/backups" in entry.path for entry in simulator.requests)


async def test_a_subuser_without_backup_read_gets_no_backup_entities(
    hass: HomeAssistant, simulator: PanelSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """The panel refuses the read (403): the server gets no backup entities."""
    survival = simulator.make_subuser(server_at(simulator, SURVIVAL).identifier, ["control.*"])
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await settle(hass)

    assert entity_id_of(hass, "sensor", survival, "state") is not None
    assert entity_id_of(hass, "sensor", survival, "backups") is None
    assert entity_id_of(hass, "binary_sensor", survival, "backup_running") is None


async def test_create_backup_runs_then_completes(
    hass: HomeAssistant,
    panel_clock: ManualClock,
    simulator: PanelSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """The action starts a backup: running at once; Wings' event ends it and is announced."""
    creative = server_at(simulator, CREATIVE)
    events = async_capture_events(hass, EVENT_BACKUP_COMPLETED)

    await create_backup(hass, switch_of(hass, simulator, CREATIVE), name="Before the event")
    assert state_of(hass, "binary_sensor", creative, "backup_running") == STATE_ON
    assert state_of(hass, "sensor", creative, "backups") == "1"

    panel_clock.advance(120)
    await wait_for_events(hass, EVENT_BACKUP_COMPLETED, events, 1)
    await settle(hass)

    event = events[0].data
    assert (event["name"], event["backup"], event["successful"]) == (
        "Creative",
        "Before the event",
        True,
    )
    assert event["size_bytes"] > 0
    assert event["device_id"] is not None
    assert state_of(hass, "binary_sensor", creative, "backup_running") == STATE_OFF
    last = hass.states.get(entity_id_of(hass, "sensor", creative, "last_backup") or "")
    assert last is not None
    assert last.attributes["name"] == "Before the event"


async def test_a_failed_backup_is_announced_as_such(
    hass: HomeAssistant,
    panel_clock: ManualClock,
    simulator: PanelSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A failed backup is announced as such: "notify me when the backup failed"."""
    creative = server_at(simulator, CREATIVE)
    simulator.fail_next_backup(creative.identifier)
    events = async_capture_events(hass, EVENT_BACKUP_COMPLETED)
    await create_backup(hass, switch_of(hass, simulator, CREATIVE))
    panel_clock.advance(120)
    await wait_for_events(hass, EVENT_BACKUP_COMPLETED, events, 1)
    assert events[0].data["successful"] is False
    assert len(events) == 1


@pytest.mark.parametrize("websocket_push", [False])
async def test_a_scheduled_backup_seen_by_polling(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    panel_clock: ManualClock,
    simulator: PanelSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Without push, a backup made by another client is announced at a later read."""
    creative = server_at(simulator, CREATIVE)
    events = async_capture_events(hass, EVENT_BACKUP_COMPLETED)
    # Its backups known before the new one (the panel's limit may leave set-up too few reads).
    await init_integration.runtime_data.extras.backups.async_read(creative.identifier)
    simulator.start_backup(creative.identifier, name="From a schedule")
    panel_clock.advance(120)

    # The next read sees it, ended or still running; a running one is read again each minute.
    await poll(hass, freezer, seconds=11 * 60)
    panel_clock.advance(600)
    await poll(hass, freezer, seconds=61)

    assert [event.data["backup"] for event in events] == ["From a schedule"]


async def test_a_full_server_says_its_limit_or_rotates(
    hass: HomeAssistant, simulator: PanelSimulator, init_integration: MockConfigEntry
) -> None:
    """At its limit, a server refuses in the user's words; with rotate, the oldest unlocked goes."""
    survival = server_at(simulator, SURVIVAL)
    simulator.set_backup_limit(survival.identifier, 2)
    await hass.config_entries.async_reload(init_integration.entry_id)
    await settle(hass)
    switch = switch_of(hass, simulator, SURVIVAL)
    locked, unlocked = simulator.backups_of(survival.identifier)

    with pytest.raises(ServiceValidationError) as raised:
        await create_backup(hass, switch)
    assert raised.value.translation_key == "backup_limit"
    assert "already keeps 2 backups" in str(raised.value)
    assert len(simulator.backups_of(survival.identifier)) == 2

    await create_backup(hass, switch, rotate=True, name="Rotated in")
    names = [backup.name for backup in simulator.backups_of(survival.identifier)]
    assert names == [locked.name, "Rotated in"]
    assert unlocked.name not in names


async def test_the_backup_throttle_is_told_with_its_wait(
    hass: HomeAssistant, simulator: PanelSimulator, init_integration: MockConfigEntry
) -> None:
    """Pterodactyl's 2 backups per 10 minutes: the third is refused, with when to try again."""
    simulator.set_backup_throttle(1, 600)
    switch = switch_of(hass, simulator, CREATIVE)
    await create_backup(hass, switch)
    with pytest.raises(ServiceValidationError) as raised:
        await create_backup(hass, switch)
    assert raised.value.translation_key == "backup_throttled"
    assert raised.value.translation_placeholders is not None
    assert int(raised.value.translation_placeholders["retry_after"]) > 0
    # The route's own throttle says nothing of the account's rate limit.
    assert init_integration.runtime_data.client.rate_limit.limit is not None


async def test_backup_running_shown_by_another_client(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: PanelSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A backup started elsewhere shows as running at the next read of the server."""
    creative = server_at(simulator, CREATIVE)
    simulator.set_backup_duration(creative.identifier, None)
    simulator.start_backup(creative.identifier)
    await poll(hass, freezer, seconds=11 * 60)
    assert state_of(hass, "binary_sensor", creative, "backup_running") == STATE_ON


async def test_work_reads_come_out_of_the_polling_budget(
    hass: HomeAssistant,
    *,
    freezer: FrozenDateTimeFactory,
    hass_client: ClientSessionGenerator,
    simulator: PanelSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Backup and schedule reads are taken from the panel's limit before polls; diagnostics say."""
    # The first poll ran before the reads started; the next one counts them.
    await poll(hass, freezer)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, init_integration)
    coordinator = diagnostics["coordinator"]
    # Three servers: backups once in 10 minutes and schedules once in 5, spread per minute.
    assert coordinator["work_reads_per_minute"] == 2
    limit = diagnostics["panel"]["rate_limit"]["limit"]
    assert coordinator["requests_per_minute_budget"] == int((limit - 2) * 0.8)
    survival = diagnostics["servers"][server_at(simulator, SURVIVAL).identifier]
    assert survival["backups"] == {"readable": True, "read": True, "kept": 2, "running": False}
    assert survival["schedules"] == {"readable": True, "listed": 2}


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.freeze_time("2026-11-29 12:00:00")
async def test_backup_and_schedule_entities(
    hass: HomeAssistant,
    *,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    simulator: PanelSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Every backup and schedule entity of the seeded fleet, as registered and as shown."""
    keys = ("last_backup", "backups", "backup_running", "schedule")
    entities = sorted(
        (
            entity
            for entity in er.async_entries_for_config_entry(
                entity_registry, init_integration.entry_id
            )
            if entity.translation_key in keys or entity.translation_key == "schedule_next_run"
        ),
        key=lambda entity: entity.entity_id,
    )
    assert entities
    for entity in entities:
        assert entity == snapshot(name=f"{entity.entity_id}-entry")
        state = hass.states.get(entity.entity_id)
        assert state is not None
        assert state.attributes == snapshot(name=f"{entity.entity_id}-attributes")
