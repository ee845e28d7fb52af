"""Tests of the config flow, reauth, reconfigure and options against the simulated panel."""

from collections.abc import AsyncIterator, Generator
import socket
from typing import Any
from unittest.mock import AsyncMock, patch

from homeassistant.config_entries import SOURCE_USER, ConfigEntryState, ConfigFlowResult
from homeassistant.const import CONF_API_KEY, CONF_URL
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResult, FlowResultType
from homeassistant.helpers.translation import async_get_translations
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.pterodactyl.api import PterodactylSSLError
from custom_components.pterodactyl.const import (
    CONF_CONSOLE_EVENTS,
    CONF_GAME_QUERIES,
    CONF_STARTING_TIMEOUT,
    CONF_UPDATE_INTERVAL,
    CONF_VERIFY_SSL,
    DOMAIN,
)
from simulator import Account, Fault, FaultKind, PanelSimulator

OTHER_ACCOUNT = Account(
    id=2, uuid="9b1c7e2a-0d4f-4e6b-8a3c-5f7d9e1b2c44", username="friend", email="f@example.com"
)


@pytest.fixture
def mock_setup_entry() -> Generator[AsyncMock]:
    """Keep created and updated entries from loading: these tests are about the flow."""
    with patch("custom_components.pterodactyl.async_setup_entry", return_value=True) as mock_setup:
        yield mock_setup


@pytest.fixture
async def moved_panel(panel_flavor: str) -> AsyncIterator[PanelSimulator]:
    """Serve the same panel (same seed, so the same account and keys) at another address."""
    async with PanelSimulator(flavor=panel_flavor, seed=1) as sim:
        yield sim


def closed_port_url() -> str:
    """Return a loopback URL on which nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


async def assert_translated(hass: HomeAssistant, result: FlowResult, kind: str) -> None:
    """Assert the flow's errors or abort reason have a text in English and Chinese."""
    keys = result["errors"].values() if kind == "error" else [result["reason"]]
    for language in ("en", "zh-Hans"):
        strings = await async_get_translations(hass, language, "config", [DOMAIN])
        for key in keys:
            assert strings.get(f"component.{DOMAIN}.config.{kind}.{key}"), (language, key)


