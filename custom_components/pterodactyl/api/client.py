"""The panel client: the only code that knows the panel's URLs and JSON shapes."""

import asyncio
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
import ipaddress
import json
import logging
import math
import re
import ssl
from typing import Any, Final, cast
from urllib.parse import quote

import aiohttp
from yarl import URL

from .exceptions import (
    PterodactylApiError,
    PterodactylApplicationKeyError,
    PterodactylAuthenticationError,
    PterodactylConflictError,
    PterodactylConnectionError,
    PterodactylError,
    PterodactylForbiddenError,
    PterodactylInvalidResponseError,
    PterodactylInvalidURLError,
    PterodactylNodeUnavailableError,
    PterodactylNotFoundError,
    PterodactylRateLimitError,
    PterodactylServerOfflineError,
    PterodactylSSLError,
    PterodactylTimeoutError,
    PterodactylTwoFactorRequiredError,
)
from .models import (
    Account,
    ConflictReason,
    PanelFlavor,
    PowerSignal,
    RateLimitStatus,
    Server,
    ServerState,
    Utilization,
    WebsocketCredentials,
)
from .pacing import SAFE_WINDOW, SlidingWindowLimiter
from .parsing import (
    parse_account,
    parse_legacy_utilization,
    parse_server,
    parse_server_page,
    parse_utilization,
    parse_websocket_credentials,
)

_LOGGER = logging.getLogger(__name__)

DEFAULT_TIMEOUT: Final = 10.0
# The share of the panel's limit the client sends in any minute at most.
PACED_SHARE: Final = 0.95
_TOO_MANY_REQUESTS: Final = 429

DEFAULT_MAX_CONCURRENCY: Final = 8
# The panel allows 100 per page; fewer pages means fewer requests against the rate limit.
PAGE_SIZE: Final = 100
# No API answer comes near this; a larger body is an error page or an attack.
MAX_BODY_BYTES: Final = 8 * 1024 * 1024
# A panel with more pages than this is answering in a loop, not listing servers.
MAX_PAGES: Final = 1000

_CONFLICT_REASONS: Final = (
    ("suspended", ConflictReason.SUSPENDED),
    ("maintenance", ConflictReason.NODE_MAINTENANCE),
    ("installation", ConflictReason.INSTALLING),
    ("restoring", ConflictReason.RESTORING),
    ("transferred", ConflictReason.TRANSFERRING),
)
# One DNS label; underscores are tolerated because local container names use them.
_HOST_LABEL: Final = re.compile(r"[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?")
_APPLICATION_KEY_MARKER: Final = "application API key"
# Panels 0.8 (alpha and beta) refuse a suspended server with 403 where 1.x answers 409.
_SUSPENDED_403_MARKER: Final = "marked as being suspended"
# 0.7 does not check suspension; its daemon refuses the panel's own key for a suspended server
# only (pterodactyl/daemon src/middleware/authorizable.js), which the panel reports as a 504
# "…resulting in a HTTP/403 response code…".
_DAEMON_REFUSED_MARKER: Final = "http/403 response code"
# What get_account returns on 0.7, which cannot say who the key belongs to.
LEGACY_ACCOUNT: Final = Account(id="legacy", username="", email="", admin=False)
_OFFLINE_MARKERS: Final = ("must be online", "not online")
# Pterodactyl wraps a Wings failure in DaemonConnectionException (504); Pelican lets Laravel's
# HTTP client throw ConnectionException, and 0.7's power route Guzzle's ConnectException, which
# their handlers render as a generic 500.
_NODE_UNREACHABLE_CODES: Final = frozenset(
    {"DaemonConnectionException", "ConnectionException", "ConnectException"}
)
# 0.7's power route lets Guzzle's ClientException through when the daemon answers 4xx.
_DAEMON_REFUSAL_CODE: Final = "ClientException"


