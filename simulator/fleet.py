"""The default fleet: servers of different games, deterministic from a seed."""

from dataclasses import dataclass
import random
import uuid

from simulator.clock import Clock
from simulator.games.spec import QueryProtocol, QuerySpec
from simulator.models import Allocation, EggVariable, FeatureLimits, Limits, SimServer

_JAVA_STARTUP = (
    "java -Xms128M -XX:MaxRAMPercentage=95.0 -Dterminal.jline=false -Dterminal.ansi=true "
    "-jar {{SERVER_JARFILE}}"
)


@dataclass(frozen=True, slots=True)
class GameTemplate:
    """What a server of one game looks like."""

    name: str
    game: str
    egg: str
    docker_image: str
    startup: str
    variables: tuple[tuple[str, str, str], ...]
    port: int
    memory_mb: int
    disk_mb: int
    working_set_mb: int
    idle_cpu: float
    egg_features: tuple[str, ...] | None = None
    description: str = ""
    # The player query the game answers (None: none the simulator speaks); see docs/conformance.md.
    query: QuerySpec | None = None


_MINECRAFT_VARS = (("Server Jar File", "SERVER_JARFILE", "server.jar"),)
_MINECRAFT_FEATURES = ("eula", "java_version", "pid_limit")
_PAPER_QUERY = QuerySpec(QueryProtocol.MINECRAFT_JAVA, 20, "Paper 1.21.4", 769)

GAMES: tuple[GameTemplate, ...] = (
    GameTemplate(
        "Survival", "Minecraft", "Paper", "ghcr.io/pterodactyl/yolks:java_21", _JAVA_STARTUP,
        _MINECRAFT_VARS, 25565, 4096, 20480, 2600, 18.0, _MINECRAFT_FEATURES,
        "Main survival world", _PAPER_QUERY,
    ),
    GameTemplate(
        "Creative", "Minecraft", "Paper", "ghcr.io/pterodactyl/yolks:java_21", _JAVA_STARTUP,
        _MINECRAFT_VARS, 25566, 2048, 10240, 1300, 8.0, _MINECRAFT_FEATURES, "Creative plots",
        _PAPER_QUERY,
    ),
    GameTemplate(
        "Valheim", "Valheim", "Valheim", "ghcr.io/parkervcp/games:valheim",
        './valheim_server.x86_64 -nographics -batchmode -name "{{SRV_NAME}}" '
        "-port {{SERVER_PORT}} -world {{WORLD_NAME}}",
        (("Server Name", "SRV_NAME", "Vikings"), ("World Name", "WORLD_NAME", "Dedicated")),
        2456, 4096, 8192, 2900, 35.0,
        query=QuerySpec(
            QueryProtocol.SOURCE, 10, "0.219.16", app_id=892970, folder="valheim",
            map_name="Dedicated", port_offset=1,
        ),
    ),
    GameTemplate(
        "Rust", "Rust", "Rust", "ghcr.io/parkervcp/games:rust",
        "./RustDedicated -batchmode +server.port {{SERVER_PORT}} "
        "+server.queryport {{QUERY_PORT}} +server.maxplayers {{MAX_PLAYERS}}",
        (("Max Players", "MAX_PLAYERS", "50"), ("Query Port", "QUERY_PORT", "28017")),
        28015, 12288, 30720, 8000, 60.0,
        query=QuerySpec(
            QueryProtocol.SOURCE, 50, "2578", app_id=252490, folder="rust",
            map_name="Procedural Map", port_variable="QUERY_PORT",
        ),
    ),
    GameTemplate(
        "Terraria", "Terraria", "Terraria Vanilla", "ghcr.io/parkervcp/yolks:debian",
        "./TerrariaServer.bin.x86_64 -port {{SERVER_PORT}} -world {{WORLD}}",
        (("World File", "WORLD", "world.wld"),), 7777, 1024, 4096, 450, 6.0,
    ),
    GameTemplate(
        "Factorio", "Factorio", "Factorio", "ghcr.io/parkervcp/yolks:debian",
        "./bin/x64/factorio --port {{SERVER_PORT}} --start-server {{SAVE_NAME}}.zip",
        (("Save Name", "SAVE_NAME", "gamesave"),), 34197, 2048, 8192, 900, 15.0,
    ),
    GameTemplate(
        "Palworld", "Palworld", "Palworld", "ghcr.io/parkervcp/steamcmd:debian",
        "./PalServer.sh -port={{SERVER_PORT}} -players={{MAX_PLAYERS}}",
        (("Max Players", "MAX_PLAYERS", "16"),), 8211, 16384, 20480, 9500, 45.0,
    ),
    GameTemplate(
        "Project Zomboid", "Project Zomboid", "Project Zomboid",
        "ghcr.io/parkervcp/steamcmd:debian",
        "./start-server.sh -port {{SERVER_PORT}} -servername {{SERVER_NAME}}",
        (("Server Name", "SERVER_NAME", "pzserver"),), 16261, 6144, 10240, 3500, 20.0,
    ),
    GameTemplate(
        "Counter-Strike 2", "Counter-Strike 2", "CS2", "ghcr.io/parkervcp/steamcmd:sniper",
        "./game/bin/linuxsteamrt64/cs2 -dedicated -port {{SERVER_PORT}} +map {{SRCDS_MAP}}",
        (("Map", "SRCDS_MAP", "de_dust2"),), 27015, 4096, 40960, 1800, 25.0,
        query=QuerySpec(
            QueryProtocol.SOURCE, 10, "1.40.6.2", app_id=730, folder="cs2", map_name="de_dust2"
        ),
    ),
    GameTemplate(
        "Satisfactory", "Satisfactory", "Satisfactory", "ghcr.io/parkervcp/steamcmd:debian",
        "./FactoryServer.sh -Port={{SERVER_PORT}}", (), 7779, 12288, 20480, 7000, 40.0,
    ),
    # parkervcp/eggs game_eggs/minecraft/bedrock/bedrock/egg-vanilla-bedrock.json.
    GameTemplate(
        "Bedrock", "Minecraft Bedrock", "Vanilla Bedrock", "ghcr.io/parkervcp/yolks:debian",
        "./bedrock_server",
        (("Bedrock Version", "BEDROCK_VERSION", "latest"),
         ("Server Name", "SERVERNAME", "Bedrock Dedicated Server")),
        19132, 2048, 8192, 600, 10.0, ("pid_limit",), "Bedrock survival",
        QuerySpec(QueryProtocol.MINECRAFT_BEDROCK, 10, "1.21.50", 766),
    ),
)  # fmt: skip