async def start_user_flow(hass: HomeAssistant) -> FlowResult:
    """Open the user step."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    return result


def user_input(simulator: PanelSimulator, **changes: Any) -> dict[str, Any]:
    """Return a user step input that works against the simulator, with changes."""
    assert simulator.url is not None
    return {
        CONF_URL: simulator.url,
        CONF_API_KEY: simulator.client_key,
        CONF_VERIFY_SSL: True,
    } | changes


@pytest.mark.usefixtures("mock_setup_entry")
@pytest.mark.parametrize(
    ("panel_flavor", "account_id"),
    [("v1", "1"), ("pelican", "5a2f0c3e-7d1b-4c1a-9f4e-2b6d8e0a1c33"), ("legacy", "legacy")],
)
async def test_user_flow(hass: HomeAssistant, simulator: PanelSimulator, account_id: str) -> None:
    """A URL and a client key make an entry titled with the account at the host, keyed by it."""
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        # Pasted values often carry a trailing slash or newline; both are cleaned up.
        user_input(
            simulator,
            url=f" {simulator.url}/ ",
            api_key=f"{simulator.client_key}\n",
            verify_ssl=False,
        ),
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    # 0.7 cannot say whose key it is.
    assert result["title"] == ("127.0.0.1" if account_id == "legacy" else "demo @ 127.0.0.1")
    assert result["data"] == {
        CONF_URL: simulator.url,
        CONF_API_KEY: simulator.client_key,
        CONF_VERIFY_SSL: False,
    }
    assert result["result"].unique_id == f"{account_id}@{simulator.url}"
    assert result["result"].version == 2
    assert result["result"].minor_version == 1
    # Validation read the account and listed the servers.
    paths = [record.path for record in simulator.api_requests()]
    assert paths == ["/api/client/account", "/api/client"]


async def test_user_flow_sets_up_entry(hass: HomeAssistant, simulator: PanelSimulator) -> None:
    """The created entry loads against the panel with the validated settings."""
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(simulator)
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].state is ConfigEntryState.LOADED


async def test_user_form_fields(hass: HomeAssistant, simulator: PanelSimulator) -> None:
    """The form asks for the URL, the key and the TLS check (on by default)."""
    result = await start_user_flow(hass)

    schema = result["data_schema"]
    assert schema is not None
    assert [str(key) for key in schema.schema] == [CONF_URL, CONF_API_KEY, CONF_VERIFY_SSL]
    assert schema({CONF_URL: "https://panel.example.com", CONF_API_KEY: "k"}) == {
        CONF_URL: "https://panel.example.com",
        CONF_API_KEY: "k",
        CONF_VERIFY_SSL: True,
    }
    # Every field is explained in both languages.
    for language in ("en", "zh-Hans"):
        strings = await async_get_translations(hass, language, "config", [DOMAIN])
        for field in (CONF_URL, CONF_API_KEY, CONF_VERIFY_SSL):
            prefix = f"component.{DOMAIN}.config.step.user"
            assert strings.get(f"{prefix}.data.{field}")
            assert strings.get(f"{prefix}.data_description.{field}")


@pytest.mark.usefixtures("mock_setup_entry")
@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({CONF_API_KEY: "ptlc_notARealKey0000000000000000000000000000000000"}, "invalid_auth"),
        ({CONF_URL: "ftp://127.0.0.1"}, "invalid_url"),
        ({CONF_URL: "http://admin:secret@127.0.0.1"}, "invalid_url"),
        ({CONF_URL: "http://127.0.0.1/?page=2"}, "invalid_url"),
        ({CONF_URL: "not a url"}, "invalid_url"),
    ],
)
async def test_user_flow_input_errors(
    hass: HomeAssistant, simulator: PanelSimulator, changes: dict[str, str], error: str
) -> None:
    """A wrong key or a URL that is not a plain http(s) address is refused, then corrected."""
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(simulator, **changes)
    )

    assert result["type"] is FlowResultType.FORM
    field = CONF_URL if error == "invalid_url" else "base"
    assert result["errors"] == {field: error}
    await assert_translated(hass, result, "error")

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(simulator)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.usefixtures("mock_setup_entry")
@pytest.mark.parametrize("panel_flavor", ["v1", "pelican"])
async def test_user_flow_application_key(hass: HomeAssistant, simulator: PanelSimulator) -> None:
    """An application (admin) key is told by its prefix, before the panel is asked."""
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(simulator, api_key=simulator.application_key)
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_API_KEY: "application_key"}
    assert simulator.api_requests() == []
    await assert_translated(hass, result, "error")

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(simulator)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.usefixtures("mock_setup_entry")
@pytest.mark.parametrize(
    "text", ["my password", "ptlc_short", "ptlc-abc/def+ghi=jkl.mnopqrstuvwxyz0123456789"]
)
async def test_user_flow_text_that_is_no_key(
    hass: HomeAssistant, simulator: PanelSimulator, text: str
) -> None:
    """Text that cannot be any panel's key is said to be none, without asking the panel."""
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(simulator, api_key=text)
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_API_KEY: "not_a_key"}
    assert simulator.api_requests() == []
    await assert_translated(hass, result, "error")


@pytest.mark.usefixtures("mock_setup_entry")
async def test_user_flow_url_without_scheme(hass: HomeAssistant, simulator: PanelSimulator) -> None:
    """An address without http(s):// is tried with https, then http, which this panel speaks."""
    assert simulator.url is not None
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(simulator, url=simulator.url.removeprefix("http://"))
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_URL] == simulator.url


@pytest.mark.usefixtures("mock_setup_entry")
async def test_user_flow_two_factor_required(
    hass: HomeAssistant, simulator: PanelSimulator
) -> None:
    """A panel that demands 2FA lets /account pass but not the server list: the flow says so."""
    simulator.require_2fa = True
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(simulator)
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "two_factor_required"}
    await assert_translated(hass, result, "error")

    simulator.account.two_factor_enabled = True
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(simulator)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.usefixtures("mock_setup_entry")
async def test_user_flow_cannot_connect(hass: HomeAssistant, simulator: PanelSimulator) -> None:
    """Nothing listening at the URL is a connection error."""
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(simulator, url=closed_port_url())
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}
    await assert_translated(hass, result, "error")

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(simulator)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.usefixtures("mock_setup_entry")
@pytest.mark.parametrize(
    "fault",
    [
        # The URL of a site that answers with its login page, not the API.
        Fault(FaultKind.REDIRECT_LOGIN, count=1),
        # The panel fails while listing servers.
        Fault(FaultKind.STATUS, status=500, path_contains="/api/client", method="GET", count=2),
    ],
    ids=["login_page", "server_error"],
)
async def test_user_flow_not_a_working_panel(
    hass: HomeAssistant, simulator: PanelSimulator, fault: Fault
) -> None:
    """An address that does not answer like a working panel cannot be connected to."""
    simulator.inject_fault(fault)
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(simulator)
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}
    assert fault.hits >= 1

    simulator.clear_faults()
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(simulator)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.usefixtures("mock_setup_entry")
async def test_user_flow_ssl_error(hass: HomeAssistant, simulator: PanelSimulator) -> None:
    """An untrusted certificate is explained, and the TLS check can be turned off."""
    with patch(
        "custom_components.pterodactyl.api.PterodactylClient.get_account",
        side_effect=PterodactylSSLError("The panel's TLS certificate is not trusted"),
    ):
        result = await start_user_flow(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], user_input(simulator)
        )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "ssl_error"}
    await assert_translated(hass, result, "error")

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(simulator, verify_ssl=False)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_VERIFY_SSL] is False


