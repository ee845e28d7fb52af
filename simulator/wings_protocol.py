"""Client -> Wings: what the simulated Wings does with each inbound console-socket frame.

Sources: pterodactyl/wings router/websocket/websocket.go@v1.11.11 (HandleInbound,
NewTokenPayload, SendErrorJson) and pelican-dev/wings router/websocket/websocket.go,
limiter.go@HEAD (suspension check, per-event limits, `scope` claim).
"""

import asyncio
import json
import math
from typing import TYPE_CHECKING, Any
import uuid

from simulator import tokens
from simulator.models import CONTAINER_UP, SIGNAL_PERMISSIONS, PowerSignal, PowerState, ServerStatus

if TYPE_CHECKING:
    from simulator.models import SimServer
    from simulator.wings import Wings, WingsConnection

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
GENERIC_DAEMON_ERROR = "an unexpected error was encountered while handling this request"
# server/errors.go and server/power.go HandlePowerAction.
ERR_IS_RUNNING = "server is running"
ERR_SUSPENDED = "server is currently in a suspended state"
ERR_INSTALLING = "server is currently installing"
ERR_TRANSFERRING = "server is currently being transferred"
ERR_RESTORING = "server is currently being restored"
ERR_UNKNOWN_ACTION = "attempting to handle unknown power action"

# pelican-dev/wings router/websocket/limiter.go limitValuesFor: (refill per second, burst).
_LIMITS: dict[str, tuple[float, int]] = {
    "auth": (1 / 5, 2),
    "send logs": (1 / 5, 2),
    "send command": (1.0, 10),
}
_DEFAULT_LIMIT = (1.0, 4)


def has_permission(permissions: list[str], permission: str) -> bool:
    """Return Wings' HasPermission: an exact match, or `*` for anything but admin permissions."""
    return any(
        granted == permission or (granted == "*" and not permission.startswith("admin"))
        for granted in permissions
    )


def error_event(message: str) -> str:
    """Return Handler.GetErrorMessage's text: a fresh random error id, then the message."""
    return f"Error Event [{uuid.uuid4()}]: {message}"


class TokenRefusedError(Exception):
    """A token NewTokenPayload refuses; `jwt` tells IsJwtError's answer."""

    def __init__(self, message: str, *, jwt: bool) -> None:
        """Keep the error text and its kind."""
        super().__init__(message)
        self.message = message
        self.jwt = jwt


