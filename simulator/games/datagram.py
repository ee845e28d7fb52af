"""A game that answers over UDP: one datagram in, its answer's datagrams out."""

from abc import abstractmethod
import asyncio
import socket

from simulator.games.model import Behaviour, GameModel, GameStatus
from simulator.games.responder import Responder

type Address = tuple[str, int]


class DatagramResponder(Responder, asyncio.DatagramProtocol):
    """Serves one game's UDP query port; subclasses say what each datagram is answered with."""

    kind = socket.SOCK_DGRAM

    def __init__(self, model: GameModel) -> None:
        """Answer for `model`."""
        super().__init__(model)
        self._transport: asyncio.DatagramTransport | None = None

    @abstractmethod
    def answer(self, data: bytes, sender: Address, status: GameStatus) -> list[bytes]:
        """Return the datagrams a running game answers `data` with (none for what it ignores)."""

    @abstractmethod
    def garbage(self, data: bytes) -> list[bytes]:
        """Return datagrams the protocol's clients cannot parse."""

    async def serve(self) -> None:
        """Start reading datagrams (those sent since `bind` wait in the socket), unless closed."""
        if self.bound:
            loop = asyncio.get_running_loop()
            await loop.create_datagram_endpoint(lambda: self, sock=self.take_socket())

    def close(self) -> None:
        """Drop pending (slow) answers and close the socket."""
        self.cancel_answers()
        if self._transport is not None:
            self._transport.close()
            self._transport = None
        elif self._socket is not None:
            self._socket.close()
        self._socket = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keep the transport to answer with."""
        if isinstance(transport, asyncio.DatagramTransport):
            self._transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
        """Answer a datagram now, or after the game's delay."""
        sender = (str(addr[0]), int(addr[1]))
        self.model.received()
        # A stopped game (and a silent one) answers nothing: the client's timeout runs out.
        if not self.model.running or self.model.behaviour is Behaviour.SILENT:
            return
        if self.model.delay <= 0:
            self._reply(data, sender)
            return
        self.track(asyncio.get_running_loop().create_task(self._reply_later(data, sender)))

    async def _reply_later(self, data: bytes, sender: Address) -> None:
        """Answer after the game's delay."""
        await self.model.pause()
        self._reply(data, sender)

    def _reply(self, data: bytes, sender: Address) -> None:
        """Send the answer, if the game still runs."""
        status = self.model.status()
        if status is None or self._transport is None:
            return
        if self.model.behaviour is Behaviour.GARBAGE:
            packets = self.garbage(data)
        else:
            packets = self.answer(data, sender, status)
        for packet in packets:
            self._transport.sendto(packet, sender)
