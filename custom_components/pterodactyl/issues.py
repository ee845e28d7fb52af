"""The repair issues of an entry: what only the user can fix, said in Repairs."""

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN, ISSUE_DATA_ENTRY_ID


def two_factor_issue_id(entry_id: str) -> str:
    """Return the ID of the repair issue raised while the panel demands 2FA of the account."""
    return f"two_factor_required_{entry_id}"


def origin_refused_issue_id(entry_id: str) -> str:
    """Return the ID of the repair issue raised while Wings refuses the entry's Origin."""
    return f"websocket_origin_refused_{entry_id}"


def async_raise_two_factor_issue(
    hass: HomeAssistant, entry_id: str, url: str, account_url: str
) -> None:
    """Say where to enable 2FA, which the panel demands before it answers again."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        two_factor_issue_id(entry_id),
        is_fixable=False,
        severity=ir.IssueSeverity.ERROR,
        learn_more_url=account_url,
        translation_key="two_factor_required",
        translation_placeholders={"url": url, "account_url": account_url},
    )


def async_raise_origin_refused_issue(
    hass: HomeAssistant, entry_id: str, url: str, origin: str, servers: int
) -> None:
    """Say why servers are polled rather than pushed, and how Wings is fixed."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        origin_refused_issue_id(entry_id),
        is_fixable=True,
        severity=ir.IssueSeverity.WARNING,
        translation_key="websocket_origin_refused",
        translation_placeholders={"url": url, "origin": origin, "servers": str(servers)},
        data={ISSUE_DATA_ENTRY_ID: entry_id},
    )


def async_delete_issue(hass: HomeAssistant, issue_id: str) -> None:
    """Delete one of the integration's issues, if raised."""
    ir.async_delete_issue(hass, DOMAIN, issue_id)
