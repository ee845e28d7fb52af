"""Ask a game server for its players with the library made for its protocol."""

import asyncio
from typing import Any, Final

import a2s
from mcstatus import BedrockServer, JavaServer

from .exceptions import GameAnswerInvalidError, GameNotAnsweringError
from .models import Players, QueryProtocol, QueryTarget

# Sane bounds: a count beyond them is garbage, not a crowd.
MAX_PLAYERS: Final = 100_000
# How much longer than its time a query may run before it is cut off.
DEADLINE_GRACE: Final = 1.0  # seconds
# Long enough for any player name a game allows (Steam names are at most 32 characters).
MAX_NAME_LENGTH: Final = 64


async def query_players(target: QueryTarget, *, within: float) -> Players:
    """Return the players the game at `target` reports `within` seconds.

    A game that is silent, refuses the connection or runs out of time raises
    GameNotAnsweringError; one that answers something else raises GameAnswerInvalidError.
    """
    try:
        # Each library keeps to the time it is given; this deadline is only a net beneath them.
        # Cancelling python-a2s from outside would strand the tasks it waits with.
        async with asyncio.timeout(within + DEADLINE_GRACE):
            return await _QUERIES[target.protocol](target, within)
    except TimeoutError as err:
        raise GameNotAnsweringError(f"no answer within {within:g} s") from err
    except (ConnectionError, EOFError) as err:
        raise GameNotAnsweringError(type(err).__name__) from err
    except GameAnswerInvalidError:
        raise
    except OSError as err:
        # mcstatus reports an unreachable host and a malformed answer alike as OSError: only
        # its errno tells them apart.
        if err.errno is not None:
            raise GameNotAnsweringError(type(err).__name__) from err
        raise GameAnswerInvalidError(str(err) or type(err).__name__) from err
    except Exception as err:
        # The libraries parse what the game sends with no guard of their own: a garbled answer
        # surfaces as IndexError, ValueError, struct.error, a2s.BrokenMessageError and the like.
        raise GameAnswerInvalidError(type(err).__name__) from err


async def _java(target: QueryTarget, time_limit: float) -> Players:
    """Read a Minecraft Java server's Server List Ping."""
    status = await JavaServer(target.host, target.port, time_limit).async_status(tries=1)
    players = status.players
    sample = players.sample
    names = tuple(player.name for player in sample) if sample else ()
    return _players(
        players.online,
        players.max,
        # The sample is complete only when it holds everyone; vanilla sends at most 12.
        names if len(names) == players.online else None,
    )


async def _bedrock(target: QueryTarget, time_limit: float) -> Players:
    """Read a Minecraft Bedrock server's unconnected pong, which lists no names."""
    status = await BedrockServer(target.host, target.port, time_limit).async_status(tries=1)
    return _players(status.players.online, status.players.max, None)


async def _source(target: QueryTarget, time_limit: float) -> Players:
    """Read a Source server's A2S_INFO, then its A2S_PLAYER list."""
    address = (target.host, target.port)
    # Two requests, each waiting at most half the time for each of its answers.
    info: Any = await a2s.ainfo(address, time_limit / 2)
    listed: Any = await a2s.aplayers(address, time_limit / 2)
    # Players still connecting have no name yet; bots are counted in the info but not named.
    names = tuple(player.name for player in listed if player.name)
    online = int(info.player_count)
    return _players(online, int(info.max_players), names if len(names) == online else None)


def _players(online: object, maximum: object, names: tuple[str, ...] | None) -> Players:
    """Return the players, refusing counts and names no game would send."""
    for count in (online, maximum):
        if not isinstance(count, int) or isinstance(count, bool) or not 0 <= count <= MAX_PLAYERS:
            raise GameAnswerInvalidError(f"player count {count!r}")
    if names is not None and any(
        not isinstance(name, str) or len(name) > MAX_NAME_LENGTH for name in names
    ):
        raise GameAnswerInvalidError("player name")
    return Players(online=online, max=maximum, names=names)  # type: ignore[arg-type]


_QUERIES: Final = {
    QueryProtocol.MINECRAFT_JAVA: _java,
    QueryProtocol.MINECRAFT_BEDROCK: _bedrock,
    QueryProtocol.SOURCE: _source,
}
