"""The panel client on Home Assistant's terms: its shared session and translated exceptions."""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Final

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    HomeAssistantError,
    ServiceValidationError,
)
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.update_coordinator import UpdateFailed

from .api import (
    ConflictReason,
    PterodactylApplicationKeyError,
    PterodactylAuthenticationError,
    PterodactylBackupLimitError,
    PterodactylBackupThrottledError,
    PterodactylClient,
    PterodactylConflictError,
    PterodactylConnectionError,
    PterodactylError,
    PterodactylForbiddenError,
    PterodactylInvalidResponseError,
    PterodactylNodeUnavailableError,
    PterodactylNotFoundError,
    PterodactylRateLimitError,
    PterodactylServerOfflineError,
    PterodactylSSLError,
    PterodactylTwoFactorRequiredError,
)
from .const import DOMAIN

# An action refused for the server's state or the account's permissions: the user's to change.
_USER_MISTAKES = (
    PterodactylServerOfflineError,
    PterodactylConflictError,
    PterodactylForbiddenError,
    PterodactylBackupLimitError,
    PterodactylBackupThrottledError,
)
_CONFLICT_KEYS = {
    ConflictReason.SUSPENDED: "server_suspended",
    ConflictReason.INSTALLING: "server_installing",
    ConflictReason.TRANSFERRING: "server_transferring",
    ConflictReason.RESTORING: "server_restoring",
    ConflictReason.NODE_MAINTENANCE: "node_maintenance",
    ConflictReason.UNKNOWN: "server_conflict",
}


def error_translation_key(err: PterodactylError) -> str:
    """Return the exceptions.* translation key that explains err to a user."""
    match err:
        case PterodactylApplicationKeyError():
            return "application_key"
        case PterodactylAuthenticationError():
            return "invalid_auth"
        case PterodactylTwoFactorRequiredError():
            return "two_factor_required"
        case PterodactylServerOfflineError():
            return "server_offline"
        case PterodactylConflictError():
            return _CONFLICT_KEYS[err.reason]
        case PterodactylForbiddenError():
            return "missing_permission"
        case PterodactylBackupLimitError():
            return "backup_limit"
        case PterodactylBackupThrottledError():
            return "backup_throttled"
        case PterodactylNotFoundError():
            return "server_not_found"
        case PterodactylRateLimitError():
            return "rate_limited"
        case PterodactylNodeUnavailableError():
            return "node_unavailable"
        case PterodactylSSLError():
            return "ssl_error"
        case PterodactylConnectionError():
            return "cannot_connect"
        case PterodactylInvalidResponseError():
            return "invalid_response"
    return "panel_error"


# The messages of error_translation_key() that name the server acted on.
_NAMES_A_SERVER: Final = frozenset(
    {
        "server_offline",
        *_CONFLICT_KEYS.values(),
        "missing_permission",
        "backup_limit",
        "backup_throttled",
        "server_not_found",
        "node_unavailable",
    }
)


def entry_unique_id(base_url: str, account_id: str) -> str:
    """Identify an account on a panel: one entry per account, several accounts per panel."""
    return f"{account_id}@{base_url}"


def create_client(
    hass: HomeAssistant, url: str, api_key: str, verify_ssl: bool
) -> PterodactylClient:
    """Return a panel client on Home Assistant's shared session, checking TLS as asked."""
    return PterodactylClient(
        url,
        api_key,
        session=async_get_clientsession(hass, verify_ssl=verify_ssl),
        verify_ssl=verify_ssl,
    )


# A 429 without Retry-After (a proxy's) waits out the panel's one-minute rate-limit window.
DEFAULT_RETRY_AFTER = 60.0


def _retry_after(err: PterodactylError) -> float | None:
    """Return how long to leave the panel alone after err: only a rate limit says so."""
    if not isinstance(err, PterodactylRateLimitError):
        return None
    return err.retry_after if err.retry_after is not None else DEFAULT_RETRY_AFTER


def _placeholders(err: PterodactylError, server: str = "") -> dict[str, str]:
    """Placeholders every exception message may use: the panel's words and the server."""
    return {
        "error": err.detail or str(err),
        "server": server,
        "retry_after": str(round(_retry_after(err) or DEFAULT_RETRY_AFTER)),
    }


def auth_failed_error(err: PterodactylError) -> ConfigEntryAuthFailed:
    """Build the error that starts reauthentication."""
    return ConfigEntryAuthFailed(
        translation_domain=DOMAIN,
        translation_key=error_translation_key(err),
        translation_placeholders=_placeholders(err),
    )


def update_failed_error(err: PterodactylError) -> UpdateFailed:
    """Build the error that marks every entity unavailable until the panel answers again."""
    key = error_translation_key(err)
    return UpdateFailed(
        translation_domain=DOMAIN,
        # A whole update names no server: an error that would name one is the panel's answer.
        translation_key="panel_error" if key in _NAMES_A_SERVER else key,
        translation_placeholders=_placeholders(err),
        # Polling on at the regular interval would hit the limit again, and the message
        # promises this delay.
        retry_after=_retry_after(err),
    )


@contextmanager
def translate_action_errors(server: str, extra: Mapping[str, str] | None = None) -> Iterator[None]:
    """Raise a panel error met while acting on a server as a translated error.

    What the user can change (the server's state, the account's permissions, a full server)
    is a ServiceValidationError, which Home Assistant does not log as a failure of its own.
    `extra` adds placeholders the action's messages use.
    """
    try:
        yield
    except PterodactylError as err:
        error = ServiceValidationError if isinstance(err, _USER_MISTAKES) else HomeAssistantError
        raise error(
            translation_domain=DOMAIN,
            translation_key=error_translation_key(err),
            translation_placeholders=_placeholders(err, server) | dict(extra or {}),
        ) from err