def normalize_url(url: str) -> str:
    """Return the panel's base URL without a trailing slash, or raise PterodactylInvalidURLError."""
    try:
        parsed = URL(url.strip())
    except ValueError as err:
        raise PterodactylInvalidURLError("The panel URL cannot be parsed") from err
    if parsed.scheme not in ("http", "https") or not parsed.raw_host:
        raise PterodactylInvalidURLError("The panel URL must start with http:// or https://")
    if not _is_valid_host(parsed.raw_host):
        raise PterodactylInvalidURLError("The panel URL has an invalid host name")
    if parsed.user is not None or parsed.password is not None:
        raise PterodactylInvalidURLError("The panel URL must not contain credentials")
    if parsed.query_string or parsed.fragment:
        raise PterodactylInvalidURLError("The panel URL must not contain a query or fragment")
    return str(parsed.with_path(parsed.path.rstrip("/"))).rstrip("/")


def _is_valid_host(host: str) -> bool:
    """Return True for an IP address or a host name made of DNS labels (IDNA-encoded)."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return all(_HOST_LABEL.fullmatch(label) for label in host.removesuffix(".").split("."))
    return True


class PterodactylClient:
    """Talks to one panel's client API with one client API key."""

    def __init__(
        self,
        url: str,
        api_key: str,
        *,
        session: aiohttp.ClientSession,
        verify_ssl: bool = True,
        request_timeout: float = DEFAULT_TIMEOUT,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
    ) -> None:
        """Validate the URL; no request is made until a method is called."""
        self.base_url = normalize_url(url)
        # A pasted key often ends in a newline, which aiohttp refuses in a header.
        self._api_key = api_key.strip()
        self._session = session
        # True keeps aiohttp's default verification; False skips it (self-signed panels).
        self._ssl = verify_ssl
        self._timeout = aiohttp.ClientTimeout(total=request_timeout)
        self._concurrency = asyncio.Semaphore(max_concurrency)
        self.flavor: PanelFlavor | None = None
        self.rate_limit = RateLimitStatus()
        # Every request of this key, whoever asks: limited once the panel has told its limit.
        self._pacing = SlidingWindowLimiter(None, SAFE_WINDOW)

    def __repr__(self) -> str:
        """Describe the client without its API key."""
        return f"PterodactylClient({self.base_url!r}, flavor={self.flavor})"

    @property
    def session(self) -> aiohttp.ClientSession:
        """Return the HTTP session, which the Wings websocket shares."""
        return self._session

    @property
    def verify_ssl(self) -> bool:
        """Return whether TLS certificates are verified (the websocket follows the same rule)."""
        return self._ssl

    def server_url(self, identifier: str) -> str:
        """Return the server's page on the panel, for people to open."""
        return f"{self.base_url}/server/{identifier}"

    def account_url(self) -> str:
        """Return the page where the key's user manages the account, 2FA included.

        Only Pterodactyl 1.x demands 2FA of API clients (Pelican checks it in its web panel only).
        """
        return f"{self.base_url}/account"

    async def get_account(self) -> Account:
        """Read the key's user; it also tells Pelican from Pterodactyl."""
        try:
            payload = await self._request("GET", "account")
        except PterodactylNotFoundError as err:
            if err.code is None:
                # Not the panel's own JSON 404: a proxy's page or another site.
                raise
            # 0.7 has no /account: the key's user cannot be read, so the panel stands for it.
            self.flavor = PanelFlavor.LEGACY
            return LEGACY_ACCOUNT
        account, is_pelican = parse_account(payload)
        if is_pelican:
            self.flavor = PanelFlavor.PELICAN
        return account

    async def list_servers(self) -> list[Server]:
        """List every server the key can see, following all pages."""
        servers: dict[str, Server] = {}
        for page in range(1, MAX_PAGES + 1):
            try:
                payload = await self._request(
                    "GET", "", params={"page": str(page), "per_page": str(PAGE_SIZE)}
                )
            except PterodactylForbiddenError as err:
                # The list checks no permission: its 403 refuses the key (or its address), and
                # 0.7 says no more than "An error was encountered".
                raise PterodactylAuthenticationError(
                    status=err.status, code=err.code, detail=err.detail
                ) from err
            page_servers, has_more = parse_server_page(payload)
            # A server created while paging shifts the pages: keep the first copy of each.
            for server in page_servers:
                servers.setdefault(server.identifier, server)
            if not has_more:
                return list(servers.values())
        raise PterodactylInvalidResponseError("The panel keeps returning more pages")

    async def get_server(self, identifier: str) -> Server:
        """Read one server."""
        return parse_server(await self._request("GET", _server_path(identifier)))

    async def get_utilization(self, identifier: str) -> Utilization:
        """Read one server's live usage on whichever API generation the panel speaks."""
        if self.flavor is PanelFlavor.LEGACY:
            return parse_legacy_utilization(
                await self._request("GET", _server_path(identifier, "utilization"))
            )
        try:
            payload = await self._request("GET", _server_path(identifier, "resources"))
        except PterodactylNotFoundError:
            if self.flavor is not None:
                raise
            # Panels before 0.8 have no /resources; a 404 there may mean the legacy API.
            legacy = parse_legacy_utilization(
                await self._request("GET", _server_path(identifier, "utilization"))
            )
            self.flavor = PanelFlavor.LEGACY
            return legacy
        utilization, node_missing = parse_utilization(payload)
        if self.flavor is None:
            self.flavor = PanelFlavor.PTERODACTYL
        if node_missing:
            # Pelican answers 200 with 'missing' where Pterodactyl answers 504.
            self.flavor = PanelFlavor.PELICAN
            raise PterodactylNodeUnavailableError(
                status=200, detail="The node running this server is not reachable."
            )
        return utilization

    async def get_utilizations(
        self, identifiers: Iterable[str]
    ) -> dict[str, Utilization | PterodactylError]:
        """Read many servers' usage concurrently (bounded); one failure never hides the others."""
        identifiers = list(identifiers)
        if identifiers and self.flavor is None:
            # Detect the API generation once, before the fan-out, so it is not probed N times.
            first = identifiers[0]
            results: dict[str, Utilization | PterodactylError] = {
                first: await self._utilization_or_error(first)
            }
            identifiers = identifiers[1:]
        else:
            results = {}
        outcomes = await asyncio.gather(*(self._utilization_or_error(i) for i in identifiers))
        results.update(zip(identifiers, outcomes, strict=True))
        return results

    async def _utilization_or_error(self, identifier: str) -> Utilization | PterodactylError:
        """Return the usage, or the client error that prevented reading it."""
        try:
            return await self.get_utilization(identifier)
        except PterodactylError as err:
            return err

    async def send_power_signal(self, identifier: str, signal: PowerSignal) -> None:
        """Ask the panel to start, stop, restart or kill a server."""
        async with self._conflicts_explained(identifier):
            await self._request(
                "POST", _server_path(identifier, "power"), body={"signal": str(signal)}
            )

    async def send_command(
        self, identifier: str, command: str, *, state: ServerState | None = None
    ) -> None:
        """Send one console command to a running server.

        `state` is the server's power state if the caller knows it live (from Wings); an
        offline server is refused here, as Pterodactyl's panel refuses it.
        """
        async with self._conflicts_explained(identifier):
            if state is None and self.flavor is PanelFlavor.PELICAN:
                # Pelican answers 204 and drops a command Wings refused for an offline server
                # (Server::send never throws): only the server's state tells.
                state = (await self.get_utilization(identifier)).state
            if state is ServerState.OFFLINE:
                raise PterodactylServerOfflineError("The server is offline")
            await self._request(
                "POST", _server_path(identifier, "command"), body={"command": command}
            )

    @asynccontextmanager
    async def _conflicts_explained(self, identifier: str) -> AsyncIterator[None]:
        """Re-raise a 409 with its cause taken from the server's flags, read fresh.

        The 409's words are only a last hint: Pelican writes them in the panel's language. The
        server's own route is the one the panel does not refuse for its state.
        """
        try:
            yield
        except PterodactylConflictError as err:
            try:
                reason = (await self.get_server(identifier)).conflict_reason
            except PterodactylError:
                reason = None
            if reason is None:
                raise
            raise PterodactylConflictError(
                status=err.status, code=err.code, detail=err.detail, reason=reason
            ) from err
        except PterodactylApiError as err:
            if self.flavor is not PanelFlavor.LEGACY or err.code != _DAEMON_REFUSAL_CODE:
                raise
            # 0.7's daemon refused the action; its usage route says whether for suspension.
            try:
                await self.get_utilization(identifier)
            except PterodactylConflictError as conflict:
                raise conflict from err
            except PterodactylError:
                pass
            raise

    async def get_websocket_credentials(self, identifier: str) -> WebsocketCredentials:
        """Get a token and URL for the server's Wings websocket."""
        return parse_websocket_credentials(
            # Pelican throttles this route per server (5 a minute) inside the account's limit,
            # and its answers carry whichever limit is nearer: not the account's to learn.
            await self._request(
                "GET", _server_path(identifier, "websocket"), shows_account_limit=False
            )
        )

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Mapping[str, Any] | None = None,
        shows_account_limit: bool = True,
    ) -> dict[str, Any] | None:
        """Make one API call; return the JSON object, or None for an empty success.

        `shows_account_limit` is False for a route with a throttle of its own, whose rate-limit
        headers may describe that throttle rather than the account's.
        """
        url = f"{self.base_url}/api/client/{path}".rstrip("/")
        headers = {
            "Authorization": f"Bearer {self._api_key}",
            "Accept": "application/json",
        }
        async with self._concurrency:
            await self._pace()
            try:
                async with self._session.request(
                    method,
                    url,
                    params=params,
                    json=body,
                    headers=headers,
                    ssl=self._ssl,
                    timeout=self._timeout,
                    # A redirect means a login page or another site, never the API.
                    allow_redirects=False,
                ) as response:
                    if shows_account_limit and response.status != _TOO_MANY_REQUESTS:
                        # A 429 may come from a route's own, smaller limit (0.7's 15 usage reads
                        # a minute): its headers are not the account's limit.
                        self._read_rate_limit(response.headers)
                    raw = await _read_limited(response)
                    status = response.status
                    content_type = response.content_type
                    retry_after = response.headers.get("Retry-After")
            except TimeoutError as err:
                raise PterodactylTimeoutError("The panel did not answer in time") from err
            except aiohttp.ClientConnectorCertificateError as err:
                raise PterodactylSSLError("The panel's TLS certificate is not trusted") from err
            # aiohttp's ClientConnectorSSLError is an ssl.SSLError too.
            except ssl.SSLError as err:
                raise PterodactylSSLError("The TLS connection to the panel failed") from err
            except aiohttp.ClientError as err:
                raise PterodactylConnectionError(
                    f"Cannot reach the panel: {type(err).__name__}"
                ) from err
        # The URL and status only: the key lives in a header, which is never logged.
        _LOGGER.debug("%s %s -> HTTP %s", method, url, status)
        if 300 <= status < 400:
            raise PterodactylInvalidResponseError(
                f"The panel redirected the request (HTTP {status}); is the URL the panel's?"
            )
        payload = _decode(raw, content_type, status)
        if status >= 400:
            raise _api_error(status, payload, retry_after)
        return payload

    async def _pace(self) -> None:
        """Wait until one more request fits the panel's limit for any minute.

        Polls are fitted to the limit ahead of time; this is the backstop for what comes all at
        once: the first refresh, and the token requests and reads after a Wings restart.
        """
        if (limit := self.rate_limit.limit) is not None:
            # A little is left for the user's own use of the panel, which counts against the
            # same limit.
            self._pacing.limit = max(1, math.floor(limit * PACED_SHARE))
        await self._pacing.acquire()

    def _read_rate_limit(self, headers: Mapping[str, str]) -> None:
        """Remember the panel's rate-limit headers so callers can slow down before a 429."""
        limit = _int_or_none(headers.get("X-RateLimit-Limit"))
        remaining = _int_or_none(headers.get("X-RateLimit-Remaining"))
        if limit is not None or remaining is not None:
            self.rate_limit = RateLimitStatus(limit=limit, remaining=remaining)


