"""Tests of the sensors: what a user sees for each server, on every panel flavour."""

from collections.abc import Callable

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from syrupy.assertion import SnapshotAssertion

from simulator import Fault, FaultKind, PanelSimulator, PowerState, ServerStatus, SimServer
from simulator.clock import ManualClock

from .common import (
    CREATIVE,
    SURVIVAL,
    VALHEIM,
    entity_id_of,
    poll,
    server_at,
    setup_platform,
    state_of,
)

USAGE = ("cpu_utilization", "memory_usage", "disk_usage", "network_inbound", "uptime")
LIMITS = ("cpu_limit", "memory_limit", "disk_limit")

pytestmark = pytest.mark.usefixtures("entity_registry_enabled_by_default")


@pytest.mark.freeze_time("2026-10-20 12:00:00+00:00")
@pytest.mark.parametrize("panel_flavor", ["v1", "legacy", "pelican"])
async def test_sensors(
    hass: HomeAssistant,
    *,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    simulator: PanelSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Every sensor of every server, as the panel reports them."""
    await setup_platform(hass, mock_config_entry, Platform.SENSOR, simulator)
    await snapshot_platform(hass, entity_registry, snapshot, mock_config_entry.entry_id)


@pytest.mark.parametrize("panel_flavor", ["legacy"])
async def test_legacy_installing_server_is_read(
    hass: HomeAssistant,
    *,
    freezer: FrozenDateTimeFactory,
    simulator: PanelSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """0.7 neither lists nor refuses an installing server: its usage is read as any other's."""
    await setup_platform(hass, mock_config_entry, Platform.SENSOR, simulator)
    survival = server_at(simulator, SURVIVAL)
    simulator.set_installing(survival.identifier)
    await poll(hass, freezer)
    assert state_of(hass, "sensor", survival, "state") == "running"
    assert float(state_of(hass, "sensor", survival, "memory_usage")) > 0


@pytest.mark.parametrize("panel_flavor", ["legacy"])
async def test_legacy_panel_has_no_network_or_uptime(
    hass: HomeAssistant, simulator: PanelSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """A 0.7 panel reports neither, so no entity that could never have a value is created."""
    await setup_platform(hass, mock_config_entry, Platform.SENSOR, simulator)
    survival = server_at(simulator, SURVIVAL)

    for key in ("network_inbound", "network_outbound", "uptime"):
        assert entity_id_of(hass, "sensor", survival, key) is None
    assert float(state_of(hass, "sensor", survival, "memory_usage")) > 0
    assert state_of(hass, "sensor", survival, "state") == "running"


FAULTS = {
    "suspended": (lambda sim, server: sim.suspend(server.identifier), "suspended"),
    "installing": (lambda sim, server: sim.set_installing(server.identifier), "installing"),
    "node_down": (lambda sim, server: sim.set_node_down(server.identifier), "unreachable"),
    "server_500": (
        lambda sim, server: sim.inject_fault(
            Fault(FaultKind.STATUS, server=server.identifier, status=500)
        ),
        "unreachable",
    ),
}


@pytest.mark.parametrize(
    ("panel_flavor", "make_fault", "expected_state"),
    [
        pytest.param(flavor, *FAULTS[fault], id=f"{fault}-{flavor}")
        for flavor in ("v1", "legacy", "pelican")
        for fault in FAULTS
        # 0.7 does not refuse an installing server: test_legacy_installing_server_is_read.
        if (flavor, fault) != ("legacy", "installing")
    ],
)
# Poll only: the reasons are the panel's answers to usage reads, which a pushed server never
# needs (test_socket_faults has what a dropped socket shows).
@pytest.mark.parametrize("websocket_push", [False])
async def test_server_without_usage(
    hass: HomeAssistant,
    *,
    freezer: FrozenDateTimeFactory,
    simulator: PanelSimulator,
    mock_config_entry: MockConfigEntry,
    panel_flavor: str,
    make_fault: Callable[[PanelSimulator, SimServer], object],
    expected_state: str,
) -> None:
    """Usage goes unavailable, the state says why, limits stay, other servers keep updating."""
    await setup_platform(hass, mock_config_entry, Platform.SENSOR, simulator)
    survival, creative = server_at(simulator, SURVIVAL), server_at(simulator, CREATIVE)
    legacy = panel_flavor == "legacy"
    usage = [key for key in USAGE if not legacy or key in ("cpu_utilization", "memory_usage")]

    make_fault(simulator, survival)
    simulator.set_state(creative.identifier, power=PowerState.RUNNING)
    await poll(hass, freezer)

    assert state_of(hass, "sensor", survival, "state") == expected_state
    for key in usage:
        assert state_of(hass, "sensor", survival, key) == STATE_UNAVAILABLE
    for key in LIMITS:
        assert state_of(hass, "sensor", survival, key) not in (STATE_UNAVAILABLE, STATE_UNKNOWN)
    assert state_of(hass, "sensor", creative, "state") == "running"
    assert float(state_of(hass, "sensor", creative, "memory_usage")) > 0

    # Everything comes back once the cause is gone.
    simulator.suspend(survival.identifier, suspended=False)
    simulator.set_installing(survival.identifier, installing=False)
    simulator.set_node_down(survival.identifier, down=False)
    simulator.clear_faults()
    await poll(hass, freezer)

    assert state_of(hass, "sensor", survival, "state") in ("running", "offline")
    for key in usage:
        assert state_of(hass, "sensor", survival, key) != STATE_UNAVAILABLE


@pytest.mark.parametrize(
    ("make_busy", "expected_state"),
    [
        (lambda sim, server: sim.set_state(server, transferring=True), "transferring"),
        (
            lambda sim, server: sim.set_state(server, status=ServerStatus.RESTORING_BACKUP),
            "restoring_backup",
        ),
        (lambda sim, server: sim.set_state(server, node_maintenance=True), "node_maintenance"),
    ],
    ids=["transferring", "restoring_backup", "node_maintenance"],
)
# Poll only: the 409 is the panel's answer to a usage read (its token route refuses too).
@pytest.mark.parametrize("websocket_push", [False])
async def test_state_from_the_server_list(
    hass: HomeAssistant,
    simulator: PanelSimulator,
    mock_config_entry: MockConfigEntry,
    make_busy: Callable[[PanelSimulator, str], object],
    expected_state: str,
) -> None:
    """A 409 in words the integration does not know: the listed server says what it is busy with."""
    survival = server_at(simulator, SURVIVAL)
    make_busy(simulator, survival.identifier)
    simulator.inject_fault(
        Fault(
            FaultKind.STATUS,
            server=survival.identifier,
            status=409,
            code="ConflictHttpException",
            detail="This server is busy, please try again later.",
        )
    )
    await setup_platform(hass, mock_config_entry, Platform.SENSOR, simulator)

    assert state_of(hass, "sensor", survival, "state") == expected_state
    assert state_of(hass, "sensor", survival, "cpu_utilization") == STATE_UNAVAILABLE


async def test_unlimited_limits_are_unknown(
    hass: HomeAssistant, simulator: PanelSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """A limit of 0 means unlimited on the panel: it shows as unknown, never as 0 or an error."""
    survival = server_at(simulator, SURVIVAL)
    survival.limits.cpu = survival.limits.memory = survival.limits.disk = 0
    await setup_platform(hass, mock_config_entry, Platform.SENSOR, simulator)

    for key in LIMITS:
        assert state_of(hass, "sensor", survival, key) == STATE_UNKNOWN
    assert float(state_of(hass, "sensor", survival, "memory_usage")) > 0
    assert float(state_of(hass, "sensor", server_at(simulator, VALHEIM), "cpu_limit")) > 0


async def test_uptime_is_the_boot_time(
    hass: HomeAssistant,
    *,
    freezer: FrozenDateTimeFactory,
    simulator: PanelSimulator,
    panel_clock: ManualClock,
    mock_config_entry: MockConfigEntry,
) -> None:
    """The boot time stays put while the server runs, is unknown when off, and moves on boot."""
    await setup_platform(hass, mock_config_entry, Platform.SENSOR, simulator)
    survival = server_at(simulator, SURVIVAL)
    entity_id = entity_id_of(hass, "sensor", survival, "uptime")
    assert entity_id is not None
    booted = hass.states.get(entity_id)
    assert booted is not None
    assert booted.state != STATE_UNKNOWN

    for _ in range(3):
        panel_clock.advance(30)
        await poll(hass, freezer)
    after = hass.states.get(entity_id)
    assert after is not None
    # Not one state write: the recorder keeps a row per boot, not per poll.
    assert (after.state, after.last_changed) == (booted.state, booted.last_changed)

    simulator.set_state(survival.identifier, power=PowerState.OFFLINE)
    await poll(hass, freezer)
    assert state_of(hass, "sensor", survival, "uptime") == STATE_UNKNOWN

    panel_clock.advance(30)
    simulator.set_state(survival.identifier, power=PowerState.RUNNING)
    panel_clock.advance(60)
    await poll(hass, freezer)
    rebooted = state_of(hass, "sensor", survival, "uptime")
    assert rebooted not in (STATE_UNKNOWN, booted.state)
    assert rebooted > booted.state
