"""HS256 JWTs like the panel's NodeJWTService mints for the wings websocket."""

import base64
import hashlib
import hmac
import json
import secrets
import string
from typing import Any

from simulator.models import Account, SimServer

# Seconds a websocket token minted by GET /websocket stays valid (the panel: 10 minutes).
TOKEN_LIFETIME = 600.0
_RANDOM_ALPHABET = string.ascii_letters + string.digits


def _b64(data: bytes) -> str:
    """Return unpadded base64url."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    """Decode unpadded base64url."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode(claims: dict[str, Any], secret: str, *, jti: str | None = None) -> str:
    """Return a signed HS256 JWT; `jti` is also put in the header (NodeJWTService withHeader)."""
    fields: dict[str, str] = {"typ": "JWT", "alg": "HS256"}
    if jti is not None:
        fields["jti"] = jti
    header = _b64(json.dumps(fields, separators=(",", ":")).encode())
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    signature = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(signature)}"


def decode(token: str, secret: str) -> dict[str, Any]:
    """Return the claims of a token signed with `secret`; raise ValueError otherwise."""
    try:
        header, payload, signature = token.split(".")
    except ValueError as err:
        raise ValueError("malformed token") from err
    expected = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(expected, _unb64(signature)):
        raise ValueError("bad signature")
    claims = json.loads(_unb64(payload))
    if not isinstance(claims, dict):
        raise TypeError("claims are not an object")
    return claims


def mint_token(
    *,
    server: SimServer,
    account: Account,
    permissions: list[str],
    panel_url: str,
    node_url: str,
    now_unix: float,
    secret: str,
    lifetime: float = TOKEN_LIFETIME,
    pelican: bool = False,
) -> str:
    """Return a websocket JWT with NodeJWTService's claims, valid for `lifetime` (10 minutes).

    pterodactyl/panel app/Services/Nodes/NodeJWTService.php@v1.11.8: jti = md5(user.id . uuid),
    `user_id` (deprecated) claim. pelican-dev/panel NodeJWTService.php@HEAD: jti = sha256(…),
    no `user_id`, `scope` "websocket" (NodeJwtScope::Websocket). Both put `jti` in the header
    too and a 16-character `unique_id` (Str::random()).
    """
    issued = int(now_unix)
    identified_by = f"{account.id}{server.uuid}".encode()
    if pelican:
        jti = hashlib.sha256(identified_by).hexdigest()
    else:
        jti = hashlib.md5(identified_by, usedforsecurity=False).hexdigest()
    claims: dict[str, Any] = {
        "iss": panel_url,
        "aud": [node_url],
        "jti": jti,
        "iat": issued,
        "nbf": issued - 300,
        "exp": issued + int(lifetime),
        "server_uuid": server.uuid,
        "permissions": permissions,
        "user_uuid": account.uuid,
    }
    if pelican:
        claims["scope"] = "websocket"
    else:
        claims["user_id"] = account.id
    claims["unique_id"] = "".join(secrets.choice(_RANDOM_ALPHABET) for _ in range(16))
    return encode(claims, secret, jti=jti)
