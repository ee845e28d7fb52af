"""The wings side: websocket tokens and URLs (the websocket endpoint itself lives here later)."""

import hashlib
import secrets
from typing import Any

from simulator import tokens
from simulator.models import Account, SimServer

TOKEN_LIFETIME = 600.0
WEBSOCKET_PATH = "/api/servers/{uuid}/ws"


def websocket_url(host: str, server: SimServer) -> str:
    """Return the socket URL for a server; the simulator plays the node on its own port."""
    return f"ws://{host}{WEBSOCKET_PATH.format(uuid=server.uuid)}"


def mint_token(
    *,
    server: SimServer,
    account: Account,
    permissions: list[str],
    panel_url: str,
    node_url: str,
    now_unix: float,
    secret: str,
) -> str:
    """Return a websocket JWT with NodeJWTService's claims, valid for 10 minutes."""
    issued = int(now_unix)
    unique_id = secrets.token_hex(8)
    claims: dict[str, Any] = {
        "iss": panel_url,
        "aud": [node_url],
        "jti": hashlib.md5(
            f"{account.id}{server.uuid}".encode(), usedforsecurity=False
        ).hexdigest(),
        "iat": issued,
        "nbf": issued - 300,
        "exp": issued + int(TOKEN_LIFETIME),
        "server_uuid": server.uuid,
        "permissions": permissions,
        "user_uuid": account.uuid,
        "user_id": account.id,
        "unique_id": unique_id,
    }
    return tokens.encode(claims, secret)
