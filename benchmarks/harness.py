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

DOMAIN: Final = "pterodactyl"


@contextlib.asynccontextmanager
async def home_assistant(
    prefix: str, loop: VirtualTimeLoop | None = None
) -> AsyncIterator[HomeAssistant]:
    """Yield a Home Assistant as its test harness builds it; its clock is `loop`'s, if given."""
    with contextlib.ExitStack() as stack:
        config_dir = stack.enter_context(tempfile.TemporaryDirectory(prefix=prefix))
        stack.enter_context(plain_resolver())
        if loop is not None:
            stack.enter_context(patch.object(dt_util, "utcnow", loop.utcnow))
        async with async_test_home_assistant(config_dir=config_dir) as hass:
            # The harness hides custom integrations; without the mask ours is not found.
            hass.data.pop(loader.DATA_CUSTOM_COMPONENTS)
            try:
                yield hass
            finally:
                await hass.async_stop(force=True)


def config_entry(url: str, client_key: str, title: str, options: dict[str, Any]) -> MockConfigEntry:
    """Return a config entry (version 2.1) for a panel at `url`, as the config flow makes one."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=title,
        version=2,
        minor_version=1,
        data={CONF_URL: url, CONF_API_KEY: client_key, "verify_ssl": True},
        options=options,
        unique_id=f"1@{url}",
    )
