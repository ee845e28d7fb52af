"""Tests of how panel errors, transport failures and unusable answers become exceptions."""

import json
import ssl
from typing import Any
from unittest.mock import Mock

import aiohttp
from aioresponses import aioresponses
import pytest

from custom_components.pterodactyl.api import (
    ConflictReason,
    PowerSignal,
    PterodactylApiError,
    PterodactylApplicationKeyError,
    PterodactylAuthenticationError,
    PterodactylClient,
    PterodactylConflictError,
    PterodactylConnectionError,
    PterodactylError,
    PterodactylForbiddenError,
    PterodactylInvalidResponseError,
    PterodactylNodeUnavailableError,
    PterodactylNotFoundError,
    PterodactylRateLimitError,
    PterodactylServerOfflineError,
    PterodactylSSLError,
    PterodactylTimeoutError,
    PterodactylTwoFactorRequiredError,
    responses as responses_module,
)

from .common import SERVER_ID, api_url, error_body, load_json, load_text, only_call

POWER_URL = api_url(f"servers/{SERVER_ID}/power")
APPLICATION_KEY_DETAIL = (
    "You are attempting to use an application API key on an endpoint that requires a client "
    "API key."
)
DAEMON_DOWN = (
    "Could not establish a connection to the machine running this server. Please try again."
)


def _connection_key() -> Mock:
    """Stand in for aiohttp's ConnectionKey; its exceptions only read host, port and ssl."""
    return Mock(host="panel.example.com", port=443, ssl=True)


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        pytest.param(
            401,
            error_body("AuthenticationException", 401, "Unauthenticated."),
            PterodactylAuthenticationError,
            id="401-v1.8",
        ),
        pytest.param(
            401,
            error_body(
                "HttpException",
                401,
                "A bearer token or valid user session cookie must be provided to access this "
                "endpoint.",
            ),
            PterodactylAuthenticationError,
            id="401-no-bearer-v1.0",
        ),
        pytest.param(
            403,
            error_body("AccessDeniedHttpException", 403, ""),
            PterodactylAuthenticationError,
            id="403-empty-detail-bad-key",
        ),
        pytest.param(
            403,
            {"errors": [{"code": "AccessDeniedHttpException", "status": "403"}]},
            PterodactylAuthenticationError,
            id="403-no-detail-0.7",
        ),
        pytest.param(
            403,
            error_body("AccessDeniedHttpException", 403, APPLICATION_KEY_DETAIL),
            PterodactylApplicationKeyError,
            id="403-application-key",
        ),
        pytest.param(
            403,
            error_body("AccessDeniedHttpException", 403, "This action is unauthorized."),
            PterodactylForbiddenError,
            id="403-unauthorized-action",
        ),
        pytest.param(
            403,
            error_body(
                "HttpForbiddenException",
                403,
                "You do not have permission to connect to this server's websocket.",
            ),
            PterodactylForbiddenError,
            id="403-websocket-permission",
        ),
        pytest.param(
            400,
            error_body(
                "TwoFactorAuthRequiredException",
                400,
                "Two-factor authentication is required on this account in order to access "
                "this endpoint.",
            ),
            PterodactylTwoFactorRequiredError,
            id="400-two-factor",
        ),
        pytest.param(
            400,
            error_body(
                "BadRequestHttpException",
                400,
                "The JSON data passed in the request appears to be malformed.",
            ),
            PterodactylApiError,
            id="400-other",
        ),
        pytest.param(
            404,
            error_body(
                "NotFoundHttpException",
                404,
                "The requested resource does not exist on this server.",
            ),
            PterodactylNotFoundError,
            id="404",
        ),
        pytest.param(
            412,
            error_body("PreconditionFailedHttpException", 412, "Server is not online."),
            PterodactylServerOfflineError,
            id="412-legacy-offline",
        ),
        pytest.param(
            502,
            error_body("HttpException", 502, "Server must be online in order to send commands."),
            PterodactylServerOfflineError,
            id="502-offline",
        ),
        pytest.param(
            502,
            error_body("HttpException", 502, "Bad Gateway"),
            PterodactylApiError,
            id="502-other",
        ),
        pytest.param(
            422,
            {
                "errors": [
                    {
                        "code": "ValidationException",
                        "status": "422",
                        "detail": "The selected signal is invalid.",
                        "meta": {"source_field": "signal", "rule": "in"},
                    }
                ]
            },
            PterodactylApiError,
            id="422",
        ),
        pytest.param(
            504,
            error_body("DaemonConnectionException", 504, DAEMON_DOWN),
            PterodactylNodeUnavailableError,
            id="504",
        ),
        pytest.param(
            500,
            error_body(
                "DaemonConnectionException",
                500,
                "There was an error while communicating with the machine running this server. "
                "This error has been logged, please try again. (code: 500) (request_id: 8f2c)",
            ),
            PterodactylNodeUnavailableError,
            id="wings-status-daemon-exception",
        ),
        pytest.param(
            500,
            error_body(
                "HttpException",
                500,
                "An unexpected error was encountered while processing this request, please try "
                "again.",
            ),
            PterodactylApiError,
            id="500",
        ),
    ],
)
async def test_panel_error_mapping(
    client: PterodactylClient,
    mock_panel: aioresponses,
    status: int,
    body: dict[str, Any],
    expected: type[PterodactylApiError | PterodactylServerOfflineError],
) -> None:
    """Map each documented status and detail to its exception, keeping status and detail."""
    mock_panel.post(POWER_URL, status=status, payload=body)
    with pytest.raises(PterodactylError) as excinfo:
        await client.send_power_signal(SERVER_ID, PowerSignal.START)
    err = excinfo.value
    assert type(err) is expected
    assert isinstance(err, PterodactylApiError | PterodactylServerOfflineError)
    assert err.status == status
    if isinstance(err, PterodactylApiError):
        assert err.code == body["errors"][0]["code"]
    assert err.detail == body["errors"][0].get("detail")
    if err.detail:
        assert err.detail in str(err)


