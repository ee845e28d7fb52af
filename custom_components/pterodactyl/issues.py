"""The repair issues of an entry: what only the user can fix, said in Repairs."""

from collections.abc import Iterable
from typing import Final

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from .api import PowerSignal, Server
from .const import DOMAIN, ISSUE_DATA_ENTRY_ID

# Server names an issue lists at most; the count says how many there are.
_NAMES_SHOWN: Final = 10


def two_factor_issue_id(entry_id: str) -> str:
    """Return the ID of the repair issue raised while the panel demands 2FA of the account."""
    return f"two_factor_required_{entry_id}"


def origin_refused_issue_id(entry_id: str) -> str:
    """Return the ID of the repair issue raised while Wings refuses the entry's Origin."""
    return f"websocket_origin_refused_{entry_id}"


def provided_elsewhere_issue_id(entry_id: str) -> str:
    """Return the ID of the issue naming servers this entry leaves to another entry."""
    return f"servers_provided_elsewhere_{entry_id}"


def async_update_provided_elsewhere_issue(
    hass: HomeAssistant, entry_id: str, servers: Iterable[Server]
) -> None:
    """Name the servers this entry sees but another entry provides; none: no issue."""
    names = sorted(server.name for server in servers)
    if not names:
        ir.async_delete_issue(hass, DOMAIN, provided_elsewhere_issue_id(entry_id))
        return
    shown = ", ".join(names[:_NAMES_SHOWN]) + (", …" if len(names) > _NAMES_SHOWN else "")
    entry = hass.config_entries.async_get_entry(entry_id)
    ir.async_create_issue(
        hass,
        DOMAIN,
        provided_elsewhere_issue_id(entry_id),
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key="servers_provided_elsewhere",
        translation_placeholders={
            "entry": entry.title if entry is not None else entry_id,
            "count": str(len(names)),
            "servers": shown,
        },
    )


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


def stuck_starting_issue_id(entry_id: str, identifier: str) -> str:
    """Return the ID of the issue raised while a server has been starting for too long."""
    return f"server_stuck_starting_{entry_id}_{identifier}"


def power_action_issue_id(entry_id: str, identifier: str) -> str:
    """Return the ID of the issue raised when a power action on a server never took effect."""
    return f"power_action_timeout_{entry_id}_{identifier}"


def async_raise_stuck_starting_issue(
    hass: HomeAssistant, issue_id: str, server: str, minutes: int, console: list[str]
) -> None:
    """Say a server has been starting for `minutes`, with its console's last lines if known."""
    placeholders = {"server": server, "minutes": str(minutes)}
    if console:
        placeholders["console"] = "\n".join(console)
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        # Without push nothing of the console is known: a text that does not mention it.
        translation_key="server_stuck_starting_console" if console else "server_stuck_starting",
        translation_placeholders=placeholders,
    )


def async_raise_power_action_issue(
    hass: HomeAssistant, issue_id: str, server: str, signal: PowerSignal, minutes: int
) -> None:
    """Say a power signal sent `minutes` ago has not taken effect on the server."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        # One text per signal: each language words "did not stop" its own way.
        translation_key=f"power_action_timeout_{signal}",
        translation_placeholders={"server": server, "minutes": str(minutes)},
    )


def async_delete_issue(hass: HomeAssistant, issue_id: str) -> None:
    """Delete one of the integration's issues, if raised."""
    ir.async_delete_issue(hass, DOMAIN, issue_id)
