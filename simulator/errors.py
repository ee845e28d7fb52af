"""Panel error bodies: `{"errors":[{code, status, detail, meta?}]}` (app/Exceptions/Handler.php)."""

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
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
# Pterodactyl 0.7's Handler::convertToArray writes this detail for every error that is not a
# DisplayException (app/Exceptions/Handler.php at v0.7.19, without APP_DEBUG).
LEGACY_GENERIC = "An error was encountered while processing this request."
# app/Exceptions/Http/TwoFactorAuthRequiredException.php at v1.11.8.
TWO_FACTOR = (
    "Two-factor authentication is required on this account in order to access this endpoint."
)
NOT_FOUND = "The requested resource could not be found on the server."
NO_ACCESS = "The requested resource does not exist on this server."
TOO_MANY = "Too Many Attempts."
COMMAND_OFFLINE = "Server must be online in order to send commands."
WEBSOCKET_FORBIDDEN = "You do not have permission to connect to this server's websocket."
DAEMON_NO_RESPONSE = (
    "Could not establish a connection to the machine running this server. Please try again."
)
MALFORMED_JSON = "The JSON data passed in the request appears to be malformed: Syntax error"


def legacy_daemon_detail(code: int | None) -> str:
    """Return 0.7's DaemonConnectionException detail (resources/lang/en/admin/server.php)."""
    shown = "E_CONN_REFUSED" if code is None else str(code)
    return (
        "There was an exception while attempting to communicate with the daemon resulting in a "
        f"HTTP/{shown} response code. This exception has been logged."
    )


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
    412: "Server is not online.",
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
    # A body rendered outside the generic error format (0.7's validation errors).
    raw: dict[str, Any] | None = None

    def body(self) -> dict[str, Any]:
        """Return the JSON body."""
        if self.raw is not None:
            return self.raw
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


def as_legacy(error: PanelError) -> PanelError:
    """Return the error as 0.7 renders it: every detail generic but a DisplayException's."""
    if error.raw is not None or error.code == "DaemonConnectionException":
        return error
    return replace(error, detail=LEGACY_GENERIC, extra=[])


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
    """Return the DaemonConnectionException for a wings daemon that does not answer."""
    if spec.flavor is Flavor.LEGACY:
        return PanelError(504, "DaemonConnectionException", legacy_daemon_detail(None))
    return PanelError(504, "DaemonConnectionException", DAEMON_NO_RESPONSE)


# ServerStateConflictException's details by cause. Pterodactyl writes them in English; Pelican
# translates them into the panel's locale (`trans('exceptions.server.*')`, pelican-dev/panel
# lang/{en,de}/exceptions.php): a client cannot read the cause from the words.
CONFLICT_DETAILS: dict[str, dict[str, str]] = {
    "en": {
        "suspended": (
            "This server is currently suspended and the functionality requested is unavailable."
        ),
        "maintenance": (
            "The node of this server is currently under maintenance and the functionality "
            "requested is unavailable."
        ),
        "installing": (
            "This server has not yet completed its installation process, please try again later."
        ),
        "restoring_backup": (
            "This server is currently restoring from a backup, please try again later."
        ),
        "transferring": (
            "This server is currently being transferred to a new machine, please try again later."
        ),
    },
    "de": {
        "suspended": (
            "Dieser Server ist im Moment suspendiert und die erwünschte Funktionalität ist nicht "
            "verfügbar."
        ),
        "maintenance": (
            "Der Node dieses Servers ist im Moment in Wartung und die erwünschte Funktionalität "
            "ist nicht verfügbar."
        ),
        "installing": (
            "Dieser Server hat seinen Installationsprozess noch nicht abgeschlossen, bitte "
            "versuche es später erneut."
        ),
        "restoring_backup": (
            "Dieser Server ist im Moment am Wiederherstellen von einem Backup, bitte versuchen "
            "Sie es später erneut."
        ),
        "transferring": (
            "Dieser Server wird im Moment zu einer neuen Maschine bewegt, bitte versuchen Sie es "
            "später erneut."
        ),
    },
}


def conflict_detail(server: SimServer, locale: str = "en", *, pelican: bool = False) -> str | None:
    """Return the ServerStateConflictException detail, in the panel's order of checks."""
    if server.is_suspended:
        cause = "suspended"
    elif server.node_maintenance:
        cause = "maintenance"
    elif server.not_installed(pelican=pelican):
        cause = "installing"
    elif server.status is ServerStatus.RESTORING_BACKUP:
        cause = "restoring_backup"
    elif server.is_transferring:
        cause = "transferring"
    else:
        return None
    return CONFLICT_DETAILS[locale][cause]
