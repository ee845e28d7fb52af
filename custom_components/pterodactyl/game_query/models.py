"""What a player query asks and what it learns."""

from dataclasses import dataclass
from enum import StrEnum


class QueryProtocol(StrEnum):
    """How a game tells who is on."""

    MINECRAFT_JAVA = "minecraft_java"  # Server List Ping over TCP
    MINECRAFT_BEDROCK = "minecraft_bedrock"  # RakNet unconnected ping over UDP
    SOURCE = "source"  # Valve's A2S_INFO and A2S_PLAYER over UDP


@dataclass(frozen=True, slots=True, kw_only=True)
class QueryTarget:
    """Where and how to ask a game server for its players."""

    protocol: QueryProtocol
    host: str
    port: int

    def __str__(self) -> str:
        """Return host:port, an IPv6 host in brackets."""
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Players:
    """The players a game reported."""

    online: int
    max: int
    # Every player's name, or None when the game does not list them all (Minecraft Java sends
    # a sample of at most 12; Bedrock sends none): joins and leaves then cannot be told.
    names: tuple[str, ...] | None
