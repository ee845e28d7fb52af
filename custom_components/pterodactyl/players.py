"""Who is on each running game server, asked of the game every 30 s (never of the panel)."""

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.util import dt as dt_util

from .const import (
    CONF_GAME_QUERIES,
    LOGGER,
    PLAYER_QUERY_CONCURRENCY,
    PLAYER_QUERY_INTERVAL,
    PLAYER_QUERY_TIMEOUT,
)
from .game_query import (
    GameAnswerInvalidError,
    GameQueryError,
    Players,
    QueryProtocol,
    QueryTarget,
    detect_target,
    parse_address,
    query_players,
)
from .models import ServerData, ServerStatus
from .player_events import PlayerEvents
from .pushed import ServerListeners

# The protocol option's values beside the protocols themselves.
PROTOCOL_AUTOMATIC = "automatic"
PROTOCOL_OFF = "off"


@dataclass(slots=True)
class ServerPlayers:
    """What is known of one server's players."""

    target: QueryTarget | None = None
    players: Players | None = None  # None while the game is not running or not answering
    empty_since: datetime | None = None
    # Whether this run of the server began while it was watched: nobody was on before its start.
    watched_from_start: bool = False
    # The server's uptime at the last round: less now means it restarted in between.
    uptime: float | None = None
    # Said once in the log until the game answers again, so a broken game does not flood it.
    complained: bool = False


def query_target(server: ServerData, settings: Mapping[str, Any]) -> QueryTarget | None:
    """Return where to ask the server for its players, the user's options applied."""
    chosen = settings.get("protocol", PROTOCOL_AUTOMATIC)
    if chosen == PROTOCOL_OFF:
        return None
    protocol = None if chosen == PROTOCOL_AUTOMATIC else QueryProtocol(chosen)
    address = parse_address(settings.get("address") or "")
    return detect_target(server.server, protocol, address)


