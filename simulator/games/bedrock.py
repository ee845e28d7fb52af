"""Minecraft Bedrock Edition's unconnected ping (RakNet over UDP), as its dedicated server answers.

wiki.bedrock.dev/servers/raknet-and-mcpe.html: Unconnected Ping (0x01, or 0x02 for open
connections) = time (8) + magic (16) + client GUID (8); Unconnected Pong (0x1c) = the ping's
time + server GUID + magic + a length-prefixed "MCPE;MOTD;protocol;version;players;max;
server id;level;game mode;game mode number;port v4;port v6;" string.
"""

import struct

from simulator.games.datagram import Address, DatagramResponder
from simulator.games.model import GameStatus

MAGIC = bytes.fromhex("00ffff00fefefefefdfdfdfd12345678")
_PINGS = (0x01, 0x02)
_PONG = 0x1C
_PING_SIZE = 33


class BedrockResponder(DatagramResponder):
    """Answers RakNet unconnected pings with the server's MOTD string."""

    def answer(self, data: bytes, sender: Address, status: GameStatus) -> list[bytes]:
        """Answer a well-formed unconnected ping; other RakNet traffic is not played."""
        if len(data) < _PING_SIZE or data[0] not in _PINGS or data[9:25] != MAGIC:
            return []
        return [self._pong(data[1:9], self.motd(status))]

    def garbage(self, data: bytes) -> list[bytes]:
        """Answer with a pong whose MOTD string lacks the player counts."""
        return [self._pong(data[1:9], "MCPE;garbage")]

    def motd(self, status: GameStatus) -> str:
        """Return the MOTD string of the pong."""
        model = self.model
        port = model.address[1] if model.address else 19132
        fields = [
            "MCPE",
            model.server.name,
            str(model.spec.protocol_version),
            model.spec.version,
            str(len(status.players)),
            str(status.max_players),
            str(self._guid()),
            model.server.description or "Bedrock level",
            "Survival",
            "1",
            str(port),
            str(port + 1),
        ]
        return ";".join(fields) + ";"

    def _guid(self) -> int:
        """Return the server's RakNet GUID (fixed per server)."""
        return self.model.server.seed

    def _pong(self, ping_time: bytes, motd: str) -> bytes:
        """Return an unconnected pong."""
        text = motd.encode()
        header = bytes([_PONG]) + ping_time + struct.pack(">Q", self._guid()) + MAGIC
        return header + struct.pack(">H", len(text)) + text
