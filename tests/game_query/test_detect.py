"""Which query each egg's game answers, and where; addresses as users type them."""

from dataclasses import replace

import pytest

from custom_components.pterodactyl.api import Server, ServerAddress, ServerLimits
from custom_components.pterodactyl.game_query import (
    QueryProtocol,
    QueryTarget,
    detect_target,
    parse_address,
)

JAVA, BEDROCK, SOURCE = (
    QueryProtocol.MINECRAFT_JAVA,
    QueryProtocol.MINECRAFT_BEDROCK,
    QueryProtocol.SOURCE,
)
BASE = Server(
    identifier="1a7ce997",
    uuid="1a7ce997-259b-452e-8b4e-cecc464142ca",
    name="Game",
    description="",
    node="Node 01",
    limits=ServerLimits(memory_bytes=None, disk_bytes=None, cpu_percent=None),
    is_owner=True,
    is_suspended=False,
    is_installing=False,
    is_transferring=False,
    is_restoring=False,
    is_node_under_maintenance=False,
    address=ServerAddress(host="203.0.113.10", port=27015),
)


def server(**changes: object) -> Server:
    """Return the base server with some of its facts changed."""
    return replace(BASE, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        # Minecraft Java: every Java egg has the EULA feature; names of server software too.
        ({"egg": "Paper", "egg_features": ("eula", "java_version")}, (JAVA, 27015)),
        ({"egg": "Forge Enhanced"}, (JAVA, 27015)),
        ({"egg": "Velocity"}, (JAVA, 27015)),
        ({"egg": "Custom", "egg_features": ("java_version",)}, (JAVA, 27015)),
        # Bedrock, by egg, image or startup command, before Java's words.
        ({"egg": "Vanilla Bedrock", "egg_features": ("pid_limit",)}, (BEDROCK, 27015)),
        ({"egg": "Minecraft", "docker_image": "ghcr.io/parkervcp/yolks:bedrock"}, (BEDROCK, 27015)),
        ({"egg": "PocketMine-MP"}, (BEDROCK, 27015)),
        ({"egg": "Custom", "invocation": "./bedrock_server"}, (BEDROCK, 27015)),
        # Source games, on their query ports.
        ({"egg": "Valheim"}, (SOURCE, 27016)),
        ({"egg": "Rust", "variables": (("QUERY_PORT", "28017"),)}, (SOURCE, 28017)),
        ({"egg": "Rust", "variables": (("QUERY_PORT", "not a port"),)}, (SOURCE, 27015)),
        (
            {"egg": "ARK: Survival Evolved", "variables": (("QUERY_PORT", "27020"),)},
            (SOURCE, 27020),
        ),
        ({"egg": "Garry's Mod"}, (SOURCE, 27015)),
        ({"egg": "Custom", "invocation": "./srcds_run -game tf"}, (SOURCE, 27015)),
        ({"egg": "Custom", "variables": (("SRCDS_MAP", "de_dust2"),)}, (SOURCE, 27015)),
        # Unsure: no query rather than a wrong one; a word inside another word is no name.
        ({"egg": "Terraria Vanilla"}, None),
        ({"egg": "Factorio", "variables": (("QUERY_PORT", "27016"),)}, None),
        ({"egg": "Darkest Trust"}, None),
        ({}, None),
    ],
)
def test_detection(facts: dict[str, object], expected: tuple[QueryProtocol, int] | None) -> None:
    """The egg, image, startup command and variables tell the protocol and query port."""
    target = detect_target(server(**facts))
    if expected is None:
        assert target is None
    else:
        assert target == QueryTarget(protocol=expected[0], host="203.0.113.10", port=expected[1])


def test_choices_override_detection() -> None:
    """The user's protocol and address win; without an address the panel's is used."""
    terraria = server(egg="Terraria Vanilla")
    assert detect_target(terraria, SOURCE) == QueryTarget(
        protocol=SOURCE, host="203.0.113.10", port=27015
    )
    assert detect_target(server(egg="Paper"), None, ("play.example.com", 25570)) == QueryTarget(
        protocol=JAVA, host="play.example.com", port=25570
    )
    assert detect_target(server(egg="Paper", address=None)) is None


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("play.example.com:25565", ("play.example.com", 25565)),
        (" 203.0.113.10:27015 ", ("203.0.113.10", 27015)),
        ("[2001:db8::1]:27015", ("2001:db8::1", 27015)),
        ("play.example.com", None),
        ("play.example.com:0", None),
        ("play.example.com:65536", None),
        ("2001:db8::1:27015", None),
        ("http://play.example.com:25565", None),
        ("", None),
    ],
)
def test_parse_address(text: str, address: tuple[str, int] | None) -> None:
    """host:port and [IPv6]:port are addresses; anything else is refused."""
    assert parse_address(text) == address


def test_target_text() -> None:
    """A target reads as host:port, an IPv6 host in brackets."""
    assert (
        str(QueryTarget(protocol=SOURCE, host="2001:db8::1", port=27015)) == "[2001:db8::1]:27015"
    )
