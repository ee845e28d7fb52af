"""The panel client: the only code that knows the panel's URLs and JSON shapes."""

import asyncio
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
import ipaddress
import re
from typing import Final

import aiohttp
from yarl import URL

from .exceptions import (
    PterodactylApiError,
    PterodactylAuthenticationError,
    PterodactylConflictError,
    PterodactylError,
    PterodactylForbiddenError,
    PterodactylInvalidResponseError,
    PterodactylInvalidURLError,
    PterodactylNodeUnavailableError,
    PterodactylNotFoundError,
    PterodactylServerOfflineError,
)
from .models import (
    Account,
    PanelFlavor,
    PowerSignal,
    RateLimitStatus,
    Server,
    ServerState,
    Utilization,
    WebsocketCredentials,
)
from .parsing import (
    parse_account,
    parse_legacy_utilization,
    parse_permissions,
    parse_server,
    parse_server_page,
    parse_utilization,
    parse_websocket_credentials,
)
from .paths import server_path
from .transport import DEFAULT_MAX_CONCURRENCY, DEFAULT_TIMEOUT, PanelTransport
from .work import ServerWorkApi

# The panel allows 100 per page; fewer pages means fewer requests against the rate limit.
PAGE_SIZE: Final = 100
# A panel with more pages than this is answering in a loop, not listing servers.
MAX_PAGES: Final = 1000

# One DNS label; underscores are tolerated because local container names use them.
_HOST_LABEL: Final = re.compile(r"[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?")
# What get_account returns on 0.7, which cannot say who the key belongs to.
LEGACY_ACCOUNT: Final = Account(id="legacy", username="", email="", admin=False)
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
        self._transport = PanelTransport(
            self.base_url,
            api_key,
            session=session,
            verify_ssl=verify_ssl,
            request_timeout=request_timeout,
            max_concurrency=max_concurrency,
        )
        self.flavor: PanelFlavor | None = None
        # Backups and schedules (1.x and Pelican), through the same transport and its pacing.
        self.work = ServerWorkApi(self._transport)

    def __repr__(self) -> str:
        """Describe the client without its API key."""
        return f"PterodactylClient({self.base_url!r}, flavor={self.flavor})"

    @property
    def session(self) -> aiohttp.ClientSession:
        """Return the HTTP session, which the Wings websocket shares."""
        return self._transport.session

    @property
    def verify_ssl(self) -> bool:
        """Return whether TLS certificates are verified (the websocket follows the same rule)."""
        return self._transport.verify_ssl

    @property
    def rate_limit(self) -> RateLimitStatus:
        """Return the panel's rate-limit headers from the latest answer that shows them."""
        return self._transport.rate_limit

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
            payload = await self._transport.request("GET", "account")
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
                params = {"page": str(page), "per_page": str(PAGE_SIZE), **self._includes}
                payload = await self._transport.request("GET", "", params=params)
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
        return parse_server(
            await self._transport.request("GET", server_path(identifier), params=self._includes)
        )

    async def get_permissions(self, identifier: str) -> frozenset[str]:
        """Read what this account may do on a server: permission names, or "*" for all."""
        return parse_permissions(await self._transport.request("GET", server_path(identifier)))

    @property
    def _includes(self) -> dict[str, str]:
        """Ask for the server's egg, which names its game; 0.7 offers no includes."""
        return {} if self.flavor is PanelFlavor.LEGACY else {"include": "egg"}

    async def get_utilization(self, identifier: str) -> Utilization:
        """Read one server's live usage on whichever API generation the panel speaks."""
        if self.flavor is PanelFlavor.LEGACY:
            return parse_legacy_utilization(
                await self._transport.request("GET", server_path(identifier, "utilization"))
            )
        try:
            payload = await self._transport.request("GET", server_path(identifier, "resources"))
        except PterodactylNotFoundError:
            if self.flavor is not None:
                raise
            # Panels before 0.8 have no /resources; a 404 there may mean the legacy API.
            legacy = parse_legacy_utilization(
                await self._transport.request("GET", server_path(identifier, "utilization"))
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
            await self._transport.request(
                "POST", server_path(identifier, "power"), body={"signal": str(signal)}
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
            await self._transport.request(
                "POST", server_path(identifier, "command"), body={"command": command}
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
            await self._transport.request(
                "GET", server_path(identifier, "websocket"), shows_account_limit=False
            )
        )
