"""Who plays on a game server, asked of the game itself: Minecraft and Source queries."""

from .detect import detect_target, parse_address
from .exceptions import GameAnswerInvalidError, GameNotAnsweringError, GameQueryError
from .models import Players, QueryProtocol, QueryTarget
from .query import query_players

__all__ = [
    "GameAnswerInvalidError",
    "GameNotAnsweringError",
    "GameQueryError",
    "Players",
    "QueryProtocol",
    "QueryTarget",
    "detect_target",
    "parse_address",
    "query_players",
]
