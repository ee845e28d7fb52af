"""Console lines as Home Assistant events, rate-limited per server."""

from collections.abc import Callable
import re
from typing import Any, Final

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr

from .api import loop_time
from .const import CONSOLE_EVENT_BURST, CONSOLE_EVENT_RATE, DOMAIN, EVENT_CONSOLE_OUTPUT
from .servers import ServerList

# Terminal colour codes: Wings colours its own lines, and many games theirs.
_ANSI: Final = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def strip_ansi(line: str) -> str:
    """Return a console line without its terminal colour codes."""
    return _ANSI.sub("", line)


class TokenBucket:
    """Allows `rate` events a second on average and `burst` at once; counts the refused ones."""

    def __init__(self, rate: float, burst: int, *, clock: Callable[[], float] = loop_time) -> None:
        """Start full; time is the event loop's unless `clock` is given."""
        self._rate = rate
        self._burst = burst
        self._clock = clock
        self._tokens = float(burst)
        self._updated = clock()
        self.dropped = 0

    def take(self) -> bool:
        """Spend a token if there is one; otherwise count the event as dropped."""
        now = self._clock()
        self._tokens = min(self._burst, self._tokens + (now - self._updated) * self._rate)
        self._updated = now
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        self.dropped += 1
        return False


def server_event_data(
    hass: HomeAssistant, entry_id: str, server_list: ServerList, identifier: str
) -> dict[str, Any]:
    """Return what every event about a listed server carries: its identifier, name and device."""
    device = dr.async_get(hass).async_get_device_by_identifier((DOMAIN, identifier), entry_id)
    return {
        "identifier": identifier,
        "name": server_list.servers[identifier].name,
        "device_id": device.id if device is not None else None,
    }


class ConsoleEvents:
    """Fires `pterodactyl_console_output` for each line, unless a server's lines flood."""

    def __init__(self, hass: HomeAssistant, entry_id: str, server_list: ServerList) -> None:
        """Fire on `hass`'s bus for the entry's listed servers."""
        self._hass = hass
        self._entry_id = entry_id
        self._server_list = server_list
        self._buckets: dict[str, TokenBucket] = {}

    def line(self, identifier: str, line: str) -> None:
        """Fire an event for a console line of a server, within the server's rate."""
        bucket = self._buckets.setdefault(
            identifier, TokenBucket(CONSOLE_EVENT_RATE, CONSOLE_EVENT_BURST)
        )
        if identifier not in self._server_list.servers or not bucket.take():
            return
        event = server_event_data(self._hass, self._entry_id, self._server_list, identifier)
        event["line"] = line
        # Lines refused since the previous event: a flood shows as a gap, not silently.
        event["dropped"] = bucket.dropped
        bucket.dropped = 0
        self._hass.bus.async_fire(EVENT_CONSOLE_OUTPUT, event)

    def forget(self, identifier: str) -> None:
        """Drop the rate of a server the panel no longer lists."""
        self._buckets.pop(identifier, None)
