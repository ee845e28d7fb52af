"""Player joins and leaves as Home Assistant events, from player queries and console lines."""

import re
from typing import Final

from homeassistant.core import HomeAssistant

from .console import TokenBucket, server_event_data, strip_ansi
from .const import CONSOLE_EVENT_BURST, CONSOLE_EVENT_RATE, EVENT_PLAYER_JOINED, EVENT_PLAYER_LEFT
from .servers import ServerList

# Minecraft Java's own console lines ("[12:00:01 INFO]: Steve joined the game"); player names
# are 3-16 letters, digits and underscores. Colour codes are stripped first.
_JOINED: Final = re.compile(r"(?:^|[\]:>]\s*)(?P<player>\w{1,16}) joined the game\s*$")
_LEFT: Final = re.compile(r"(?:^|[\]:>]\s*)(?P<player>\w{1,16}) left the game\s*$")


class PlayerEvents:
    """Fires `pterodactyl_player_joined` and `_left`, once per change, within a server's rate."""

    def __init__(self, hass: HomeAssistant, entry_id: str, server_list: ServerList) -> None:
        """Fire on `hass`'s bus for the entry's listed servers."""
        self._hass = hass
        self._entry_id = entry_id
        self._server_list = server_list
        self._buckets: dict[str, TokenBucket] = {}
        # Who is known to be on each server; unknown until a query lists every name.
        self._known: dict[str, set[str]] = {}

    def listed(self, identifier: str, names: tuple[str, ...]) -> None:
        """Compare a query's complete list of names with the last one, and fire the changes."""
        known = self._known.get(identifier)
        self._known[identifier] = set(names)
        if known is None:
            # The first list after a start (or Home Assistant's) tells who is on, not who came.
            return
        for player in sorted(set(names) - known):
            self._fire(identifier, EVENT_PLAYER_JOINED, player, "query")
        for player in sorted(known - set(names)):
            self._fire(identifier, EVENT_PLAYER_LEFT, player, "query")

    def console_line(self, identifier: str, line: str) -> None:
        """Fire a join or leave the game printed on its console; a later query will agree."""
        text = strip_ansi(line)
        if joined := _JOINED.search(text):
            self._console_change(identifier, joined["player"], joined=True)
        elif left := _LEFT.search(text):
            self._console_change(identifier, left["player"], joined=False)

    def _console_change(self, identifier: str, player: str, *, joined: bool) -> None:
        """Fire a change the console told, unless a query has told it already."""
        known = self._known.get(identifier)
        if known is not None:
            if (player in known) is joined:
                return
            if joined:
                known.add(player)
            else:
                known.discard(player)
        self._fire(
            identifier, EVENT_PLAYER_JOINED if joined else EVENT_PLAYER_LEFT, player, "console"
        )

    def forget(self, identifier: str) -> None:
        """Forget who was on a server that stopped, or that the panel no longer lists."""
        self._known.pop(identifier, None)
        self._buckets.pop(identifier, None)

    def _fire(self, identifier: str, event_type: str, player: str, source: str) -> None:
        """Fire one player event, unless the server's events flood."""
        bucket = self._buckets.setdefault(
            identifier, TokenBucket(CONSOLE_EVENT_RATE, CONSOLE_EVENT_BURST)
        )
        if identifier not in self._server_list.servers or not bucket.take():
            return
        event = server_event_data(self._hass, self._entry_id, self._server_list, identifier)
        event["player"] = player
        event["source"] = source
        self._hass.bus.async_fire(event_type, event)
