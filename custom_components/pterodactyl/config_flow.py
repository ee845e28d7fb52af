"""Config flow: connect a panel account with a client API key; reauthenticate, reconfigure."""

from collections.abc import Mapping
from dataclasses import dataclass
import re
from typing import Any, override

from homeassistant.config_entries import ConfigEntryState, ConfigFlow, ConfigFlowResult
from homeassistant.const import CONF_API_KEY, CONF_URL
from homeassistant.core import callback
from homeassistant.helpers.selector import TextSelector, TextSelectorConfig, TextSelectorType
import probatio
from yarl import URL

from .api import Account, PterodactylError, PterodactylInvalidURLError
from .const import CONF_VERIFY_SSL, DOMAIN, LOGGER
from .coordinator import PterodactylConfigEntry
from .helpers import create_client, entry_unique_id, error_translation_key
from .options_flow import PterodactylOptionsFlow

# Errors the form explains on their own; any other panel error means it is not reachable as a panel.
# Application (admin) keys: Pterodactyl 1.8+, Pelican, and Pelican's first betas.
APPLICATION_KEY_PREFIXES = ("ptla_", "papp_", "peli_")
# What any panel's key is made of (a 16-character identifier and a 32-character secret); text
# with spaces, punctuation or too short to be one is no key at all.
_KEY_TEXT = re.compile(r"[A-Za-z0-9_]{32,}")
_FORM_ERRORS = frozenset(
    {"application_key", "invalid_auth", "two_factor_required", "ssl_error", "cannot_connect"}
)

_URL_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.URL, autocomplete="url"))
_KEY_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))

USER_SCHEMA = probatio.Schema(
    {
        probatio.Required(CONF_URL): _URL_SELECTOR,
        probatio.Required(CONF_API_KEY): _KEY_SELECTOR,
        probatio.Required(CONF_VERIFY_SSL, default=True): bool,
    }
)
REAUTH_SCHEMA = probatio.Schema({probatio.Required(CONF_API_KEY): _KEY_SELECTOR})
# Reconfiguring keeps the stored key when the field is left empty.
RECONFIGURE_SCHEMA = probatio.Schema(
    {
        probatio.Required(CONF_URL): _URL_SELECTOR,
        probatio.Optional(CONF_API_KEY): _KEY_SELECTOR,
        probatio.Required(CONF_VERIFY_SSL): bool,
    }
)


@dataclass(frozen=True, slots=True)
class _Panel:
    """A panel account the key was proven to read."""

    base_url: str
    account: Account
    # The servers it sees: the same ones at another address make it the same panel.
    server_uuids: frozenset[str]

    @property
    def unique_id(self) -> str:
        """Return the config entry unique ID of this account on this panel."""
        return entry_unique_id(self.base_url, self.account.id)

    @property
    def title(self) -> str:
        """Return the entry's title: the account's user at the panel's host."""
        host = URL(self.base_url).host or self.base_url
        # 0.7 cannot say whose key it is.
        return f"{self.account.username} @ {host}" if self.account.username else host


class PterodactylConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up a Pterodactyl or Pelican panel account."""

    VERSION = 2
    MINOR_VERSION = 1

    @staticmethod
    @callback
    @override
    def async_get_options_flow(config_entry: PterodactylConfigEntry) -> PterodactylOptionsFlow:
        """Return the options flow."""
        return PterodactylOptionsFlow()

    @override
    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the panel URL and a client API key, and prove they work."""
        errors: dict[str, str] = {}
        if user_input is not None:
            panel, errors = await self._async_validate(
                user_input[CONF_URL], user_input[CONF_API_KEY], user_input[CONF_VERIFY_SSL]
            )
            if panel is not None:
                await self.async_set_unique_id(panel.unique_id)
                self._abort_if_unique_id_configured()
                if (same := self._same_account_elsewhere(panel)) is not None:
                    return self.async_abort(
                        reason="already_configured_other_url",
                        description_placeholders={CONF_URL: same.data[CONF_URL]},
                    )
                return self.async_create_entry(
                    title=panel.title,
                    data={
                        CONF_URL: panel.base_url,
                        CONF_API_KEY: user_input[CONF_API_KEY].strip(),
                        CONF_VERIFY_SSL: user_input[CONF_VERIFY_SSL],
                    },
                )
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(USER_SCHEMA, user_input),
            errors=errors,
        )

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Start reauthentication after the panel refused the key."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for a new client API key of the same account."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            panel, errors = await self._async_validate(
                entry.data[CONF_URL], user_input[CONF_API_KEY], entry.data[CONF_VERIFY_SSL]
            )
            if panel is not None:
                await self.async_set_unique_id(panel.unique_id)
                if entry.unique_id is None:
                    # A core-created entry that never loaded: adopt the ID unless it is taken.
                    self._abort_if_unique_id_configured()
                else:
                    self._abort_if_unique_id_mismatch(reason="wrong_account")
                return self.async_update_reload_and_abort(
                    entry,
                    unique_id=panel.unique_id,
                    data_updates={CONF_API_KEY: user_input[CONF_API_KEY].strip()},
                )
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=REAUTH_SCHEMA,
            errors=errors,
            description_placeholders={CONF_URL: entry.data[CONF_URL]},
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the panel URL, the key or the TLS check of the same account."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            api_key: str = user_input.get(CONF_API_KEY) or entry.data[CONF_API_KEY]
            panel, errors = await self._async_validate(
                user_input[CONF_URL], api_key, user_input[CONF_VERIFY_SSL]
            )
            if panel is not None:
                # The account must be the entry's, even when the panel moved to a new URL.
                if entry.unique_id not in (
                    None,
                    entry_unique_id(entry.data[CONF_URL], panel.account.id),
                ):
                    return self.async_abort(reason="wrong_account")
                await self.async_set_unique_id(panel.unique_id)
                if panel.unique_id != entry.unique_id:
                    self._abort_if_unique_id_configured()
                return self.async_update_reload_and_abort(
                    entry,
                    unique_id=panel.unique_id,
                    title=panel.title,
                    data_updates={
                        CONF_URL: panel.base_url,
                        CONF_API_KEY: api_key.strip(),
                        CONF_VERIFY_SSL: user_input[CONF_VERIFY_SSL],
                    },
                )
        suggested = user_input or {
            CONF_URL: entry.data[CONF_URL],
            CONF_VERIFY_SSL: entry.data[CONF_VERIFY_SSL],
        }
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(RECONFIGURE_SCHEMA, suggested),
            errors=errors,
        )

    async def _async_validate(
        self, url: str, api_key: str, verify_ssl: bool
    ) -> tuple[_Panel | None, dict[str, str]]:
        """Read the account and list its servers; return the panel, or the form's errors."""
        key = api_key.strip()
        if key.startswith(APPLICATION_KEY_PREFIXES):
            # Said before asking the panel, which would only answer "forbidden".
            return None, {CONF_API_KEY: "application_key"}
        if not _KEY_TEXT.fullmatch(key):
            return None, {CONF_API_KEY: "not_a_key"}
        url = url.strip()
        if "://" not in url:
            # "panel.example.com" or "192.168.1.5:8080": https first, http if that fails.
            panel, errors = await self._async_validate(f"https://{url}", key, verify_ssl)
            if errors.get("base") not in ("cannot_connect", "ssl_error"):
                return panel, errors
            url = f"http://{url}"
        try:
            client = create_client(self.hass, url, api_key, verify_ssl)
            account = await client.get_account()
            # The account route skips the panel's two-factor check; the server list does not.
            servers = await client.list_servers()
        except PterodactylInvalidURLError:
            return None, {CONF_URL: "invalid_url"}
        except PterodactylError as err:
            LOGGER.debug("Panel refused the configuration: %s", err)
            key = error_translation_key(err)
            return None, {"base": key if key in _FORM_ERRORS else "cannot_connect"}
        except Exception:
            LOGGER.exception("Unexpected error while validating the panel")
            return None, {"base": "unknown"}
        return _Panel(client.base_url, account, frozenset(s.uuid for s in servers)), {}

    def _same_account_elsewhere(self, panel: _Panel) -> PterodactylConfigEntry | None:
        """Return the entry of the same account on the same panel under another address.

        Account IDs repeat across panels (1 is the first user of each): the same servers tell
        that it is the same panel.
        """
        entries: list[PterodactylConfigEntry] = self._async_current_entries(include_ignore=False)
        for entry in entries:
            account = (entry.unique_id or "").partition("@")[0]
            if account != panel.account.id or entry.state is not ConfigEntryState.LOADED:
                continue
            known = {server.uuid for server in entry.runtime_data.server_list.servers.values()}
            if known & panel.server_uuids:
                return entry
        return None