@pytest.mark.parametrize(
    ("detail", "reason"),
    [
        (
            "This server is currently suspended and the functionality requested is unavailable.",
            ConflictReason.SUSPENDED,
        ),
        (
            (
                "The node of this server is currently under maintenance and the functionality "
                "requested is unavailable."
            ),
            ConflictReason.NODE_MAINTENANCE,
        ),
        (
            "This server has not yet completed its installation process, please try again later.",
            ConflictReason.INSTALLING,
        ),
        (
            "This server is currently restoring from a backup, please try again later.",
            ConflictReason.RESTORING,
        ),
        (
            "This server is currently being transferred to a new machine, please try again later.",
            ConflictReason.TRANSFERRING,
        ),
        ("Something new the panel grew.", ConflictReason.UNKNOWN),
    ],
)
async def test_conflict_reasons(
    client: PterodactylClient, mock_panel: aioresponses, detail: str, reason: ConflictReason
) -> None:
    """Read why the server's state refused the request from the 409's exact detail."""
    mock_panel.post(
        POWER_URL, status=409, payload=error_body("ServerStateConflictException", 409, detail)
    )
    with pytest.raises(PterodactylConflictError) as excinfo:
        await client.send_power_signal(SERVER_ID, PowerSignal.STOP)
    assert (excinfo.value.reason, excinfo.value.detail, excinfo.value.status) == (
        reason,
        detail,
        409,
    )


