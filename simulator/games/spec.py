"""What query a game server answers, and where: the protocol and its port."""

from dataclasses import dataclass
from enum import StrEnum


class QueryProtocol(StrEnum):
    """The player-query protocols a game server may speak."""

    # Server List Ping over TCP on the game port (minecraft.wiki Server_List_Ping).
    MINECRAFT_JAVA = "minecraft_java"
    # RakNet unconnected ping over UDP on the game port (wiki.bedrock.dev raknet-and-mcpe).
    MINECRAFT_BEDROCK = "minecraft_bedrock"
    # A2S_INFO / A2S_PLAYER over UDP (developer.valvesoftware.com/wiki/Server_queries).
    SOURCE = "source"


@dataclass(frozen=True, slots=True)
class QuerySpec:
    """How one game answers queries: protocol, where its query port is, what it reports."""

    protocol: QueryProtocol
    max_players: int = 20
    # The game's version as it reports it, and Minecraft's protocol number.
    version: str = ""
    protocol_version: int = 0
    # Source: the Steam app id, game folder and map.
    app_id: int = 0
    folder: str = ""
    map_name: str = ""
    # The query port is the game port plus this (Valheim answers A2S on game port + 1).
    port_offset: int = 0
    # Or it is an egg variable of its own (Rust's QUERY_PORT), the allocation keeping the game port.
    port_variable: str | None = None