def make_uuid(rng: random.Random) -> str:
    """Return a random version-4 UUID drawn from `rng`."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def build_server(
    template: GameTemplate,
    *,
    name: str,
    internal_id: int,
    rng: random.Random,
    clock: Clock,
    start_seconds: float,
    stop_seconds: float,
) -> SimServer:
    """Return a server of `template`'s game with ids drawn from `rng`."""
    server_uuid = make_uuid(rng)
    return SimServer(
        identifier=server_uuid[:8],
        uuid=server_uuid,
        name=name,
        internal_id=internal_id,
        clock=clock,
        game=template.game,
        egg=template.egg,
        description=template.description,
        docker_image=template.docker_image,
        startup=template.startup,
        egg_features=list(template.egg_features) if template.egg_features else None,
        limits=Limits(
            memory=template.memory_mb, disk=template.disk_mb, cpu=rng.choice([200, 300, 400])
        ),
        feature_limits=FeatureLimits(),
        allocations=[
            Allocation(id=internal_id * 10, ip="10.0.0.10", port=template.port, is_default=True)
        ],
        variables=[
            EggVariable(name=label, env_variable=env, default_value=value, server_value=value)
            for label, env, value in template.variables
        ],
        start_seconds=start_seconds,
        stop_seconds=stop_seconds,
        working_set_mb=template.working_set_mb,
        idle_cpu=template.idle_cpu,
        disk_mb=int(template.disk_mb * rng.uniform(0.05, 0.3)),
        rx_rate=rng.uniform(2_000, 40_000),
        tx_rate=rng.uniform(5_000, 120_000),
        seed=rng.getrandbits(32),
    )


def template_named(name: str) -> GameTemplate:
    """Return the default fleet's game called `name` ("Bedrock", "Rust", ...); KeyError if none."""
    found = next((template for template in GAMES if template.name == name), None)
    if found is None:
        raise KeyError(name)
    return found


def query_for(egg: str) -> QuerySpec | None:
    """Return the query a server of this egg answers, None for none the simulator speaks."""
    return next((template.query for template in GAMES if template.egg == egg), None)


def template_for(index: int) -> tuple[GameTemplate, str]:
    """Return the game and name of the `index`-th (0-based) default server."""
    template = GAMES[index % len(GAMES)]
    rounds = index // len(GAMES)
    return template, template.name if rounds == 0 else f"{template.name} {rounds + 1}"