async def _read_limited(response: aiohttp.ClientResponse) -> bytes:
    """Read the body, refusing one too large to be an API answer (memory stays bounded)."""
    body = bytearray()
    async for chunk in response.content.iter_chunked(65536):
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise PterodactylInvalidResponseError("The panel sent an oversized response")
    return bytes(body)


def _server_path(identifier: str, *parts: str) -> str:
    """Return a server route; the identifier is escaped, as it comes from the panel's answer."""
    return "/".join(("servers", quote(identifier, safe=""), *parts))


def _int_or_none(value: str | None) -> int | None:
    """Parse a header integer; None when absent or not a number."""
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _decode(raw: bytes, content_type: str, status: int) -> dict[str, Any] | None:
    """Decode a JSON object body; None for an empty body or an unreadable error body."""
    if not raw.strip():
        return None
    problem: str | None = None
    payload: Any = None
    if "json" not in content_type:
        problem = f"The panel sent {content_type or 'no content type'} instead of JSON"
    else:
        try:
            payload = json.loads(raw)
        # UnicodeDecodeError is a ValueError; absurdly deep nesting exhausts the recursion limit.
        except ValueError, RecursionError:
            problem = "The panel sent malformed JSON"
        else:
            if not isinstance(payload, dict):
                problem = "The panel sent JSON that is not an object"
    if problem is None:
        return cast(dict[str, Any], payload)
    if status >= 400:
        # The status alone says what went wrong; an HTML error page adds nothing.
        return None
    raise PterodactylInvalidResponseError(problem)


