"""Failures of a player query: a refused connection, silence, and answers no game would send."""

import asyncio
import socket

import pytest

from custom_components.pterodactyl.game_query import (
    GameAnswerInvalidError,
    GameNotAnsweringError,
    QueryProtocol,
    QueryTarget,
    query_players,
)
from custom_components.pterodactyl.game_query.query import _players

pytestmark = pytest.mark.usefixtures("socket_enabled")


def _free_port(kind: socket.SocketKind) -> int:
    """Return a loopback port nothing listens on."""
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_refused_connection_is_not_answering() -> None:
    """A Minecraft port nothing listens on refuses at once: the game is not answering."""
    target = QueryTarget(
        protocol=QueryProtocol.MINECRAFT_JAVA,
        host="127.0.0.1",
        port=_free_port(socket.SOCK_STREAM),
    )
    with pytest.raises(GameNotAnsweringError):
        await query_players(target, within=2)


@pytest.mark.parametrize("protocol", [QueryProtocol.SOURCE, QueryProtocol.MINECRAFT_BEDROCK])
async def test_silence_runs_out_of_time(protocol: QueryProtocol) -> None:
    """A UDP port that swallows the query: the game is not answering, and no task is left."""
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(
        asyncio.DatagramProtocol, local_addr=("127.0.0.1", 0)
    )
    try:
        port = transport.get_extra_info("sockname")[1]
        target = QueryTarget(protocol=protocol, host="127.0.0.1", port=port)
        with pytest.raises(GameNotAnsweringError, match=r"no answer within 0\.2 s"):
            await query_players(target, within=0.2)
    finally:
        transport.close()


@pytest.mark.parametrize(
    ("online", "maximum", "names"),
    [(-1, 10, None), (1, 10**6, None), (True, 10, None), (1, 10, ("x" * 65,))],
)
def test_answers_no_game_would_send(online: object, maximum: object, names: object) -> None:
    """Negative or absurd counts, and overlong names, are garbage."""
    with pytest.raises(GameAnswerInvalidError):
        _players(online, maximum, names)  # type: ignore[arg-type]
