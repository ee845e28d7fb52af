"""What each panel answers when the server's node (Wings, or 0.7's daemon) fails a request.

A node fails by not answering (`SimServer.node_down`) or by answering with an error status
(`SimServer.wings_error`; 0.7's daemon also refuses a suspended server with 403).
"""

import uuid

from simulator import errors
from simulator.errors import PanelError
from simulator.flavors import FlavorSpec
from simulator.models import CONTAINER_UP, SimServer

# Wings' error bodies (pterodactyl/wings router/middleware): a server the node does not know,
# and the text of any other failure.
WINGS_ERROR_TEXT = {404: "The requested resource does not exist on this instance."}
WINGS_GENERIC = "An unexpected error was encountered while processing this request"


def refusal(spec: FlavorSpec, server: SimServer) -> int | None:
    """Return the status the node refuses the panel's requests with, None when it serves."""
    if spec.is_legacy and server.is_suspended:
        # pterodactyl/daemon src/middleware/authorizable.js: every `s:` permission of a
        # suspended server gets 403 "This server is suspended and cannot be accessed with this
        # token.", the panel's 0.7 client API having no suspension check of its own.
        return 403
    return server.wings_error


def fails(spec: FlavorSpec, server: SimServer) -> bool:
    """Return whether the node fails the panel's request, either way."""
    return server.node_down or refusal(spec, server) is not None


def request_id(seed: int) -> str:
    """Return a Wings X-Request-Id."""
    return str(uuid.UUID(int=seed, version=4))


def stats_failure(spec: FlavorSpec, server: SimServer, rid: str) -> PanelError | None:
    """Return the error of a stats read (1.x and 0.7; Pelican answers `missing` instead)."""
    code = refusal(spec, server)
    if not server.node_down and code is None:
        return None
    if spec.is_legacy:
        # 0.7 StatsTransformer wraps any Guzzle RequestException: DaemonConnectionException
        # without the daemon's status code, so 504 (app/Transformers/Api/Client/StatsTransformer).
        return PanelError(504, "DaemonConnectionException", errors.legacy_daemon_detail(code))
    if code is None:
        return errors.daemon_unreachable(spec)
    # 1.x DaemonServerRepository::getDetails: `new DaemonConnectionException($e, false)`: 504.
    return PanelError(504, "DaemonConnectionException", errors.daemon_error_detail(code, rid))


def call_failure(spec: FlavorSpec, server: SimServer, rid: str) -> PanelError | None:
    """Return the error of a call the node fails: a power signal, a backup or its deletion.

    1.x's DaemonPowerRepository and DaemonBackupRepository both wrap Guzzle's error in a
    DaemonConnectionException that keeps Wings' status; Pelican's DaemonRepository lets
    Laravel's HTTP client exceptions through.
    """
    code = refusal(spec, server)
    if not server.node_down and code is None:
        return None
    if spec.is_pelican:
        # DaemonRepository: a connect failure is Laravel's ConnectionException, an error status
        # a RequestException (throwIf); neither is caught, so the Handler's generic 500.
        name = "ConnectionException" if server.node_down else "RequestException"
        return PanelError(500, name, errors.GENERIC_500)
    if spec.is_legacy:
        # 0.7 PowerController does not catch Guzzle's exceptions: a 500 named after them.
        if server.node_down:
            name = "ConnectException"
        else:
            name = "ClientException" if code is not None and code < 500 else "ServerException"
        return PanelError(500, name, errors.LEGACY_GENERIC)
    return wings_error(spec, code, rid)


def command_failure(spec: FlavorSpec, server: SimServer, rid: str) -> PanelError | None:
    """Return the error of a console command the node fails or refuses (offline server)."""
    code = refusal(spec, server)
    if code is None and not server.node_down and server.power_state not in CONTAINER_UP:
        # Wings answers 502 for a server that is not running; 0.7's daemon 412 when it is off.
        code = 412 if spec.is_legacy else 502
    if not server.node_down and code is None:
        return None
    if spec.is_pelican:
        if server.node_down:
            # CommandController rethrows a ConnectionException whose previous is no
            # BadResponseException: the generic 500.
            return PanelError(500, "ConnectionException", errors.GENERIC_500)
        # Server::send() never throws on a status (Http::daemon has no throw()): Pelican answers
        # 204 and the command is lost. The caller must not deliver it.
        return None
    if spec.is_legacy:
        if code == 412:
            # CommandController: PreconditionFailedHttpException('Server is not online.'),
            # rendered with the generic detail.
            return PanelError(412, "PreconditionFailedHttpException", errors.LEGACY_GENERIC)
        return PanelError(504, "DaemonConnectionException", errors.legacy_daemon_detail(code))
    if code == 502:
        # 1.x CommandController: a 502 from Wings means the server is not running.
        return PanelError(502, "HttpException", errors.COMMAND_OFFLINE)
    return wings_error(spec, code, rid)


def wings_error(spec: FlavorSpec, code: int | None, rid: str) -> PanelError:
    """Return 1.x's DaemonConnectionException with Wings' status (useStatusCode = true)."""
    if code is None:
        return errors.daemon_unreachable(spec)
    # app/Exceptions/Http/Connection/DaemonConnectionException.php at v1.11.8.
    status = 502 if code < 400 else code
    if status < 500:
        text = WINGS_ERROR_TEXT.get(code, WINGS_GENERIC)
        detail = f"An error occurred on the remote host: {text}. (request id: {rid})"
    else:
        detail = errors.daemon_error_detail(code, rid)
    return PanelError(status, "DaemonConnectionException", detail)


def delivers_command(spec: FlavorSpec, server: SimServer) -> bool:
    """Return whether a command the panel accepted reaches the server's console."""
    return not fails(spec, server) and server.power_state in CONTAINER_UP
