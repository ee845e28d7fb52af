"""TLS: a panel on HTTPS with a self-signed certificate, trusted or not, renewed after setup."""

import asyncio
from collections.abc import AsyncIterator, Iterator
import logging
from pathlib import Path
import ssl
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_API_KEY, CONF_URL, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.update_coordinator import UpdateFailed
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.pterodactyl.const import CONF_VERIFY_SSL, DOMAIN
from simulator import PanelSimulator
from simulator.clock import ManualClock
from tests.certificates import Certificate, make_certificate

from .common import SURVIVAL, poll, server_at, state_of


@pytest.fixture
def websocket_push() -> bool:
    """Poll only: these tests are about the panel's HTTPS."""
    return False


@pytest.fixture(autouse=True)
def panel_side_handshake_errors_ignored(hass: HomeAssistant) -> Iterator[None]:
    """Ignore the simulated panel's report of a handshake the client refused, as nginx logs it.

    The panel shares the test's event loop, whose exception handler would fail the test on it.
    """
    handler = hass.loop.get_exception_handler()
    assert handler is not None

    def filtered(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if not context.get("message", "").startswith("Error on transport creation for incoming"):
            handler(loop, context)

    hass.loop.set_exception_handler(filtered)
    yield
    hass.loop.set_exception_handler(handler)


@pytest.fixture
def certificate(tmp_path: Path) -> Certificate:
    """Return the panel's self-signed certificate."""
    return make_certificate(tmp_path, "panel")


@pytest.fixture
def renewed_certificate(tmp_path: Path) -> Certificate:
    """Return another self-signed certificate for the same address."""
    return make_certificate(tmp_path, "renewed")


@pytest.fixture
async def simulator(
    socket_enabled: None, panel_clock: ManualClock, certificate: Certificate
) -> AsyncIterator[PanelSimulator]:
    """Serve the simulated panel over HTTPS with the self-signed certificate."""
    sim = PanelSimulator(servers=3, seed=1, clock=panel_clock)
    await sim.start("127.0.0.1", 0, ssl_context=certificate.server_context())
    yield sim
    await sim.stop()


@pytest.fixture
def trusted(certificate: Certificate) -> Iterator[None]:
    """Make Home Assistant trust the panel's certificate, as if signed by a known authority."""
    with patch(
        "homeassistant.util.ssl.client_context",
        side_effect=lambda *args: ssl.create_default_context(cafile=certificate.cert_path),
    ):
        yield


async def renew(simulator: PanelSimulator, certificate: Certificate) -> None:
    """Restart the panel on the same port with another certificate."""
    assert simulator.url is not None
    port = int(simulator.url.rsplit(":", 1)[1])
    await simulator.stop()
    await simulator.start("127.0.0.1", port, ssl_context=certificate.server_context())


async def test_self_signed_certificate_in_the_config_flow(
    hass: HomeAssistant, simulator: PanelSimulator
) -> None:
    """Verification on: the flow says ssl_error; off: the panel is added and its entities work."""
    assert simulator.url is not None
    assert simulator.url.startswith("https://")
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    user_input = {CONF_URL: simulator.url, CONF_API_KEY: simulator.client_key}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**user_input, CONF_VERIFY_SSL: True}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "ssl_error"}
    assert simulator.api_requests() == []

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**user_input, CONF_VERIFY_SSL: False}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_VERIFY_SSL] is False
    await hass.async_block_till_done()
    assert state_of(hass, "sensor", server_at(simulator, SURVIVAL), "state") == "running"


@pytest.mark.usefixtures("trusted")
async def test_certificate_no_longer_trusted_after_setup(
    hass: HomeAssistant,
    *,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    simulator: PanelSimulator,
    init_integration: MockConfigEntry,
    certificate: Certificate,
    renewed_certificate: Certificate,
) -> None:
    """A renewed, untrusted certificate makes entities unavailable and says why; then recovers."""
    coordinator = init_integration.runtime_data
    survival = server_at(simulator, SURVIVAL)
    assert state_of(hass, "sensor", survival, "state") == "running"

    await renew(simulator, renewed_certificate)
    await poll(hass, freezer)
    await poll(hass, freezer)

    assert isinstance(coordinator.last_exception, UpdateFailed)
    assert coordinator.last_exception.translation_key == "ssl_error"
    assert state_of(hass, "sensor", survival, "state") == STATE_UNAVAILABLE
    assert state_of(hass, "switch", survival, "power") == STATE_UNAVAILABLE
    # One clear line, without a traceback: the same failure on the next poll is not repeated.
    problems = [
        record
        for record in caplog.records
        if record.name.startswith("custom_components.pterodactyl")
        and record.levelno >= logging.WARNING
    ]
    assert [record.getMessage() for record in problems] == [
        f"Error fetching {coordinator.name} data: The panel's TLS certificate could not be verified"
    ]
    assert problems[0].exc_info is None

    await renew(simulator, certificate)
    await poll(hass, freezer)
    assert coordinator.last_update_success
    assert state_of(hass, "sensor", survival, "state") == "running"


async def test_certificate_change_without_verification(
    hass: HomeAssistant,
    *,
    freezer: FrozenDateTimeFactory,
    simulator: PanelSimulator,
    mock_config_entry: MockConfigEntry,
    renewed_certificate: Certificate,
) -> None:
    """With the check off, as chosen for a self-signed panel, a renewed certificate goes unseen."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, data={**mock_config_entry.data, CONF_VERIFY_SSL: False}
    )
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    survival = server_at(simulator, SURVIVAL)
    assert state_of(hass, "sensor", survival, "state") == "running"

    await renew(simulator, renewed_certificate)
    await poll(hass, freezer)

    assert mock_config_entry.runtime_data.last_update_success
    assert state_of(hass, "sensor", survival, "state") == "running"
