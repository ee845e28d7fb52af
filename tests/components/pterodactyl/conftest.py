"""Fixtures: a simulated panel on loopback and a config entry pointing at it."""

from collections.abc import AsyncIterator, Generator
from unittest.mock import AsyncMock, PropertyMock, patch

from homeassistant.const import CONF_API_KEY, CONF_URL
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

from custom_components.pterodactyl.const import CONF_VERIFY_SSL, DOMAIN
from simulator import PanelSimulator, WingsSettings
from simulator.clock import ManualClock

from .common import has_sockets, push_settled


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Load custom_components/pterodactyl instead of Home Assistant core's integration."""


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Serialize like Home Assistant core into snapshots/ (syrupy's own fixture shadows PHCC's)."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture
def panel_flavor() -> str:
    """Return the simulated panel's API generation; parametrize to test the others."""
    return "v1"


@pytest.fixture
def panel_servers() -> int:
    """Return how many servers the simulated panel has."""
    return 3


@pytest.fixture
def panel_clock() -> ManualClock:
    """Return the simulated panel's clock: advance it to move servers through power states."""
    return ManualClock()


@pytest.fixture
def panel_wings() -> WingsSettings | None:
    """Return the timing of the simulated Wings websocket (None: Wings' own)."""
    return None


@pytest.fixture
def websocket_push() -> bool:
    """Return whether the integration opens Wings websockets: it does, as it ships (local_push).

    A test of polling itself turns it off, saying why; a 0.7 panel has no websocket anyway.
    """
    return True


@pytest.fixture(autouse=True)
def _websocket_push(websocket_push: bool) -> Generator[None]:
    """Start no websocket when a test turns push off: the integration then polls every server."""
    if websocket_push:
        yield
        return
    with patch(
        "custom_components.pterodactyl.coordinator.PterodactylCoordinator.async_start_push",
        AsyncMock(),
    ):
        yield


@pytest.fixture
def panel_games() -> bool:
    """Return whether the simulated game servers answer player queries on loopback.

    Off, the panel lists addresses no game answers at, and the integration asks none of them:
    a test of players turns it on.
    """
    return False


@pytest.fixture(autouse=True)
def _player_queries(panel_games: bool) -> Generator[None]:
    """Ask no game, and make no player sensors, when the simulated games are off.

    Their addresses reach nothing: every player sensor would only be unavailable.
    """
    if panel_games:
        yield
        return
    with (
        patch("custom_components.pterodactyl.players.PlayerTracker.async_start"),
        patch(
            "custom_components.pterodactyl.players.PlayerTracker.has_query",
            return_value=False,
        ),
    ):
        yield


@pytest.fixture
def work_reads() -> bool:
    """Return whether the integration reads backups and schedules (tests of them turn it on).

    Off, the seeded fleet's backups and schedules give no entities, so that the tests of
    everything else count the entities and requests they are about.
    """
    return False


@pytest.fixture(autouse=True)
def _work_reads(work_reads: bool) -> Generator[None]:
    """Read no backups or schedules unless the test is about them."""
    if work_reads:
        yield
        return
    with (
        patch("custom_components.pterodactyl.backups.BackupTracker.async_start"),
        patch("custom_components.pterodactyl.schedules.ScheduleTracker.async_start"),
    ):
        yield


@pytest.fixture
async def simulator(
    socket_enabled: None,
    *,
    panel_flavor: str,
    panel_servers: int,
    panel_clock: ManualClock,
    panel_wings: WingsSettings | None,
    panel_games: bool,
) -> AsyncIterator[PanelSimulator]:
    """Serve a simulated panel on a loopback port for the test's duration."""
    sim = PanelSimulator(
        flavor=panel_flavor,
        servers=panel_servers,
        seed=1,
        clock=panel_clock,
        wings=panel_wings,
        games=panel_games,
    )
    if sim.games is not None:
        # Players come and go only when a test says so.
        sim.games.set_autoplay(False)
    await sim.start("127.0.0.1", 0)
    yield sim
    await sim.stop()


@pytest.fixture
def mock_config_entry(simulator: PanelSimulator) -> MockConfigEntry:
    """Return a config entry for the simulated panel's account."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="127.0.0.1",
        version=2,
        data={
            CONF_URL: simulator.url,
            CONF_API_KEY: simulator.client_key,
            CONF_VERIFY_SSL: True,
        },
        unique_id=f"1@{simulator.url}",
    )


@pytest.fixture
async def init_integration(
    hass: HomeAssistant, simulator: PanelSimulator, mock_config_entry: MockConfigEntry
) -> MockConfigEntry:
    """Set the integration up against the simulated panel, the sockets' first pushes read.

    Tests then start from one state, whether a push or a poll was first to show a value.
    """
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    if has_sockets(mock_config_entry, simulator):
        await push_settled(mock_config_entry, simulator)
        await hass.async_block_till_done()
    return mock_config_entry


@pytest.fixture
def entity_registry_enabled_by_default() -> Generator[None]:
    """Create entities that are disabled by default as enabled."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        new_callable=PropertyMock,
        return_value=True,
    ):
        yield
