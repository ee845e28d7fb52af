"""The panel's game servers answering player queries on loopback, one responder per game."""

import asyncio
from collections.abc import Callable

from simulator.games.bedrock import BedrockResponder
from simulator.games.java import JavaResponder
from simulator.games.model import GameModel
from simulator.games.responder import Responder
from simulator.games.source import SourceResponder
from simulator.games.spec import QueryProtocol, QuerySpec
from simulator.models import Allocation, EggVariable, SimServer

RESPONDERS: dict[QueryProtocol, Callable[[GameModel], Responder]] = {
    QueryProtocol.MINECRAFT_JAVA: JavaResponder,
    QueryProtocol.MINECRAFT_BEDROCK: BedrockResponder,
    QueryProtocol.SOURCE: SourceResponder,
}


class GameHub:
    """Every game of the panel that answers a query, each on its own ephemeral loopback port."""

    # Attaching a server binds its port at once and points the server's default allocation (and
    # its query-port variable, for games that have one) at it: the panel lists the address the
    # game really answers on.

    def __init__(self, notify: Callable[[], None], *, host: str = "127.0.0.1") -> None:
        """Bind on `host`; `notify` is called at every query a game receives."""
        self.host = host
        # Whether players come and go on their own in games attached from now on.
        self.autoplay = True
        self.games: dict[str, GameModel] = {}
        self._notify = notify
        self._responders: dict[str, Responder] = {}
        self._serving = False
        self._starting: set[asyncio.Task[None]] = set()

    def attach(self, server: SimServer, spec: QuerySpec | None) -> GameModel | None:
        """Give `server` a game answering `spec`'s protocol; None when it answers none."""
        if spec is None:
            return None
        model = GameModel(server, spec, autoplay=self.autoplay, notify=self._notify)
        responder = RESPONDERS[spec.protocol](model)
        port = responder.bind(self.host)
        _point_at(server, spec, self.host, port)
        self.games[server.identifier] = model
        self._responders[server.identifier] = responder
        if self._serving:
            task = asyncio.get_running_loop().create_task(responder.serve())
            self._starting.add(task)
            task.add_done_callback(self._starting.discard)
        return model

    def detach(self, identifier: str) -> None:
        """Close a server's game (the server is deleted)."""
        self.games.pop(identifier, None)
        responder = self._responders.pop(identifier, None)
        if responder is not None:
            responder.close()

    def game(self, identifier: str) -> GameModel:
        """Return a server's game; KeyError when it has none."""
        return self.games[identifier]

    def set_autoplay(self, autoplay: bool) -> None:
        """Let players come and go on their own in every game (and those attached later)."""
        self.autoplay = autoplay
        for model in self.games.values():
            model.autoplay = autoplay

    async def start(self) -> None:
        """Answer queries (again after `close`, on the same ports)."""
        for responder in self._responders.values():
            if responder.model.address is not None and not responder.bound:
                responder.bind(self.host, responder.model.address[1])
            await responder.serve()
        self._serving = True

    async def close(self) -> None:
        """Stop answering and close every port."""
        self._serving = False
        await asyncio.gather(*self._starting, return_exceptions=True)
        for responder in self._responders.values():
            responder.close()
        for responder in self._responders.values():
            await responder.wait_closed()


def _point_at(server: SimServer, spec: QuerySpec, host: str, port: int) -> None:
    """Make the panel list the game's real address: default allocation, query-port variable."""
    allocation = next((a for a in server.allocations if a.is_default), None)
    if allocation is None:
        allocation = Allocation(id=server.internal_id * 10, ip=host, port=0, is_default=True)
        server.allocations.insert(0, allocation)
    allocation.ip = host
    if spec.port_variable is None:
        allocation.port = port - spec.port_offset
        return
    value = str(port)
    variable = next((v for v in server.variables if v.env_variable == spec.port_variable), None)
    if variable is None:
        server.variables.append(EggVariable("Query Port", spec.port_variable, value, value))
    else:
        variable.server_value = value