class TokenBucket:
    """golang.org/x/time/rate.Limiter: `rate` tokens per second, `burst` at most, full at first."""

    def __init__(self, rate: float, burst: int) -> None:
        """Start full."""
        self.rate = rate
        self.burst = burst
        self.tokens = float(burst)
        self.last: float | None = None

    def allow(self, now: float) -> bool:
        """Take a token if one is there."""
        if self.last is not None:
            self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class WingsProtocol:
    """HandleInbound for every socket of one simulated node."""

    def __init__(self, wings: Wings) -> None:
        """Serve `wings`' sockets."""
        self.wings = wings

    def inbound(self, connection: WingsConnection, event: str, args: list[str]) -> None:
        """Handle one client event the way router/websocket HandleInbound does."""
        wings = self.wings
        if wings.pelican:
            # pelican-dev/wings: any frame on a suspended server's socket ends it
            # (ErrSuspended -> cancel() -> Connection.Close(), no close frame).
            if connection.server.is_suspended:
                wings.drop_connection(connection)
                return
            if self._throttled(connection, event):
                return
        if event != "auth":
            problem = self.token_problem(connection)
            if problem is not None:
                # Bare text: HandleInbound's own unsafeSendJson, not SendErrorJson.
                connection.send("jwt error", problem)
                return
        if event == "auth":
            if wings.settings.answer_auth:
                self._authenticate(connection, "".join(args))
        elif event == "send stats":
            wings.send_json(connection, "stats", wings.pump.stats_json(connection.server))
        elif event == "send logs":
            self._send_logs(connection)
        elif event == "send command":
            self._command(connection, args)
        elif event == "set state":
            self._set_state(connection, "".join(args))

    def send_error(self, connection: WingsConnection, message: str, *, jwt: bool) -> None:
        """Handler.SendErrorJson: `jwt error` or a generic `daemon error`, wrapped with an id."""
        if jwt:
            connection.send("jwt error", error_event(message))
            return
        permitted = has_permission(connection.permissions or [], "admin.websocket.errors")
        connection.send("daemon error", error_event(message if permitted else GENERIC_DAEMON_ERROR))

    def token_problem(self, connection: WingsConnection) -> str | None:
        """Return why the socket's token is not valid now (Handler.TokenValid), or None."""
        if connection.permissions is None:
            return JWT_MISSING
        # gbrlsnchs/jwt v3 ExpirationTimeValidator: NumericDate(now) (whole seconds) after exp.
        if math.floor(self.wings.sim.unix_time()) > connection.expires_at:
            return JWT_EXPIRED
        if self.denylisted(connection.issued_at):
            return JWT_DENYLISTED
        if not has_permission(connection.permissions, "websocket.connect") or (
            self.wings.pelican and "websocket" not in connection.scopes
        ):
            return JWT_NO_CONNECT
        if connection.token_server != connection.server.uuid:
            return JWT_UUID_MISMATCH
        return None

    def denylisted(self, issued_at: int | None) -> bool:
        """Return WebsocketPayload.Denylisted(): no `iat`, or issued before Wings booted."""
        return issued_at is None or issued_at < self.wings.booted_at

    # Events.

    def _authenticate(self, connection: WingsConnection, token: str) -> None:
        """Accept a token; the first accepted token also gets the status (and offline stats)."""
        wings = self.wings
        try:
            claims = self._verify(token)
        except TokenRefusedError as err:
            # The previous token (if any) stays in force.
            self.send_error(connection, err.message, jwt=err.jwt)
            return
        first = not connection.authenticated
        connection.accept(claims)
        connection.send("auth success")
        if not first:
            # panel issue #2077: a renewed token gets nothing more.
            return
        server = connection.server
        connection.next_token_check = (
            asyncio.get_running_loop().time() + wings.settings.token_check_interval
        )
        state = server.power_state
        connection.last_state = state
        # The server uuid is not checked here: SendJson's TokenValid reports a mismatch.
        wings.send_json(connection, "status", state.value)
        if (
            state is PowerState.OFFLINE
            and server.status is not ServerStatus.INSTALLING
            and not server.is_transferring
        ):
            wings.send_json(connection, "stats", wings.pump.stats_json(server))

    def _verify(self, token: str) -> dict[str, Any]:
        """Return a token's claims (NewTokenPayload) or raise TokenRefusedError (Wings' text)."""
        try:
            claims = tokens.decode(
                token, self.wings.settings.node_token or self.wings.sim.node_token
            )
        except TypeError, ValueError:
            message = JWT_MALFORMED if token.count(".") != 2 else JWT_BAD_SIGNATURE
            raise TokenRefusedError(message, jwt=False) from None
        exp = claims.get("exp")
        if not isinstance(exp, int | float) or math.floor(self.wings.sim.unix_time()) > exp:
            raise TokenRefusedError(JWT_EXPIRED, jwt=True)
        iat = claims.get("iat")
        if self.denylisted(int(iat) if isinstance(iat, int | float) else None):
            raise TokenRefusedError(JWT_DENYLISTED, jwt=True)
        permissions = claims.get("permissions")
        scopes = str(claims.get("scope", "")).split(" ")
        if (
            not isinstance(permissions, list)
            or not has_permission([str(p) for p in permissions], "websocket.connect")
            or (self.wings.pelican and "websocket" not in scopes)
        ):
            raise TokenRefusedError(JWT_NO_CONNECT, jwt=True)
        return claims

    def _send_logs(self, connection: WingsConnection) -> None:
        """Replay recent console lines; Wings does so only while the container runs."""
        server = connection.server
        if server.power_state not in CONTAINER_UP:
            return
        for line in list(self.wings.log(server))[-self.wings.settings.log_lines :]:
            self.wings.send_json(connection, "console output", line)

    def _command(self, connection: WingsConnection, args: list[str]) -> None:
        """Run a console command: needs control.console, ignored while offline."""
        if not has_permission(connection.permissions or [], "control.console"):
            return
        if connection.server.power_state not in CONTAINER_UP:
            return
        connection.server.commands.append("".join(args))

    def _set_state(self, connection: WingsConnection, action: str) -> None:
        """Apply a power action: ignored without its permission, refusals as `daemon error`."""
        permission = SIGNAL_PERMISSIONS.get(action)
        if permission is not None and not has_permission(connection.permissions or [], permission):
            return
        error = self._power(connection.server, action)
        if error is None:
            return
        if error == ERR_SUSPENDED and self.wings.pelican:
            # pelican-dev/wings router/router_server_ws.go: ErrSuspended -> cancel().
            self.wings.drop_connection(connection)
            return
        self.send_error(connection, error, jwt=False)

    def _power(self, server: SimServer, action: str) -> str | None:
        """Run server/power.go HandlePowerAction; return its error text, if any."""
        if server.status is ServerStatus.RESTORING_BACKUP:
            return ERR_RESTORING
        if server.is_transferring:
            return ERR_TRANSFERRING
        if server.status is ServerStatus.INSTALLING:
            return ERR_INSTALLING
        if action not in SIGNAL_PERMISSIONS:
            return ERR_UNKNOWN_ACTION
        state = server.power_state
        if action == "start" and state is not PowerState.OFFLINE:
            return ERR_IS_RUNNING
        if action in ("start", "restart") and server.is_suspended:
            # onBeforeStart refuses after Sync(); a restart has already stopped the process.
            if action == "restart":
                server.apply_signal(PowerSignal.STOP)
                self.wings.wake()
            return ERR_SUSPENDED
        server.apply_signal(PowerSignal(action))
        self.wings.wake()
        return None

    def _throttled(self, connection: WingsConnection, event: str) -> bool:
        """pelican-dev/wings Handler.IsThrottled: per-event buckets, one `throttled` per spell."""
        name = event if event in _LIMITS else "_default"
        bucket = connection.buckets.get(name)
        if bucket is None:
            bucket = connection.buckets[name] = TokenBucket(*_LIMITS.get(name, _DEFAULT_LIMIT))
        if bucket.allow(asyncio.get_running_loop().time()):
            connection.throttles[event] = False
            return False
        if not connection.throttles.get(event, False):
            connection.throttles[event] = True
            connection.send("throttled", event)
        return True


def parse_frame(data: str | bytes) -> tuple[str | None, list[str]]:
    """Return a frame's event and args as json.Unmarshal into Message; (None, []) if dropped."""
    try:
        frame = json.loads(data)
    except ValueError:
        return None, []
    if frame is None:
        return "", []
    if not isinstance(frame, dict):
        return None, []
    event = frame.get("event")
    args = frame.get("args")
    # `Event string`, `Args []string`: any other JSON type fails the whole frame.
    if event is not None and not isinstance(event, str):
        return None, []
    if args is not None and (
        not isinstance(args, list) or not all(isinstance(a, str | None) for a in args)
    ):
        return None, []
    return event or "", [a or "" for a in args or []]
