"""A game's query port: a loopback socket bound at once, served on the event loop later."""

from abc import ABC, abstractmethod
import asyncio
import socket

from simulator.games.model import GameModel


class Responder(ABC):
    """Answers one game's queries on its own socket (port 0 picks a free one)."""

    kind: socket.SocketKind

    def __init__(self, model: GameModel) -> None:
        """Answer for `model`; nothing is bound yet."""
        self.model = model
        self._socket: socket.socket | None = None
        # Answers in progress (a slow game's), cancelled at `close`.
        self._tasks: set[asyncio.Task[None]] = set()

    def bind(self, host: str, port: int = 0) -> int:
        """Bind (and for TCP listen) now, so clients queue until `serve`; return the port."""
        # Synchronously: a server added while the simulator runs answers at the address the
        # panel lists from the moment it is listed.
        sock = socket.socket(socket.AF_INET, self.kind)
        try:
            if self.kind is socket.SOCK_STREAM:
                # The same port again after `close`, past TIME_WAIT. Not for UDP, where Linux
                # would let two sockets share the port.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
            if self.kind is socket.SOCK_STREAM:
                sock.listen(64)
            sock.setblocking(False)
        except OSError:
            sock.close()
            raise
        self._socket = sock
        bound: tuple[str, int] = sock.getsockname()
        self.model.address = bound
        return bound[1]

    @property
    def bound(self) -> bool:
        """Return whether the responder holds its socket (between `bind` and `close`)."""
        return self._socket is not None

    def take_socket(self) -> socket.socket:
        """Return the bound socket, for the event loop to serve."""
        if self._socket is None:
            raise RuntimeError("not bound")
        return self._socket

    @abstractmethod
    async def serve(self) -> None:
        """Start answering on the bound socket."""

    @abstractmethod
    def close(self) -> None:
        """Stop answering and close the socket at once (bind again to reopen)."""

    def track(self, task: asyncio.Task[None]) -> None:
        """Keep an answer in progress, to cancel it at `close`."""
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def cancel_answers(self) -> None:
        """Cancel the answers in progress."""
        for task in self._tasks:
            task.cancel()

    async def wait_closed(self) -> None:
        """Wait until the answers in progress at `close` are dropped."""
        await asyncio.gather(*self._tasks, return_exceptions=True)
