"""Schedules: a button each, the run_schedule action, next runs, schedules coming and going."""

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.button import DOMAIN as BUTTON_DOMAIN, SERVICE_PRESS
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.pterodactyl.const import DOMAIN
from simulator import Fault, FaultKind, PanelSimulator, SimServer

from .common import CREATIVE, SURVIVAL, entity_id_of, poll, server_at, settle

pytestmark = pytest.mark.parametrize("work_reads", [True])


def button_of(hass: HomeAssistant, server: SimServer, schedule_id: int) -> str | None:
    """Return the entity ID of a schedule's button, None when there is none."""
    return entity_id_of(hass, "button", server, f"schedule_{schedule_id}")


async def set_up(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Set the entry up after changing the panel, and wait for its first reads."""
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await settle(hass)


def survival_as_subuser(simulator: PanelSimulator, *permissions: str) -> SimServer:
    """Make the account a subuser of Survival with these permissions (and control.*)."""
    return simulator.make_subuser(
        server_at(simulator, SURVIVAL).identifier, ["control.*", *permissions]
    )


@pytest.mark.parametrize("panel_flavor", ["v1", "pelican"])
async def test_a_button_runs_its_schedule(
    hass: HomeAssistant, simulator: PanelSimulator, init_integration: MockConfigEntry
) -> None:
    """Each schedule has a button named after it; pressing it runs the schedule, active or not."""
    survival = server_at(simulator, SURVIVAL)
    nightly, weekly = simulator.schedules_of(survival.identifier)
    entity_id = button_of(hass, survival, weekly.id)
    assert entity_id is not None
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.attributes["friendly_name"] == "Survival Run Weekly restart"
    assert button_of(hass, survival, nightly.id) is not None

    await hass.services.async_call(
        BUTTON_DOMAIN, SERVICE_PRESS, {ATTR_ENTITY_ID: entity_id}, blocking=True
    )
    # Its first task, a console warning, runs within the panel's answer.
    assert survival.commands == ["say Restarting in 5 minutes"]


async def test_run_schedule_by_name(
    hass: HomeAssistant, simulator: PanelSimulator, init_integration: MockConfigEntry
) -> None:
    """The action finds the schedule by its name in any case; an unknown name is the user's."""
    survival = server_at(simulator, SURVIVAL)
    switch = entity_id_of(hass, "switch", survival, "power")
    await hass.services.async_call(
        DOMAIN,
        "run_schedule",
        {ATTR_ENTITY_ID: switch, "schedule": "weekly RESTART"},
        blocking=True,
    )
    assert "say Restarting in 5 minutes" in survival.commands

    with pytest.raises(ServiceValidationError) as raised:
        await hass.services.async_call(
            DOMAIN, "run_schedule", {ATTR_ENTITY_ID: switch, "schedule": "Daily"}, blocking=True
        )
    assert raised.value.translation_key == "schedule_not_found"
    assert str(raised.value) == "Survival has no schedule named Daily"


async def test_schedules_come_and_go(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: PanelSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A schedule made on the panel gets its button at the next read; a deleted one loses it."""
    creative = server_at(simulator, CREATIVE)
    (announcement,) = simulator.schedules_of(creative.identifier)
    added = simulator.add_schedule(creative.identifier, "Hourly save", "0 * * * *")
    simulator.delete_schedule(creative.identifier, announcement.id)

    await poll(hass, freezer, seconds=6 * 60)

    assert button_of(hass, creative, added.id) is not None
    assert button_of(hass, creative, announcement.id) is None


async def test_many_schedules_wait_to_be_enabled(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    simulator: PanelSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """A server with more than 5 schedules gets their buttons disabled; next runs always are."""
    creative = server_at(simulator, CREATIVE)
    for number in range(5):
        simulator.add_schedule(creative.identifier, f"Task {number}")
    await set_up(hass, mock_config_entry)

    schedules = simulator.schedules_of(creative.identifier)
    assert len(schedules) == 6
    for schedule in schedules:
        button = entity_registry.async_get(button_of(hass, creative, schedule.id) or "")
        assert button is not None
        assert button.disabled_by is er.RegistryEntryDisabler.INTEGRATION
        next_run = entity_id_of(hass, "sensor", creative, f"schedule_{schedule.id}_next_run")
        sensor = entity_registry.async_get(next_run or "")
        assert sensor is not None
        assert sensor.disabled_by is er.RegistryEntryDisabler.INTEGRATION


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_next_run_of_active_schedules(
    hass: HomeAssistant, simulator: PanelSimulator, init_integration: MockConfigEntry
) -> None:
    """The next run of an active schedule, as the panel computes it; unknown for an inactive one."""
    survival = server_at(simulator, SURVIVAL)
    nightly, weekly = simulator.schedules_of(survival.identifier)
    state = hass.states.get(
        entity_id_of(hass, "sensor", survival, f"schedule_{nightly.id}_next_run") or ""
    )
    assert state is not None
    assert state.state.endswith("04:00:00+00:00")
    assert state.attributes["friendly_name"] == "Survival Nightly backup next run"
    inactive = entity_id_of(hass, "sensor", survival, f"schedule_{weekly.id}_next_run")
    assert hass.states.get(inactive or "").state == "unknown"


async def test_a_subuser_without_schedule_read_gets_no_schedule_entities(
    hass: HomeAssistant, simulator: PanelSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """The panel refuses the read: no buttons, and the action says the permission is missing."""
    survival = survival_as_subuser(simulator)
    await set_up(hass, mock_config_entry)

    schedules = simulator.schedules_of(survival.identifier)
    for schedule in schedules:
        assert button_of(hass, survival, schedule.id) is None
    switch = entity_id_of(hass, "switch", survival, "power")
    with pytest.raises(ServiceValidationError) as raised:
        await hass.services.async_call(
            DOMAIN,
            "run_schedule",
            {ATTR_ENTITY_ID: switch, "schedule": schedules[0].name},
            blocking=True,
        )
    # Not "has no schedule named …": the account may not see them.
    assert raised.value.translation_key == "missing_permission"


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_a_subuser_who_may_read_but_not_run_gets_no_buttons(
    hass: HomeAssistant, simulator: PanelSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """schedule.read without schedule.update: next runs, but no button to run them."""
    survival = survival_as_subuser(simulator, "schedule.read")
    await set_up(hass, mock_config_entry)

    nightly, weekly = simulator.schedules_of(survival.identifier)
    for schedule in (nightly, weekly):
        assert button_of(hass, survival, schedule.id) is None
        assert entity_id_of(hass, "sensor", survival, f"schedule_{schedule.id}_next_run")
    # The action asks the panel, whose refusal is the user's to fix.
    switch = entity_id_of(hass, "switch", survival, "power")
    with pytest.raises(ServiceValidationError) as raised:
        await hass.services.async_call(
            DOMAIN,
            "run_schedule",
            {ATTR_ENTITY_ID: switch, "schedule": nightly.name},
            blocking=True,
        )
    assert raised.value.translation_key == "missing_permission"


async def test_a_subuser_who_may_run_gets_buttons_after_one_read_of_permissions(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: PanelSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """A subuser's permissions are read once for a server with schedules; owners' never."""
    survival = survival_as_subuser(simulator, "schedule.read", "schedule.update")
    await set_up(hass, mock_config_entry)
    await poll(hass, freezer, seconds=6 * 60)  # the schedules are read again

    for schedule in simulator.schedules_of(survival.identifier):
        assert button_of(hass, survival, schedule.id) is not None
    server_reads = [
        request.server
        for request in simulator.requests
        if request.method == "GET"
        and request.path.rstrip("/").endswith(f"/servers/{request.server}")
    ]
    assert server_reads == [survival.identifier]


async def test_a_schedule_deleted_while_home_assistant_was_stopped_loses_its_entities(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    simulator: PanelSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """At the next start, the first read of the server's schedules removes its stale entities."""
    creative = server_at(simulator, CREATIVE)
    (announcement,) = simulator.schedules_of(creative.identifier)
    button = button_of(hass, creative, announcement.id)
    next_run = entity_id_of(hass, "sensor", creative, f"schedule_{announcement.id}_next_run")
    assert button is not None
    assert next_run is not None
    await hass.config_entries.async_unload(init_integration.entry_id)
    simulator.delete_schedule(creative.identifier, announcement.id)

    await hass.config_entries.async_setup(init_integration.entry_id)
    await settle(hass)

    assert entity_registry.async_get(button) is None
    assert entity_registry.async_get(next_run) is None
    # The other servers' schedule entities stay.
    survival = server_at(simulator, SURVIVAL)
    assert all(
        button_of(hass, survival, schedule.id) is not None
        for schedule in simulator.schedules_of(survival.identifier)
    )


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_a_schedule_renamed_on_the_panel_renames_its_entities(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entity_registry: er.EntityRegistry,
    simulator: PanelSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """The next read renames the button and the next run; entity IDs and settings stay."""
    survival = server_at(simulator, SURVIVAL)
    nightly, _ = simulator.schedules_of(survival.identifier)
    button = button_of(hass, survival, nightly.id)
    next_run = entity_id_of(hass, "sensor", survival, f"schedule_{nightly.id}_next_run")
    assert button is not None
    assert next_run is not None
    entity_registry.async_update_entity(button, icon="mdi:weather-night")
    nightly.name = "Nightly backup (4 am)"

    await poll(hass, freezer, seconds=6 * 60)

    assert button_of(hass, survival, nightly.id) == button
    pressable = hass.states.get(button)
    assert pressable is not None
    assert pressable.attributes["friendly_name"] == "Survival Run Nightly backup (4 am)"
    assert pressable.attributes["icon"] == "mdi:weather-night"
    sensor = hass.states.get(next_run)
    assert sensor is not None
    assert sensor.attributes["friendly_name"] == "Survival Nightly backup (4 am) next run"
    # And it still runs the schedule, whose one task backs the server up.
    backups = len(simulator.backups_of(survival.identifier))
    await hass.services.async_call(
        BUTTON_DOMAIN, SERVICE_PRESS, {ATTR_ENTITY_ID: button}, blocking=True
    )
    assert len(simulator.backups_of(survival.identifier)) == backups + 1


async def test_a_disabled_schedule_entity_is_renamed_in_the_registry(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entity_registry: er.EntityRegistry,
    simulator: PanelSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A next-run sensor left disabled is never added, yet its registry entry takes the name."""
    survival = server_at(simulator, SURVIVAL)
    nightly, _ = simulator.schedules_of(survival.identifier)
    next_run = entity_id_of(hass, "sensor", survival, f"schedule_{nightly.id}_next_run")
    assert next_run is not None
    nightly.name = "Nightly backup (4 am)"

    await poll(hass, freezer, seconds=6 * 60)

    registered = entity_registry.async_get(next_run)
    assert registered is not None
    assert registered.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    assert registered.original_name == "Nightly backup (4 am) next run"
    assert hass.states.get(next_run) is None


async def test_permissions_that_cannot_be_read_are_read_again(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: PanelSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Until a subuser's permissions are known the server has no buttons; the next read retries."""
    survival = survival_as_subuser(simulator, "schedule.read", "schedule.update")
    path = f"/api/client/servers/{survival.identifier}"
    simulator.inject_fault(Fault(FaultKind.STATUS, status=502, path=path, count=1))
    await set_up(hass, mock_config_entry)
    schedules = simulator.schedules_of(survival.identifier)
    assert all(button_of(hass, survival, schedule.id) is None for schedule in schedules)

    await poll(hass, freezer, seconds=6 * 60)

    assert all(button_of(hass, survival, schedule.id) is not None for schedule in schedules)
