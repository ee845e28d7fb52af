"""Wings' websocket token rules: NewTokenPayload, TokenValid, HasPermission and SendJson's filter.

Sources: pterodactyl/wings router/websocket/websocket.go@v1.11.11, router/tokens/websocket.go;
pelican-dev/wings router/websocket/websocket.go@HEAD (`scope` claim); gbrlsnchs/jwt v3.
"""

import math
from typing import Any

from simulator import tokens
from simulator.wings_connection import WingsConnection

# Wings' error texts: router/websocket/websocket.go (Err*) and gbrlsnchs/jwt v3 validators.go.
JWT_EXPIRED = "jwt: exp claim is invalid"
JWT_MISSING = "jwt: no jwt present"
JWT_UUID_MISMATCH = "jwt: server uuid mismatch"
JWT_NO_CONNECT = "jwt: missing connect permission"
JWT_DENYLISTED = "jwt: created too far in past (denylist)"
# gbrlsnchs/jwt v3 (raw_token.go, hmac_sha.go): not JWT errors for IsJwtError, so the client
# only ever sees GENERIC_DAEMON_ERROR for them (unless its token has admin.websocket.errors).
JWT_BAD_SIGNATURE = "jwt: HMAC verification failed"
JWT_MALFORMED = "jwt: malformed token"
# Handler.SendJson's filters: events only a token with these permissions receives.
_EVENT_PERMISSIONS = {
    "install output": "admin.websocket.install",
    "transfer logs": "admin.websocket.transfer",
}


class TokenRefusedError(Exception):
    """A token NewTokenPayload refuses; `jwt` tells IsJwtError's answer."""

    def __init__(self, message: str, *, jwt: bool) -> None:
        """Keep the error text and its kind."""
        super().__init__(message)
        self.message = message
        self.jwt = jwt


def has_permission(permissions: list[str], permission: str) -> bool:
    """Return Wings' HasPermission: an exact match, or `*` for anything but admin permissions."""
    return any(
        granted == permission or (granted == "*" and not permission.startswith("admin"))
        for granted in permissions
    )


def may_receive(permissions: list[str], event: str) -> bool:
    """Return whether SendJson passes an event to a token with these permissions."""
    if event.startswith("backup completed"):
        return has_permission(permissions, "backup.read")
    needed = _EVENT_PERMISSIONS.get(event)
    return needed is None or has_permission(permissions, needed)


def denylisted(issued_at: int | None, booted_at: int) -> bool:
    """Return WebsocketPayload.Denylisted(): no `iat`, or issued before Wings booted."""
    return issued_at is None or issued_at < booted_at


def verify_token(
    token: str, *, secret: str, now_unix: float, booted_at: int, pelican: bool
) -> dict[str, Any]:
    """Return a token's claims (NewTokenPayload) or raise TokenRefusedError (Wings' text)."""
    try:
        claims = tokens.decode(token, secret)
    except TypeError, ValueError:
        message = JWT_MALFORMED if token.count(".") != 2 else JWT_BAD_SIGNATURE
        raise TokenRefusedError(message, jwt=False) from None
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or math.floor(now_unix) > exp:
        raise TokenRefusedError(JWT_EXPIRED, jwt=True)
    iat = claims.get("iat")
    if denylisted(int(iat) if isinstance(iat, int | float) else None, booted_at):
        raise TokenRefusedError(JWT_DENYLISTED, jwt=True)
    permissions = claims.get("permissions")
    scopes = str(claims.get("scope", "")).split(" ")
    if (
        not isinstance(permissions, list)
        or not has_permission([str(p) for p in permissions], "websocket.connect")
        or (pelican and "websocket" not in scopes)
    ):
        raise TokenRefusedError(JWT_NO_CONNECT, jwt=True)
    return claims


def token_problem(
    connection: WingsConnection, *, now_unix: float, booted_at: int, pelican: bool
) -> str | None:
    """Return why the socket's token is not valid now (Handler.TokenValid), or None."""
    if connection.permissions is None:
        return JWT_MISSING
    # gbrlsnchs/jwt v3 ExpirationTimeValidator: NumericDate(now) (whole seconds) after exp.
    if math.floor(now_unix) > connection.expires_at:
        return JWT_EXPIRED
    if denylisted(connection.issued_at, booted_at):
        return JWT_DENYLISTED
    if not has_permission(connection.permissions, "websocket.connect") or (
        pelican and "websocket" not in connection.scopes
    ):
        return JWT_NO_CONNECT
    if connection.token_server != connection.server.uuid:
        return JWT_UUID_MISMATCH
    return None
