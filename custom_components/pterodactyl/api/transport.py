"""HTTP to the panel's client API: one key, paced to the panel's limit, answers checked."""

import asyncio
from collections.abc import Mapping
import logging
import math
import ssl
from typing import Any, Final

import aiohttp

from .exceptions import (
    PterodactylConnectionError,
    PterodactylInvalidResponseError,
    PterodactylSSLError,
    PterodactylTimeoutError,
)
from .models import RateLimitStatus
from .pacing import SAFE_WINDOW, SlidingWindowLimiter
from .responses import TOO_MANY_REQUESTS, api_error, decode, int_or_none, read_limited

_LOGGER = logging.getLogger(__name__)

DEFAULT_TIMEOUT: Final = 10.0
DEFAULT_MAX_CONCURRENCY: Final = 8
# The share of the panel's limit the client sends in any minute at most.
PACED_SHARE: Final = 0.95


class PanelTransport:
    """Sends one key's requests: bounded, paced, with the panel's rate-limit headers kept."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        session: aiohttp.ClientSession,
        verify_ssl: bool,
        request_timeout: float,
        max_concurrency: int,
    ) -> None:
        """Send to `base_url`'s client API; nothing is sent until asked."""
        self._base_url = base_url
        # A pasted key often ends in a newline, which aiohttp refuses in a header.
        self._api_key = api_key.strip()
        self.session = session
        # True keeps aiohttp's default verification; False skips it (self-signed panels).
        self.verify_ssl = verify_ssl
        self._timeout = aiohttp.ClientTimeout(total=request_timeout)
        self._concurrency = asyncio.Semaphore(max_concurrency)
        self.rate_limit = RateLimitStatus()
        # Every request of this key, whoever asks: limited once the panel has told its limit.
        self._pacing = SlidingWindowLimiter(None, SAFE_WINDOW)

    async def request(
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
        url = f"{self._base_url}/api/client/{path}".rstrip("/")
        headers = {
            "Authorization": f"Bearer {self._api_key}",
            "Accept": "application/json",
        }
        async with self._concurrency:
            await self._pace()
            try:
                async with self.session.request(
                    method,
                    url,
                    params=params,
                    json=body,
                    headers=headers,
                    ssl=self.verify_ssl,
                    timeout=self._timeout,
                    # A redirect means a login page or another site, never the API.
                    allow_redirects=False,
                ) as response:
                    if shows_account_limit and response.status != TOO_MANY_REQUESTS:
                        # A 429 may come from a route's own, smaller limit (0.7's 15 usage reads
                        # a minute): its headers are not the account's limit.
                        self._read_rate_limit(response.headers)
                    raw = await read_limited(response)
                    status = response.status
                    content_type = response.content_type
                    retry_after = response.headers.get("Retry-After")
            except TimeoutError as err:
                raise PterodactylTimeoutError(
                    f"it did not answer within {self._timeout.total:g} seconds"
                ) from err
            except aiohttp.ClientConnectorCertificateError as err:
                raise PterodactylSSLError("The panel's TLS certificate is not trusted") from err
            # aiohttp's ClientConnectorSSLError is an ssl.SSLError too.
            except ssl.SSLError as err:
                raise PterodactylSSLError("The TLS connection to the panel failed") from err
            except aiohttp.ClientError as err:
                raise PterodactylConnectionError(_connection_problem(err)) from err
        # The URL and status only: the key lives in a header, which is never logged.
        _LOGGER.debug("%s %s -> HTTP %s", method, url, status)
        if 300 <= status < 400:
            raise PterodactylInvalidResponseError(
                f"The panel redirected the request (HTTP {status}); is the URL the panel's?"
            )
        payload = decode(raw, content_type, status)
        if status >= 400:
            raise api_error(status, payload, retry_after)
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
        limit = int_or_none(headers.get("X-RateLimit-Limit"))
        remaining = int_or_none(headers.get("X-RateLimit-Remaining"))
        if limit is not None or remaining is not None:
            self.rate_limit = RateLimitStatus(limit=limit, remaining=remaining)


def _connection_problem(err: aiohttp.ClientError) -> str:
    """Say in plain words why the panel could not be reached (the rest of a sentence)."""
    match err:
        case aiohttp.ClientConnectorDNSError():
            return "its host name could not be resolved"
        case aiohttp.ClientConnectorError():
            return "the connection was refused or the host is unreachable"
        case aiohttp.ServerDisconnectedError():
            return "it closed the connection before answering"
        case aiohttp.ClientPayloadError():
            return "its answer was cut short"
    return "the connection failed"