@pytest.mark.parametrize(
    ("headers", "retry_after"),
    [
        ({"Retry-After": "42"}, 42.0),
        ({"Retry-After": "0"}, 0.0),
        ({}, None),
        ({"Retry-After": "soon"}, None),
        ({"Retry-After": "-3"}, None),
    ],
)
async def test_rate_limited(
    client: PterodactylClient,
    mock_panel: aioresponses,
    headers: dict[str, str],
    retry_after: float | None,
) -> None:
    """Carry the Retry-After seconds when the panel gave a usable value."""
    mock_panel.get(
        api_url(f"servers/{SERVER_ID}/resources"),
        status=429,
        payload=error_body("ThrottleRequestsException", 429, "Too Many Attempts."),
        headers=headers,
    )
    with pytest.raises(PterodactylRateLimitError) as excinfo:
        await client.get_utilization(SERVER_ID)
    assert excinfo.value.retry_after == retry_after
    assert excinfo.value.detail == "Too Many Attempts."


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (401, PterodactylAuthenticationError),
        (403, PterodactylAuthenticationError),
        (404, PterodactylNotFoundError),
        (502, PterodactylApiError),
        (503, PterodactylApiError),
        (504, PterodactylNodeUnavailableError),
    ],
)
async def test_error_status_with_an_html_body(
    client: PterodactylClient,
    mock_panel: aioresponses,
    status: int,
    expected: type[PterodactylApiError],
) -> None:
    """Map a proxy's HTML error page by its status alone."""
    mock_panel.get(
        api_url("account"), status=status, body="<h1>Oops</h1>", content_type="text/html"
    )
    with pytest.raises(PterodactylApiError) as excinfo:
        await client.get_account()
    assert type(excinfo.value) is expected
    assert (excinfo.value.detail, excinfo.value.code) == (None, None)
    assert f"HTTP {status}" in str(excinfo.value)


@pytest.mark.parametrize(
    "body",
    [
        {"errors": "Unauthenticated."},
        {"errors": []},
        {"errors": ["Unauthenticated."]},
        {"errors": [{"code": 403, "detail": ["nope"]}]},
        {"message": "Forbidden"},
    ],
)
async def test_odd_error_envelopes(
    client: PterodactylClient, mock_panel: aioresponses, body: dict[str, Any]
) -> None:
    """Ignore an error body that is not the panel's envelope; the status still decides."""
    mock_panel.get(api_url("account"), status=403, payload=body)
    with pytest.raises(PterodactylAuthenticationError) as excinfo:
        await client.get_account()
    assert (excinfo.value.code, excinfo.value.detail) == (None, None)


@pytest.mark.parametrize(
    ("exception", "expected"),
    [
        (aiohttp.ClientConnectionError("Connection reset by peer"), PterodactylConnectionError),
        (
            aiohttp.ClientConnectorError(_connection_key(), OSError(111, "Connection refused")),
            PterodactylConnectionError,
        ),
        (
            aiohttp.ClientPayloadError("Response payload is not completed"),
            PterodactylConnectionError,
        ),
        (TimeoutError(), PterodactylTimeoutError),
        (
            aiohttp.ServerTimeoutError("Timeout on reading data from socket"),
            PterodactylTimeoutError,
        ),
        (aiohttp.ConnectionTimeoutError("Connection timeout"), PterodactylTimeoutError),
        (
            aiohttp.ClientConnectorCertificateError(
                _connection_key(),
                ssl.SSLCertVerificationError(
                    1, "certificate verify failed: self-signed certificate"
                ),
            ),
            PterodactylSSLError,
        ),
        (
            aiohttp.ClientConnectorSSLError(
                _connection_key(), ssl.SSLError(1, "wrong version number")
            ),
            PterodactylSSLError,
        ),
        (ssl.SSLError(1, "tlsv1 alert internal error"), PterodactylSSLError),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, BaseException) else None,
)
async def test_transport_errors(
    client: PterodactylClient,
    mock_panel: aioresponses,
    exception: BaseException,
    expected: type[PterodactylError],
) -> None:
    """Turn each way of failing to reach the panel into a connection error of its kind."""
    mock_panel.get(api_url("account"), exception=exception)
    with pytest.raises(PterodactylConnectionError) as excinfo:
        await client.get_account()
    assert type(excinfo.value) is expected
    assert excinfo.value.__cause__ is exception


async def test_redirect_is_not_followed(
    client: PterodactylClient, mock_panel: aioresponses
) -> None:
    """Report a redirect (to a login page) instead of following it."""
    mock_panel.get(
        api_url("account"), status=302, headers={"Location": "https://panel.example.com/auth/login"}
    )
    mock_panel.get("https://panel.example.com/auth/login", body=load_text("login_page.html"))
    with pytest.raises(PterodactylInvalidResponseError, match="redirect"):
        await client.get_account()
    assert len(mock_panel.requests) == 1
    assert only_call(mock_panel, "GET", api_url("account"))["allow_redirects"] is False


