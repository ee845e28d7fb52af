"""Home Assistant on the virtual-time loop, this integration loadable: for whole-process runs."""

from collections.abc import AsyncIterator
import contextlib
import tempfile
from typing import Any, Final
from unittest.mock import patch

from homeassistant import loader
from homeassistant.const import CONF_API_KEY, CONF_URL
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

# The test harness ships no type information; its Home Assistant objects are typed by core.
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_test_home_assistant  # type: ignore[import-untyped]

from benchmarks.run_one import plain_resolver
from benchmarks.virtual_time import VirtualTimeLoop
from simulator import PanelSimulator

DOMAIN: Final = "pterodactyl"


@contextlib.asynccontextmanager
async def home_assistant(loop: VirtualTimeLoop, prefix: str) -> AsyncIterator[HomeAssistant]:
    """Yield a Home Assistant as its test harness builds it, whose clock is the loop's."""
    with (
        tempfile.TemporaryDirectory(prefix=prefix) as config_dir,
        plain_resolver(),
        patch.object(dt_util, "utcnow", loop.utcnow),
    ):
        async with async_test_home_assistant(config_dir=config_dir) as hass:
            # The harness hides custom integrations; without the mask ours is not found.
            hass.data.pop(loader.DATA_CUSTOM_COMPONENTS)
            try:
                yield hass
            finally:
                await hass.async_stop(force=True)


def config_entry(sim: PanelSimulator, title: str, options: dict[str, Any]) -> MockConfigEntry:
    """Return a config entry (version 2.1) for the simulated panel, as the config flow makes one."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=title,
        version=2,
        minor_version=1,
        data={CONF_URL: sim.url, CONF_API_KEY: sim.client_key, "verify_ssl": True},
        options=options,
        unique_id=f"1@{sim.url}",
    )
