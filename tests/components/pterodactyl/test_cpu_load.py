"""The CPU load sensor: CPU use in percent of the server's own limit, unknown without one."""

from homeassistant.const import STATE_UNKNOWN
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from simulator import PanelSimulator

from .common import SURVIVAL, VALHEIM, server_at, settle, state_of


@pytest.mark.usefixtures("init_integration")
async def test_load_is_usage_over_the_limit(
    hass: HomeAssistant, simulator: PanelSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """A running server's load is its CPU use over its limit; an offline one's is 0."""
    survival = server_at(simulator, SURVIVAL)
    data = mock_config_entry.runtime_data.data.servers[survival.identifier]
    assert data.utilization is not None
    expected = data.utilization.cpu_percent * 100 / survival.limits.cpu
    assert float(state_of(hass, "sensor", survival, "cpu_load")) == pytest.approx(expected)
    assert float(state_of(hass, "sensor", server_at(simulator, VALHEIM), "cpu_load")) == 0


async def test_load_is_unknown_without_a_limit(
    hass: HomeAssistant, simulator: PanelSimulator, init_integration: MockConfigEntry
) -> None:
    """Unlimited CPU (0 on the panel) has no load to speak of; the raw use still shows."""
    survival = server_at(simulator, SURVIVAL)
    survival.limits.cpu = 0
    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await settle(hass)
    assert state_of(hass, "sensor", survival, "cpu_load") == STATE_UNKNOWN
    assert float(state_of(hass, "sensor", survival, "cpu_utilization")) > 0