@pytest.mark.parametrize(
    ("body", "content_type", "match"),
    [
        (load_text("login_page.html"), "text/html", "text/html"),
        ("OK", "text/plain", "text/plain"),
        ('{"object": "user", "attributes": {"id": 1, "userna', "application/json", "malformed"),
        ('{"object": "user"} trailing', "application/json", "malformed"),
        (b'\xff\xfe{"object": "user"}', "application/json", "malformed"),
        ("[" * 1_000_000 + "]" * 1_000_000, "application/json", "malformed"),
        ("[]", "application/json", "not an object"),
        ('"user"', "application/json", "not an object"),
        ("null", "application/json", "not an object"),
        ("", "application/json", "invalid account"),
        ("   \n", "text/html", "invalid account"),
        (json.dumps(load_json("pterodactyl_account")), "application/octet-stream", "octet"),
    ],
    ids=[
        "html-login-page",
        "plain-text",
        "truncated-json",
        "trailing-garbage",
        "invalid-utf8",
        "deeply-nested",
        "json-array",
        "json-string",
        "json-null",
        "empty-body",
        "blank-body",
        "json-without-json-type",
    ],
)
async def test_invalid_success_bodies(
    client: PterodactylClient,
    mock_panel: aioresponses,
    body: str | bytes,
    content_type: str,
    match: str,
) -> None:
    """Refuse a 200 that is not a JSON object of the expected shape."""
    mock_panel.get(api_url("account"), body=body, content_type=content_type)
    with pytest.raises(PterodactylInvalidResponseError, match=match):
        await client.get_account()


async def test_vendor_json_content_type(
    client: PterodactylClient, mock_panel: aioresponses
) -> None:
    """Accept JSON served under a vendor +json type, as 0.7's docs advertise."""
    mock_panel.get(
        api_url("account"),
        body=json.dumps(load_json("pterodactyl_account")),
        content_type="application/vnd.pterodactyl.v1+json",
    )
    assert (await client.get_account()).username == "steve"


@pytest.mark.parametrize(("extra", "accepted"), [(0, True), (1, False)])
async def test_body_size_cap(
    client: PterodactylClient,
    mock_panel: aioresponses,
    extra: int,
    accepted: bool,
) -> None:
    """Accept a body of exactly the cap and refuse one byte more without parsing it."""
    cap = responses_module.MAX_BODY_BYTES
    text = json.dumps(load_json("pterodactyl_account"))
    body = text[:-1] + " " * (cap + extra - len(text)) + "}"
    mock_panel.get(api_url("account"), body=body)
    if accepted:
        assert (await client.get_account()).id == "1"
    else:
        with pytest.raises(PterodactylInvalidResponseError, match="oversized"):
            await client.get_account()


def test_error_defaults() -> None:
    """Give every error a readable message even without one from the panel."""
    assert (
        str(PterodactylConnectionError()) == "The panel could not be reached (DNS, refused, reset)."
    )
    assert str(PterodactylError(detail="Too Many Attempts.")) == "Too Many Attempts."
    assert str(PterodactylApiError(status=418)) == "HTTP 418 I'm a Teapot"
    assert str(PterodactylApiError(status=502)) == "HTTP 502 Bad Gateway"
    assert str(PterodactylApiError(status=599)) == "HTTP 599 error"
    assert (
        str(PterodactylApiError(status=400, code="DisplayException"))
        == "HTTP 400: DisplayException"
    )
    conflict = PterodactylConflictError()
    assert (conflict.status, conflict.reason) == (409, ConflictReason.UNKNOWN)
    limited = PterodactylRateLimitError()
    assert (limited.status, limited.retry_after) == (429, None)


async def test_legacy_suspended_server(client: PterodactylClient, mock_panel: aioresponses) -> None:
    """Read 0.7's 403 for a suspended server as a suspension, not a missing permission."""
    detail = "Cannot access a server that is marked as being suspended."
    mock_panel.post(
        POWER_URL, status=403, payload=error_body("AccessDeniedHttpException", 403, detail)
    )
    with pytest.raises(PterodactylConflictError) as excinfo:
        await client.send_power_signal(SERVER_ID, PowerSignal.START)
    assert (excinfo.value.reason, excinfo.value.status) == (ConflictReason.SUSPENDED, 403)