class PlayerTracker:
    """Asks an entry's running game servers for their players, a few at once; keeps answers."""

    def __init__(
        self,
        hass: HomeAssistant,
        servers: Callable[[], Mapping[str, ServerData]],
        events: PlayerEvents,
        options: Mapping[str, Any],
    ) -> None:
        """Track the servers `servers` returns, with the entry's per-server query options."""
        self._hass = hass
        self._servers = servers
        self._events = events
        self._settings: Mapping[str, Mapping[str, Any]] = options.get(CONF_GAME_QUERIES, {})
        self._listeners = ServerListeners()
        self._restored: dict[str, datetime] = {}
        self._unsubscribe: CALLBACK_TYPE | None = None
        self._round_running = False
        self.by_server: dict[str, ServerPlayers] = {}

    def add_listener(self, identifier: str, listener: Callable[[], None]) -> Callable[[], None]:
        """Call `listener` when the server's players change; return the remover."""
        return self._listeners.add(identifier, listener)

    def has_query(self, identifier: str) -> bool:
        """Return whether the server's players can be asked for (detected, or set in options)."""
        data = self._servers()[identifier]
        return query_target(data, self._settings.get(data.server.uuid, {})) is not None

    def players_of(self, identifier: str) -> ServerPlayers:
        """Return what is known of a server's players (nothing yet before its first round)."""
        return self.by_server.get(identifier) or ServerPlayers()

    def restore_empty_since(self, identifier: str, empty_since: datetime) -> None:
        """Keep the time a server became empty from before a restart, if it is still empty."""
        self._restored[identifier] = empty_since

    @callback
    def async_start(self) -> None:
        """Query now, then every 30 s."""
        self._unsubscribe = async_track_time_interval(
            self._hass, self._async_round, PLAYER_QUERY_INTERVAL, cancel_on_shutdown=True
        )
        self._hass.async_create_background_task(self.async_round(), "pterodactyl player query")

    @callback
    def async_stop(self) -> None:
        """Stop querying."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    async def _async_round(self, _: datetime) -> None:
        """Run a round on the timer."""
        await self.async_round()

    async def async_round(self) -> None:
        """Ask every running game server for its players; forget those of the others."""
        if self._round_running:
            return  # a round of many silent games can outlast the interval: never two at once
        self._round_running = True
        try:
            await self._async_round_now()
        finally:
            self._round_running = False

    async def _async_round_now(self) -> None:
        """Run one round."""
        targets: dict[str, QueryTarget] = {}
        for identifier, data in self._servers().items():
            state = self.by_server.setdefault(identifier, ServerPlayers())
            state.target = query_target(data, self._settings.get(data.server.uuid, {}))
            if data.status is ServerStatus.RUNNING and state.target is not None:
                targets[identifier] = state.target
                self._new_run(identifier, state, data)
            else:
                self.server_stopped(identifier)
        limit = asyncio.Semaphore(PLAYER_QUERY_CONCURRENCY)

        async def ask(identifier: str, target: QueryTarget) -> None:
            async with limit:
                await self._async_query(identifier, target)

        await asyncio.gather(*(ask(identifier, target) for identifier, target in targets.items()))

    def _new_run(self, identifier: str, state: ServerPlayers, data: ServerData) -> None:
        """Start afresh when the server restarted since the last round (its uptime fell)."""
        uptime = data.utilization.uptime_seconds if data.utilization is not None else None
        restarted = uptime is not None and state.uptime is not None and uptime < state.uptime
        state.uptime = uptime
        if restarted:
            self.server_stopped(identifier)

    async def _async_query(self, identifier: str, target: QueryTarget) -> None:
        """Ask one game server; an answer or a failure updates its entities."""
        state = self.by_server[identifier]
        try:
            players = await query_players(target, within=PLAYER_QUERY_TIMEOUT)
        except GameQueryError as err:
            if not state.complained:
                state.complained = True
                answered = (
                    "answered garbage"
                    if isinstance(err, GameAnswerInvalidError)
                    else "is not answering"
                )
                LOGGER.info(
                    "The game on server %s (%s query at %s) %s: %s",
                    identifier, target.protocol, target, answered, err,
                )  # fmt: skip
            self._set(identifier, None)
            return
        if state.complained:
            LOGGER.info("The game on server %s answers its player query again", identifier)
            state.complained = False
        if players.names is not None:
            self._events.listed(identifier, players.names)
        self._set(identifier, players)

    def console_line(self, identifier: str, line: str) -> None:
        """Read a join or leave from a running server's console line."""
        self._events.console_line(identifier, line)

    def server_stopped(self, identifier: str) -> None:
        """Forget the players of a server that is not running: nobody is on it."""
        state = self.by_server.setdefault(identifier, ServerPlayers())
        state.watched_from_start = True
        self._restored.pop(identifier, None)
        if state.players is None and state.empty_since is None:
            return
        state.players = None
        state.empty_since = None
        self._events.forget(identifier)
        self._listeners.notify(identifier)

    def forget(self, identifier: str) -> None:
        """Forget a server the panel no longer lists."""
        self.by_server.pop(identifier, None)
        self._restored.pop(identifier, None)
        self._events.forget(identifier)

    def _set(self, identifier: str, players: Players | None) -> None:
        """Keep a server's latest answer and when it became empty; tell its entities."""
        state = self.by_server[identifier]
        before = (state.players, state.empty_since)
        if players is not None:
            if players.online:
                state.empty_since = None
            elif state.empty_since is None:
                state.empty_since = self._became_empty(identifier, state)
        state.players = players
        if (state.players, state.empty_since) != before:
            self._listeners.notify(identifier)

    def _became_empty(self, identifier: str, state: ServerPlayers) -> datetime:
        """Return when a server found empty became so, as far as is known.

        Since its start when its whole run was watched; since before a restart of Home
        Assistant when it was empty then and has not restarted since; otherwise now, the safe
        side for an automation that stops empty servers.
        """
        started_at = self._servers()[identifier].started_at
        restored = self._restored.pop(identifier, None)
        if state.watched_from_start and started_at is not None:
            return started_at
        if restored is not None and (started_at is None or restored >= started_at):
            return restored
        return dt_util.utcnow()
