"""Client -> Wings: what the simulated Wings does with each inbound console-socket frame.

Sources: pterodactyl/wings router/websocket/websocket.go@v1.11.11 (HandleInbound, SendErrorJson)
and pelican-dev/wings router/websocket/websocket.go, limiter.go@HEAD (suspension check,
per-event limits). Token checks are in `wings_auth`.
"""

import asyncio
import json
import uuid

from simulator.models import (
    CONTAINER_UP,
    SIGNAL_PERMISSIONS,
    PowerSignal,
    PowerState,
    ServerStatus,
    SimServer,
)
from simulator.wings_auth import TokenRefusedError, has_permission, verify_token
from simulator.wings_connection import TokenBucket, WingsConnection
from simulator.wings_events import stats_json
from simulator.wings_node import WingsNode

# Handler.SendErrorJson's text for an error the token may not read (admin.websocket.errors).
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


def error_event(message: str) -> str:
    """Return Handler.GetErrorMessage's text: a fresh random error id, then the message."""
    return f"Error Event [{uuid.uuid4()}]: {message}"


class WingsProtocol:
    """HandleInbound for every socket of one simulated node."""

    def __init__(self, node: WingsNode) -> None:
        """Serve `node`'s sockets."""
        self.node = node

    def inbound(self, connection: WingsConnection, event: str, args: list[str]) -> None:
        """Handle one client event the way router/websocket HandleInbound does."""
        node = self.node
        if node.pelican:
            # pelican-dev/wings: any frame on a suspended server's socket ends it
            # (ErrSuspended -> cancel() -> Connection.Close(), no close frame).
            if connection.server.is_suspended:
                node.drop_connection(connection)
                return
            if self._throttled(connection, event):
                return
        if event != "auth":
            problem = node.token_problem(connection)
            if problem is not None:
                # Bare text: HandleInbound's own unsafeSendJson, not SendErrorJson.
                connection.send("jwt error", problem)
                return
        if event == "auth":
            if node.settings.answer_auth:
                self._authenticate(connection, "".join(args))
        elif event == "send stats":
            node.send_json(connection, "stats", stats_json(connection.server, pelican=node.pelican))
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

    # Events.

    def _authenticate(self, connection: WingsConnection, token: str) -> None:
        """Accept a token; the first accepted token also gets the status (and offline stats)."""
        node = self.node
        try:
            claims = verify_token(
                token,
                secret=node.settings.node_token or node.panel.node_token,
                now_unix=node.panel.unix_time(),
                booted_at=node.booted_at,
                pelican=node.pelican,
            )
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
            asyncio.get_running_loop().time() + node.settings.token_check_interval
        )
        state = server.power_state
        connection.last_state = state
        # The server uuid is not checked here: SendJson's TokenValid reports a mismatch.
        node.send_json(connection, "status", state.value)
        if (
            state is PowerState.OFFLINE
            and server.status is not ServerStatus.INSTALLING
            and not server.is_transferring
        ):
            node.send_json(connection, "stats", stats_json(server, pelican=node.pelican))

    def _send_logs(self, connection: WingsConnection) -> None:
        """Replay recent console lines; Wings does so only while the container runs."""
        server = connection.server
        if server.power_state not in CONTAINER_UP:
            return
        for line in list(self.node.log(server))[-self.node.settings.log_lines :]:
            self.node.send_json(connection, "console output", line)

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
        if error == ERR_SUSPENDED and self.node.pelican:
            # pelican-dev/wings router/router_server_ws.go: ErrSuspended -> cancel().
            self.node.drop_connection(connection)
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
                self.node.wake()
            return ERR_SUSPENDED
        server.apply_signal(PowerSignal(action))
        self.node.wake()
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
