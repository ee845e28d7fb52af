"""Source engine queries (A2S_INFO, A2S_PLAYER over UDP), with the S2C_CHALLENGE handshake.

developer.valvesoftware.com/wiki/Server_queries: every request and answer starts with
FF FF FF FF; a request without the right challenge is answered with 'A' (0x41) and a
challenge number to append to the request. Answers longer than one packet are split into the
Source multi-packet format (FE FF FF FF, id, total, number, size).
"""

import hashlib
import struct

from simulator.games.datagram import Address, DatagramResponder
from simulator.games.model import GameModel, GameStatus

SIMPLE = b"\xff\xff\xff\xff"
MULTI = b"\xfe\xff\xff\xff"
INFO_REQUEST = 0x54
INFO_PAYLOAD = b"Source Engine Query\0"
PLAYER_REQUEST = 0x55
CHALLENGE = 0x41
INFO = 0x49
PLAYER = 0x44
# Answers up to this size go in one datagram; longer ones are split into parts of PART_SIZE.
SINGLE_LIMIT = 1400
PART_SIZE = 1248
# Extra data flags of A2S_INFO: the game port and the 64-bit game id follow.
EDF_PORT = 0x80
EDF_GAME_ID = 0x01


def cstring(text: str) -> bytes:
    """Encode a NUL-terminated UTF-8 string."""
    return text.encode() + b"\0"


class SourceResponder(DatagramResponder):
    """Answers A2S_INFO and A2S_PLAYER once the client echoes its challenge."""

    def __init__(self, model: GameModel) -> None:
        """Answer for `model`; no challenge handed out yet."""
        super().__init__(model)
        self._answers = 0

    def answer(self, data: bytes, sender: Address, status: GameStatus) -> list[bytes]:
        """Answer a challenge, or the request once its challenge is right."""
        if data[:4] != SIMPLE or len(data) < 5:
            return []
        kind = data[4]
        if kind == INFO_REQUEST and data[5:25] == INFO_PAYLOAD:
            given = data[25:29]
        elif kind == PLAYER_REQUEST:
            given = data[5:9]
        else:
            return []
        challenge = self._challenge(sender)
        if given != challenge:
            return [SIMPLE + bytes([CHALLENGE]) + challenge]
        body = self._info(status) if kind == INFO_REQUEST else self._players(status)
        return self._split(SIMPLE + body)

    def garbage(self, data: bytes) -> list[bytes]:
        """Answer with an A2S_INFO cut short in its first string."""
        return [SIMPLE + bytes([INFO, 17]) + b"Simulat"]

    def _challenge(self, sender: Address) -> bytes:
        """Return the challenge for `sender`'s address (never 0: clients send 0 for none).

        Derived from the address and the server, not remembered: every query comes from a new
        port, so a table of them would grow for as long as the game is asked.
        """
        digest = hashlib.blake2s(f"{self.model.server.uuid}|{sender[0]}".encode(), digest_size=4)
        return struct.pack("<L", int.from_bytes(digest.digest(), "little") or 1)

    def _info(self, status: GameStatus) -> bytes:
        """Return the A2S_INFO answer's body (Source format)."""
        model = self.model
        spec = model.spec
        # The game's own port: the one the panel lists (Rust's query port is a variable).
        game_port = next((a.port for a in model.server.allocations if a.is_default), 0)
        return (
            bytes([INFO, 17])
            + cstring(model.server.name)
            + cstring(spec.map_name)
            + cstring(spec.folder)
            + cstring(model.server.game)
            # The 16-bit app id field; the full id is in the 64-bit game id below.
            + struct.pack("<H", spec.app_id & 0xFFFF)
            + bytes([min(len(status.players), 255), min(status.max_players, 255), 0])
            + b"dl\x00\x01"
            + cstring(spec.version)
            + bytes([EDF_PORT | EDF_GAME_ID])
            + struct.pack("<H", game_port)
            + struct.pack("<Q", spec.app_id)
        )

    def _players(self, status: GameStatus) -> bytes:
        """Return the A2S_PLAYER answer's body: index, name, score, seconds connected."""
        shown = status.players[:255]
        body = bytearray([PLAYER, len(shown)])
        for player in shown:
            connected = max(0.0, status.now - player.joined)
            body += b"\0" + cstring(player.name) + struct.pack("<lf", 0, connected)
        return bytes(body)

    def _split(self, message: bytes) -> list[bytes]:
        """Return the message as one datagram, or in the Source multi-packet format."""
        if len(message) <= SINGLE_LIMIT:
            return [message]
        self._answers += 1
        parts = [message[at : at + PART_SIZE] for at in range(0, len(message), PART_SIZE)]
        return [
            MULTI + struct.pack("<LBBH", self._answers, len(parts), number, PART_SIZE) + part
            for number, part in enumerate(parts)
        ]
