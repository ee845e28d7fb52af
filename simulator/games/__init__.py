"""Game servers answering player queries on loopback: Minecraft Java and Bedrock, Source A2S."""

from simulator.games.hub import GameHub
from simulator.games.model import Behaviour, GameModel, GameStatus
from simulator.games.players import OnlinePlayer
from simulator.games.spec import QueryProtocol, QuerySpec

__all__ = [
    "Behaviour",
    "GameHub",
    "GameModel",
    "GameStatus",
    "OnlinePlayer",
    "QueryProtocol",
    "QuerySpec",
]
