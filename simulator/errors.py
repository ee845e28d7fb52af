"""Panel error bodies: `{"errors":[{code, status, detail, meta?}]}` (doc section 8)."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from simulator.flavors import Flavor, FlavorSpec
from simulator.models import ServerStatus, SimServer

GENERIC_500 = "An unexpected error was encountered while processing this request, please try again."
UNAUTHENTICATED = "Unauthenticated."
UNAUTHORIZED = "This action is unauthorized."
APPLICATION_KEY = (
    "You are attempting to use an application API key on an endpoint that requires a client "
    "API key."
)
LEGACY_NO_BEARER = (
    "A bearer token or valid user session cookie must be provided to access this endpoint."
)
TWO_FACTOR = (
    "Two-factor authentication is required on your account in order to access this endpoint."
)
NOT_FOUND = "The requested resource could not be found on the server."
NO_ACCESS = "The requested resource does not exist on this server."
TOO_MANY = "Too Many Attempts."
COMMAND_OFFLINE = "Server must be online in order to send commands."
LEGACY_COMMAND_OFFLINE = "Server is not online."
WEBSOCKET_FORBIDDEN = "You do not have permission to connect to this server's websocket."
DAEMON_NO_RESPONSE = (
    "Could not establish a connection to the machine running this server. Please try again."
)
LEGACY_DAEMON_NO_RESPONSE = (
    "There was an error while attempting to communicate with the daemon resulting in a "
    "HTTP/E_CONN_REFUSED response code. This exception has been logged."
)
MALFORMED_JSON = "The JSON data passed in the request appears to be malformed: Syntax error"


def daemon_error_detail(code: int, request_id: str) -> str:
    """Return the detail of a DaemonConnectionException for a wings error response."""
    return (
        "There was an error while communicating with the machine running this server. This "
        f"error has been logged, please try again. (code: {code}) (request_id: {request_id})"
    )


# The exception class the panel would raise for a status, used by injected faults.
DEFAULT_CODES: dict[int, str] = {
    400: "BadRequestHttpException",
    401: "AuthenticationException",
    403: "AccessDeniedHttpException",
    404: "NotFoundHttpException",
    405: "MethodNotAllowedHttpException",
    409: "ServerStateConflictException",
    412: "PreconditionFailedHttpException",
    422: "ValidationException",
    429: "ThrottleRequestsException",
    500: "ErrorException",
    502: "DaemonConnectionException",
    503: "DaemonConnectionException",
    504: "DaemonConnectionException",
}

DEFAULT_DETAILS: dict[int, str] = {
    400: "",
    401: UNAUTHENTICATED,
    403: UNAUTHORIZED,
    404: NOT_FOUND,
    409: "This server is currently in an unsupported state, please try again later.",
    412: LEGACY_COMMAND_OFFLINE,
    422: "The given data was invalid.",
    429: TOO_MANY,
    500: GENERIC_500,
    504: DAEMON_NO_RESPONSE,
}


@dataclass(slots=True)
class PanelError(Exception):
    """An error the panel answers with a JSON error body."""

    status: int
    code: str
    detail: str
    meta: dict[str, Any] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    # Several entries, as a ValidationException has one per failed rule.
    extra: list[dict[str, Any]] = field(default_factory=list)

    def body(self) -> dict[str, Any]:
        """Return the JSON body."""
        entry: dict[str, Any] = {
            "code": self.code,
            "status": str(self.status),
            "detail": self.detail,
        }
        if self.meta is not None:
            entry["meta"] = self.meta
        return {"errors": [entry, *self.extra]}


def for_status(
    status: int, *, code: str | None = None, detail: str | None = None, request_id: str = "0"
) -> PanelError:
    """Return the error the panel would give for a bare status code."""
    resolved_code = code or DEFAULT_CODES.get(status, "HttpException")
    if detail is None:
        detail = DEFAULT_DETAILS.get(status)
        if detail is None:
            detail = daemon_error_detail(status, request_id) if status >= 500 else ""
    return PanelError(status, resolved_code, detail)


def route_not_found(spec: FlavorSpec, path: str) -> PanelError:
    """Return the 404 for an unknown route (Laravel 10+ names the route, 5.x says nothing)."""
    if spec.old_laravel:
        return PanelError(404, "NotFoundHttpException", "")
    return PanelError(
        404, "NotFoundHttpException", f"The route {path.lstrip('/')} could not be found."
    )


def method_not_allowed(spec: FlavorSpec, method: str, path: str, allowed: set[str]) -> PanelError:
    """Return the 405 for a known route called with the wrong method."""
    methods = sorted(allowed)
    if "GET" in methods and "HEAD" not in methods:
        methods.append("HEAD")
    listed = ", ".join(methods)
    if spec.old_laravel:
        detail = (
            f"The {method} method is not supported for this route. Supported methods: {listed}."
        )
    else:
        detail = (
            f"The {method} method is not supported for route {path.lstrip('/')}. "
            f"Supported methods: {listed}."
        )
    return PanelError(405, "MethodNotAllowedHttpException", detail)


def daemon_unreachable(spec: FlavorSpec) -> PanelError:
    """Return the error for a wings daemon that does not answer."""
    if spec.flavor is Flavor.LEGACY:
        return PanelError(504, "DaemonConnectionException", LEGACY_DAEMON_NO_RESPONSE)
    return PanelError(504, "DaemonConnectionException", DAEMON_NO_RESPONSE)


def conflict_detail(server: SimServer) -> str | None:
    """Return the ServerStateConflictException detail, in the panel's order of checks."""
    if server.is_suspended:
        return "This server is currently suspended and the functionality requested is unavailable."
    if server.node_maintenance:
        return (
            "The node of this server is currently under maintenance and the functionality "
            "requested is unavailable."
        )
    if server.is_installing:
        return "This server has not yet completed its installation process, please try again later."
    if server.status is ServerStatus.RESTORING_BACKUP:
        return "This server is currently restoring from a backup, please try again later."
    if server.is_transferring:
        return (
            "This server is currently being transferred to a new machine, please try again later."
        )
    return None
