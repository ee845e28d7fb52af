"""HS256 JWTs like the panel's NodeJWTService mints for the wings websocket."""

import base64
import hashlib
import hmac
import json
from typing import Any


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
