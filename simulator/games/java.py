"""Minecraft Java Edition's Server List Ping (TCP), as a vanilla or Paper server answers it.

minecraft.wiki/w/Java_Edition_protocol/Server_List_Ping: a handshake (next state 1), a status
request answered with the status JSON, then a ping answered with the same 8 bytes; and the
pre-1.7 ping (0xFE 0x01) answered with a UTF-16BE kick packet.
"""

import asyncio
import hashlib
import json
import socket
import struct
from typing import Any
import uuid

from simulator.games.model import Behaviour, GameModel, GameStatus
from simulator.games.responder import Responder

# Vanilla sends at most this many players in `players.sample`.
SAMPLE_SIZE = 12
_MAX_PACKET = 1 << 16


def varint(value: int) -> bytes:
    """Encode a VarInt (32-bit, two's complement for negatives)."""
    value &= 0xFFFFFFFF
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def frame(packet_id: int, payload: bytes) -> bytes:
    """Return a length-prefixed packet."""
    body = varint(packet_id) + payload
    return varint(len(body)) + body


def utf(text: str) -> bytes:
    """Encode a protocol String: VarInt byte length, then UTF-8."""
    data = text.encode()
    return varint(len(data)) + data


async def read_varint(reader: asyncio.StreamReader, first: int | None = None) -> int:
    """Read a VarInt, `first` being its first byte if already read."""
    data = bytearray() if first is None else bytearray([first])
    while not data or data[-1] & 0x80:
        if len(data) == 5:
            raise ValueError("VarInt too long")
        data += await reader.readexactly(1)
    return _take_varint(bytes(data), 0)[0]


def offline_uuid(name: str) -> str:
    """Return an offline-mode player's id: a v3 UUID of "OfflinePlayer:<name>" (as Java's)."""
    digest = hashlib.md5(f"OfflinePlayer:{name}".encode(), usedforsecurity=False).digest()
    return str(uuid.UUID(bytes=digest, version=3))


def status_json(model: GameModel, status: GameStatus) -> dict[str, Any]:
    """Return the status response: vanilla's sample is a random window of 12, shuffled."""
    online = list(status.players)
    shown = min(len(online), SAMPLE_SIZE)
    start = model.rng.randint(0, len(online) - shown)
    sample = online[start : start + shown]
    model.rng.shuffle(sample)
    players: dict[str, Any] = {"max": status.max_players, "online": len(online)}
    if sample:
        # An empty sample is left out (its codec's default).
        players["sample"] = [{"name": p.name, "id": offline_uuid(p.name)} for p in sample]
    return {
        "version": {"name": model.spec.version, "protocol": model.spec.protocol_version},
        "enforcesSecureChat": True,
        "description": {"text": model.server.description or model.server.name},
        "players": players,
    }


def legacy_kick(model: GameModel, status: GameStatus) -> bytes:
    """Return the 1.4+ answer to the legacy 0xFE ping."""
    fields = [
        "§1",
        "127",
        model.spec.version,
        model.server.description or model.server.name,
        str(len(status.players)),
        str(status.max_players),
    ]
    text = "\0".join(fields)
    return b"\xff" + struct.pack(">H", len(text)) + text.encode("utf-16-be")


class JavaResponder(Responder):
    """Serves Server List Ping on a TCP port."""

    kind = socket.SOCK_STREAM

    def __init__(self, model: GameModel) -> None:
        """Answer for `model`."""
        super().__init__(model)
        self._server: asyncio.Server | None = None

    async def serve(self) -> None:
        """Start accepting connections (unless closed meanwhile)."""
        if self.bound:
            self._server = await asyncio.start_server(self._handle, sock=self.take_socket())

    def close(self) -> None:
        """Stop listening and drop every connection."""
        self.cancel_answers()
        if self._server is not None:
            self._server.close()
            self._server.abort_clients()
        elif self._socket is not None:
            self._socket.close()
        self._socket = None

    async def wait_closed(self) -> None:
        """Wait for the dropped connections' handlers to end."""
        await super().wait_closed()
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Answer one connection."""
        task = asyncio.current_task()
        if task is not None:
            self.track(task)
        model = self.model
        model.received()
        try:
            if not model.running:
                # Nothing listens behind a stopped container: the connection fails at once.
                writer.transport.abort()
                return
            if model.behaviour is Behaviour.SILENT:
                await reader.read()
                return
            first = (await reader.readexactly(1))[0]
            if first == 0xFE:
                await self._legacy(reader, writer)
                return
            if not await self._handshake(reader, first):
                return
            while await self._exchange(reader, writer):
                pass
        except asyncio.IncompleteReadError, ConnectionError, ValueError:
            pass
        finally:
            writer.close()

    async def _handshake(self, reader: asyncio.StreamReader, first: int) -> bool:
        """Read the handshake; return whether it asks for the status (next state 1)."""
        data = await self._packet(reader, first)
        packet_id, offset = _take_varint(data, 0)
        _protocol, offset = _take_varint(data, offset)
        host_length, offset = _take_varint(data, offset)
        offset += host_length + 2
        next_state, _ = _take_varint(data, offset)
        return packet_id == 0 and next_state == 1

    async def _exchange(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Answer a status request or a ping; return whether the connection stays open."""
        data = await self._packet(reader)
        packet_id, offset = _take_varint(data, 0)
        if packet_id == 1:
            writer.write(frame(1, data[offset : offset + 8]))
            await writer.drain()
            return False
        if packet_id != 0:
            return False
        await self.model.pause()
        status = self.model.status()
        if status is None:
            return False
        if self.model.behaviour is Behaviour.GARBAGE:
            writer.write(frame(0, utf('{"version": {"name": ')))
        else:
            body = json.dumps(status_json(self.model, status), ensure_ascii=False)
            writer.write(frame(0, utf(body)))
        await writer.drain()
        return True

    async def _legacy(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Answer the pre-1.7 ping, then wait for the client to hang up."""
        await self.model.pause()
        status = self.model.status()
        if status is None:
            return
        if self.model.behaviour is Behaviour.GARBAGE:
            writer.write(b"\xff\x00\x02" + "§x".encode("utf-16-be"))
        else:
            writer.write(legacy_kick(self.model, status))
        await writer.drain()
        # Reading the rest of the ping before closing: unread bytes would reset the connection
        # and could lose the answer on its way.
        writer.write_eof()
        await reader.read()

    @staticmethod
    async def _packet(reader: asyncio.StreamReader, first: int | None = None) -> bytes:
        """Read one length-prefixed packet."""
        length = await read_varint(reader, first)
        if length > _MAX_PACKET:
            raise ValueError("packet too long")
        return await reader.readexactly(length)


def _take_varint(data: bytes, offset: int) -> tuple[int, int]:
    """Decode a VarInt at `offset`; return it and the offset after it."""
    value = 0
    for shift in range(0, 35, 7):
        if offset >= len(data):
            raise ValueError("truncated VarInt")
        byte = data[offset]
        offset += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, offset
    raise ValueError("VarInt too long")