@pytest.mark.usefixtures("mock_setup_entry")
async def test_user_flow_unknown_error(
    hass: HomeAssistant, simulator: PanelSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    """An unexpected failure is logged with its traceback and shown as unknown, never the key."""
    with patch(
        "custom_components.pterodactyl.api.PterodactylClient.list_servers",
        side_effect=RuntimeError("boom"),
    ):
        result = await start_user_flow(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], user_input(simulator)
        )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "unknown"}
    await assert_translated(hass, result, "error")
    assert "Unexpected error while validating the panel" in caplog.text
    assert "RuntimeError: boom" in caplog.text
    assert simulator.client_key not in caplog.text

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(simulator)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.usefixtures("mock_setup_entry")
async def test_user_flow_already_configured(
    hass: HomeAssistant, simulator: PanelSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """The same account on the same panel, however the URL is written, is refused."""
    mock_config_entry.add_to_hass(hass)
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        user_input(simulator, url=f"{simulator.url}/", api_key=simulator.new_client_key()),
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    await assert_translated(hass, result, "abort")
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


@pytest.mark.usefixtures("mock_setup_entry")
async def test_user_flow_second_account(
    hass: HomeAssistant, simulator: PanelSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """Another account's key on the same panel is a second entry."""
    mock_config_entry.add_to_hass(hass)
    # The simulator serves one user; switching it makes the next key another account's.
    simulator.account = OTHER_ACCOUNT
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(simulator, api_key=simulator.new_client_key())
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == f"2@{simulator.url}"
    assert {entry.unique_id for entry in hass.config_entries.async_entries(DOMAIN)} == {
        f"1@{simulator.url}",
        f"2@{simulator.url}",
    }


async def start_reauth(
    hass: HomeAssistant, entry: MockConfigEntry, simulator: PanelSimulator
) -> FlowResult:
    """Open the reauth step of an entry."""
    entry.add_to_hass(hass)
    result = await entry.start_reauth_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"
    assert result["description_placeholders"] == {
        CONF_URL: simulator.url,
        "name": entry.title,
    }
    return result


@pytest.mark.usefixtures("mock_setup_entry")
async def test_reauth(
    hass: HomeAssistant, simulator: PanelSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """A new key of the same account replaces the revoked one; a wrong key is retried."""
    result = await start_reauth(hass, mock_config_entry, simulator)
    simulator.revoke_key(simulator.client_key)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: simulator.client_key}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_auth"}

    new_key = simulator.new_client_key()
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: f"{new_key} "}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert mock_config_entry.data == {
        CONF_URL: simulator.url,
        CONF_API_KEY: new_key,
        CONF_VERIFY_SSL: True,
    }
    assert mock_config_entry.unique_id == f"1@{simulator.url}"


@pytest.mark.usefixtures("mock_setup_entry")
async def test_reauth_wrong_account(
    hass: HomeAssistant, simulator: PanelSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """A key of another account does not take over the entry."""
    result = await start_reauth(hass, mock_config_entry, simulator)
    simulator.account = OTHER_ACCOUNT

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: simulator.new_client_key()}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"
    await assert_translated(hass, result, "abort")
    assert mock_config_entry.data[CONF_API_KEY] == simulator.client_key


def core_entry(simulator: PanelSimulator) -> MockConfigEntry:
    """Return an entry as core's integration made it, migrated: no unique ID."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=str(simulator.url),
        version=2,
        data={CONF_URL: simulator.url, CONF_API_KEY: "revoked", CONF_VERIFY_SSL: True},
    )


@pytest.mark.usefixtures("mock_setup_entry")
async def test_reauth_adopts_unique_id(hass: HomeAssistant, simulator: PanelSimulator) -> None:
    """A core-created entry, which never had a unique ID, gets one on reauth."""
    entry = core_entry(simulator)
    result = await start_reauth(hass, entry, simulator)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: simulator.client_key}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.unique_id == f"1@{simulator.url}"
    assert entry.data[CONF_API_KEY] == simulator.client_key


@pytest.mark.usefixtures("mock_setup_entry")
async def test_reauth_account_configured_elsewhere(
    hass: HomeAssistant, simulator: PanelSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """Reauth of an ID-less entry with the key of an account another entry has is refused."""
    mock_config_entry.add_to_hass(hass)
    entry = core_entry(simulator)
    result = await start_reauth(hass, entry, simulator)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: simulator.client_key}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.unique_id is None
    assert entry.data[CONF_API_KEY] == "revoked"


async def start_reconfigure(hass: HomeAssistant, entry: MockConfigEntry) -> FlowResult:
    """Open the reconfigure step of an entry."""
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    return result


@pytest.mark.usefixtures("mock_setup_entry")
async def test_reconfigure(
    hass: HomeAssistant, simulator: PanelSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """The form shows the current URL and TLS check; a new key and setting are saved."""
    result = await start_reconfigure(hass, mock_config_entry)
    schema = result["data_schema"]
    assert schema is not None
    suggested = {
        str(key): key.description["suggested_value"]
        for key in schema.schema
        if key.description and "suggested_value" in key.description
    }
    # The stored key is never sent back to the browser.
    assert suggested == {CONF_URL: simulator.url, CONF_VERIFY_SSL: True}

    new_key = simulator.new_client_key()
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_URL: f"{simulator.url}/", CONF_API_KEY: new_key, CONF_VERIFY_SSL: False},
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert mock_config_entry.data == {
        CONF_URL: simulator.url,
        CONF_API_KEY: new_key,
        CONF_VERIFY_SSL: False,
    }
    assert mock_config_entry.unique_id == f"1@{simulator.url}"


@pytest.mark.usefixtures("mock_setup_entry")
async def test_reconfigure_keeps_key(
    hass: HomeAssistant, simulator: PanelSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """Leaving the key empty keeps the stored one, which is validated again."""
    result = await start_reconfigure(hass, mock_config_entry)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: simulator.url, CONF_VERIFY_SSL: True}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert mock_config_entry.data[CONF_API_KEY] == simulator.client_key
    assert [record.path for record in simulator.api_requests()] == [
        "/api/client/account",
        "/api/client",
    ]


@pytest.mark.usefixtures("mock_setup_entry")
async def test_reconfigure_new_url(
    hass: HomeAssistant,
    simulator: PanelSimulator,
    moved_panel: PanelSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """The panel moved to a new address: same account, so the entry follows it."""
    result = await start_reconfigure(hass, mock_config_entry)
    new_url = str(moved_panel.url)
    assert new_url != simulator.url

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: new_url, CONF_VERIFY_SSL: True}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert mock_config_entry.data[CONF_URL] == new_url
    assert mock_config_entry.unique_id == f"1@{new_url}"
    assert mock_config_entry.title == "demo @ 127.0.0.1"
    assert [record.path for record in moved_panel.api_requests()] == [
        "/api/client/account",
        "/api/client",
    ]


@pytest.mark.usefixtures("mock_setup_entry")
async def test_reconfigure_wrong_account(
    hass: HomeAssistant, simulator: PanelSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """Another account's key cannot be swapped into an entry."""
    result = await start_reconfigure(hass, mock_config_entry)
    simulator.account = OTHER_ACCOUNT

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_URL: simulator.url, CONF_API_KEY: simulator.new_client_key(), CONF_VERIFY_SSL: True},
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"
    assert mock_config_entry.data[CONF_API_KEY] == simulator.client_key