def _first_error(payload: dict[str, Any] | None) -> tuple[str | None, str | None]:
    """Return the code and detail of the panel's first error entry."""
    if payload is None:
        return None, None
    errors = payload.get("errors")
    if not isinstance(errors, list) or not errors or not isinstance(errors[0], dict):
        return None, None
    code, detail = errors[0].get("code"), errors[0].get("detail")
    return (
        code if isinstance(code, str) else None,
        detail if isinstance(detail, str) else None,
    )


def _api_error(
    status: int, payload: dict[str, Any] | None, retry_after: str | None
) -> PterodactylError:
    """Map an error response to the client's exception for it."""
    code, detail = _first_error(payload)
    lowered = (detail or "").lower()
    if status == 401:
        return PterodactylAuthenticationError(status=status, code=code, detail=detail)
    if status == 403:
        if _APPLICATION_KEY_MARKER.lower() in lowered:
            return PterodactylApplicationKeyError(status=status, code=code, detail=detail)
        if _SUSPENDED_403_MARKER in lowered:
            return PterodactylConflictError(
                status=status, code=code, detail=detail, reason=ConflictReason.SUSPENDED
            )
        if not detail:
            # Panels 1.0-1.7 answer a bad key with 403 and no detail.
            return PterodactylAuthenticationError(status=status, code=code, detail=detail)
        return PterodactylForbiddenError(status=status, code=code, detail=detail)
    if status == 400 and code == "TwoFactorAuthRequiredException":
        return PterodactylTwoFactorRequiredError(status=status, code=code, detail=detail)
    if status == 404:
        return PterodactylNotFoundError(status=status, code=code, detail=detail)
    if status == 409:
        reason = next(
            (reason for marker, reason in _CONFLICT_REASONS if marker in lowered),
            ConflictReason.UNKNOWN,
        )
        return PterodactylConflictError(status=status, code=code, detail=detail, reason=reason)
    if status == 412 or (status == 502 and any(m in lowered for m in _OFFLINE_MARKERS)):
        return PterodactylServerOfflineError(status=status, detail=detail)
    if status == _TOO_MANY_REQUESTS:
        seconds = _int_or_none(retry_after)
        return PterodactylRateLimitError(
            status=status,
            code=code,
            detail=detail,
            retry_after=float(seconds) if seconds is not None and seconds >= 0 else None,
        )
    if status == 504 and _DAEMON_REFUSED_MARKER in lowered:
        return PterodactylConflictError(
            status=status, code=code, detail=detail, reason=ConflictReason.SUSPENDED
        )
    if status == 504 or code in _NODE_UNREACHABLE_CODES:
        return PterodactylNodeUnavailableError(status=status, code=code, detail=detail)
    return PterodactylApiError(status=status, code=code, detail=detail)
