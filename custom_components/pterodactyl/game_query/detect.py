"""Which query a game server answers, told from its egg, image and startup command.

The rules follow the eggs people install (pterodactyl/panel's bundled eggs, parkervcp/eggs).
When nothing says which game a server runs, there is no query: "off" beats a wrong guess.
"""

from collections.abc import Mapping
import re
from typing import Final, Protocol

from .models import QueryProtocol, QueryTarget


class _Address(Protocol):
    """Where the panel says players connect."""

    @property
    def host(self) -> str:
        """Return the host name or IP."""

    @property
    def port(self) -> int:
        """Return the game port."""


class GameServer(Protocol):
    """What the panel lists of a server that tells its game (the panel client's Server)."""

    @property
    def egg(self) -> str | None:
        """Return the egg's name."""

    @property
    def docker_image(self) -> str | None:
        """Return the container image."""

    @property
    def invocation(self) -> str | None:
        """Return the startup command."""

    @property
    def egg_features(self) -> tuple[str, ...]:
        """Return the egg's features."""

    @property
    def variables(self) -> tuple[tuple[str, str], ...]:
        """Return the startup variables' names and values."""

    @property
    def address(self) -> _Address | None:
        """Return the default allocation's address."""


# Words in the egg name, image or startup command of Minecraft Bedrock server software.
_BEDROCK: Final = re.compile(r"bedrock|nukkit|pocketmine|geyser-standalone", re.IGNORECASE)
# Minecraft Java server software (and proxies, which answer the same ping).
_JAVA: Final = re.compile(
    r"minecraft|paper|spigot|bukkit|purpur|folia|forge|fabric|quilt|sponge|mohist|"
    r"bungeecord|waterfall|velocity",
    re.IGNORECASE,
)
# Every Minecraft Java egg asks the user to accept the EULA; Bedrock's does not.
_JAVA_FEATURES: Final = frozenset({"eula", "java_version"})
# Games that answer A2S, by a word of their egg name: and where, relative to the game port.
_SOURCE_GAMES: Final[Mapping[str, int]] = {
    "valheim": 1,  # its query port is the game port + 1 (parkervcp valheim egg README)
    "unturned": 1,
    "rust": 0,  # +server.queryport: the QUERY_PORT variable, when set
    "ark": 0,  # QUERY_PORT variable (default 27015)
    "counter-strike": 0,
    "cs2": 0,
    "csgo": 0,
    "garry": 0,
    "team fortress": 0,
    "left 4 dead": 0,
    "insurgency": 0,
    "squad": 0,
    "conan": 0,
    "v rising": 0,
    "7 days to die": 0,
}
# Source engine servers: srcds in the startup command, or SRCDS_* startup variables.
_SRCDS: Final = re.compile(r"srcds|\bcs2\b", re.IGNORECASE)
# host:port or [IPv6]:port, as a user types an address override.
_ADDRESS: Final = re.compile(
    r"(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<host>[^\s:/\[\]]+)):(?P<port>\d{1,5})"
)
# A startup variable that names the query port (Rust, ARK, Squad, Conan…).
_QUERY_PORT_VARIABLE: Final = re.compile(r"(^|_)QUERY_?PORT$", re.IGNORECASE)


def detect_protocol(server: GameServer) -> QueryProtocol | None:
    """Return the query the server's game answers, None when unsure."""
    egg = server.egg or ""
    image = server.docker_image or ""
    invocation = server.invocation or ""
    if any(_BEDROCK.search(text) for text in (egg, image, invocation)):
        return QueryProtocol.MINECRAFT_BEDROCK
    if _JAVA_FEATURES & set(server.egg_features) or _JAVA.search(egg):
        return QueryProtocol.MINECRAFT_JAVA
    if _source_offset(egg) is not None or _SRCDS.search(invocation):
        return QueryProtocol.SOURCE
    if any(name.startswith("SRCDS_") for name, _ in server.variables):
        return QueryProtocol.SOURCE
    return None


def _source_offset(egg: str) -> int | None:
    """Return how far a known Source game's query port is from its game port."""
    return next(
        (
            offset
            for word, offset in _SOURCE_GAMES.items()
            if re.search(rf"\b{re.escape(word)}\b", egg, re.IGNORECASE)
        ),
        None,
    )


def _query_port_variable(server: GameServer) -> int | None:
    """Return the port a QUERY_PORT startup variable sets, None when there is none."""
    for name, value in server.variables:
        if _QUERY_PORT_VARIABLE.search(name) and value.isdigit() and 0 < int(value) < 65536:
            return int(value)
    return None


def detect_target(
    server: GameServer,
    protocol: QueryProtocol | None = None,
    address: tuple[str, int] | None = None,
) -> QueryTarget | None:
    """Return where to query the server, with the user's protocol and address where given.

    None when the protocol cannot be told, or the panel lists no address and none is given.
    """
    protocol = protocol or detect_protocol(server)
    if protocol is None:
        return None
    if address is not None:
        return QueryTarget(protocol=protocol, host=address[0], port=address[1])
    if server.address is None:
        return None
    port = server.address.port
    if protocol is QueryProtocol.SOURCE:
        port = _query_port_variable(server) or port + (_source_offset(server.egg or "") or 0)
    return QueryTarget(protocol=protocol, host=server.address.host, port=port)


def parse_address(text: str) -> tuple[str, int] | None:
    """Return (host, port) of "host:port" or "[v6]:port", None when it is not one."""
    match = _ADDRESS.fullmatch(text.strip())
    if match is None:
        return None
    port = int(match["port"])
    if not 0 < port < 65536:
        return None
    return match["v6"] or match["host"], port