@pytest.mark.usefixtures("mock_setup_entry")
async def test_reconfigure_onto_configured_entry(
    hass: HomeAssistant,
    simulator: PanelSimulator,
    moved_panel: PanelSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Moving an entry to a URL where the same account already has an entry is refused."""
    other_url = str(moved_panel.url)
    MockConfigEntry(
        domain=DOMAIN,
        version=2,
        data={CONF_URL: other_url, CONF_API_KEY: simulator.client_key, CONF_VERIFY_SSL: True},
        unique_id=f"1@{other_url}",
    ).add_to_hass(hass)
    result = await start_reconfigure(hass, mock_config_entry)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: other_url, CONF_VERIFY_SSL: True}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert mock_config_entry.data[CONF_URL] == simulator.url


@pytest.mark.usefixtures("mock_setup_entry")
async def test_reconfigure_error_recovery(
    hass: HomeAssistant, simulator: PanelSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """A mistyped URL is shown on the URL field with the input kept, then corrected."""
    result = await start_reconfigure(hass, mock_config_entry)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: "ftp://127.0.0.1", CONF_VERIFY_SSL: False}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_URL: "invalid_url"}
    schema = result["data_schema"]
    assert schema is not None
    assert {
        str(key): key.description["suggested_value"]
        for key in schema.schema
        if key.description and "suggested_value" in key.description
    } == {CONF_URL: "ftp://127.0.0.1", CONF_VERIFY_SSL: False}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: simulator.url, CONF_VERIFY_SSL: True}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"


async def test_options_flow(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """The interval defaults to 30 s, console events to off; new values reload the entry."""
    assert init_integration.runtime_data.update_interval.total_seconds() == 30
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["panel", "game_queries"]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "panel"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "panel"
    schema = result["data_schema"]
    assert schema is not None
    assert {key: key.description for key in schema.schema} == {
        CONF_UPDATE_INTERVAL: {"suggested_value": 30},
        CONF_CONSOLE_EVENTS: {"suggested_value": False},
        CONF_STARTING_TIMEOUT: {"suggested_value": 10},
    }

    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {CONF_UPDATE_INTERVAL: 60.0, CONF_CONSOLE_EVENTS: True, CONF_STARTING_TIMEOUT: 10},
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert init_integration.options == {
        CONF_UPDATE_INTERVAL: 60,
        CONF_CONSOLE_EVENTS: True,
        CONF_STARTING_TIMEOUT: 10,
    }
    assert init_integration.state is ConfigEntryState.LOADED
    assert init_integration.runtime_data.update_interval.total_seconds() == 60


@pytest.mark.parametrize("interval", [5, 9.0, 3601, 30.5])
async def test_options_flow_out_of_range(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, interval: float
) -> None:
    """An interval outside 10-3600 s, or not whole, is refused with the range, then fixed."""
    mock_config_entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(mock_config_entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "panel"}
    )

    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {CONF_UPDATE_INTERVAL: interval, CONF_CONSOLE_EVENTS: True, CONF_STARTING_TIMEOUT: 10},
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_UPDATE_INTERVAL: "update_interval_out_of_range"}
    assert result["description_placeholders"] == {
        "min": "10",
        "max": "3600",
        "starting_min": "1",
        "starting_max": "120",
    }
    schema = result["data_schema"]
    assert schema is not None
    # What the user typed stays in the form, to be corrected.
    assert {key: key.description for key in schema.schema}[CONF_UPDATE_INTERVAL] == {
        "suggested_value": interval
    }
    assert mock_config_entry.options == {}

    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {CONF_UPDATE_INTERVAL: 10, CONF_CONSOLE_EVENTS: True, CONF_STARTING_TIMEOUT: 10},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert mock_config_entry.options == {
        CONF_UPDATE_INTERVAL: 10,
        CONF_CONSOLE_EVENTS: True,
        CONF_STARTING_TIMEOUT: 10,
    }


async def _game_query_form(
    hass: HomeAssistant, entry: MockConfigEntry, server: str
) -> ConfigFlowResult:
    """Open the options at the player query of the server with uuid `server`."""
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "game_queries"}
    )
    assert result["step_id"] == "game_queries"
    return await hass.config_entries.options.async_configure(result["flow_id"], {"server": server})


async def test_options_set_a_servers_player_query(
    hass: HomeAssistant, simulator: PanelSimulator, init_integration: MockConfigEntry
) -> None:
    """The form names what automatic detection finds; a protocol and an address are kept."""
    survival = next(iter(simulator.servers.values()))
    result = await _game_query_form(hass, init_integration, survival.uuid)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "game_query"
    assert result["description_placeholders"] == {
        "server": "Survival",
        "detected": "minecraft_java @ 10.0.0.10:25565",
    }

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"protocol": "minecraft_java", "address": "mc.example.com"}
    )
    assert result["errors"] == {"address": "invalid_address"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"protocol": "minecraft_java", "address": " mc.example.com:25570 "}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert init_integration.options[CONF_GAME_QUERIES] == {
        survival.uuid: {"protocol": "minecraft_java", "address": "mc.example.com:25570"}
    }

    # Back to automatic with no address: nothing is left to keep.
    result = await _game_query_form(hass, init_integration, survival.uuid)
    schema = result["data_schema"]
    assert schema is not None
    assert {str(key): key.description for key in schema.schema}["address"] == {
        "suggested_value": "mc.example.com:25570"
    }
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"protocol": "automatic"}
    )
    await hass.async_block_till_done()
    assert init_integration.options[CONF_GAME_QUERIES] == {}


async def test_options_player_query_of_an_unloaded_entry(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """Without a loaded entry the servers are unknown: the step says so."""
    mock_config_entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(mock_config_entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "game_queries"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "servers_unknown"
