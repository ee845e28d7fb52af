"""What the panel's answers mean: bodies decoded, errors mapped to the client's exceptions."""

import json
from typing import Any, Final, cast

import aiohttp

from .exceptions import (
    PterodactylApiError,
    PterodactylApplicationKeyError,
    PterodactylAuthenticationError,
    PterodactylBackupLimitError,
    PterodactylConflictError,
    PterodactylError,
    PterodactylForbiddenError,
    PterodactylInvalidResponseError,
    PterodactylNodeUnavailableError,
    PterodactylNotFoundError,
    PterodactylRateLimitError,
    PterodactylServerOfflineError,
    PterodactylTwoFactorRequiredError,
)
from .models import ConflictReason

TOO_MANY_REQUESTS: Final = 429
# No API answer comes near this; a larger body is an error page or an attack.
MAX_BODY_BYTES: Final = 8 * 1024 * 1024
_CONFLICT_REASONS: Final = (
    ("suspended", ConflictReason.SUSPENDED),
    ("maintenance", ConflictReason.NODE_MAINTENANCE),
    ("installation", ConflictReason.INSTALLING),
    ("restoring", ConflictReason.RESTORING),
    ("transferred", ConflictReason.TRANSFERRING),
)
_APPLICATION_KEY_MARKER: Final = "application API key"
# Panels 0.8 (alpha and beta) refuse a suspended server with 403 where 1.x answers 409.
_SUSPENDED_403_MARKER: Final = "marked as being suspended"
# 0.7 does not check suspension; its daemon refuses the panel's own key for a suspended server
# only (pterodactyl/daemon src/middleware/authorizable.js), which the panel reports as a 504
# "…resulting in a HTTP/403 response code…".
_DAEMON_REFUSED_MARKER: Final = "http/403 response code"
_OFFLINE_MARKERS: Final = ("must be online", "not online")
# Pterodactyl wraps a Wings failure in DaemonConnectionException (504); Pelican lets Laravel's
# HTTP client throw ConnectionException, and 0.7's power route Guzzle's ConnectException, which
# their handlers render as a generic 500.
_NODE_UNREACHABLE_CODES: Final = frozenset(
    {"DaemonConnectionException", "ConnectionException", "ConnectException"}
)


async def read_limited(response: aiohttp.ClientResponse) -> bytes:
    """Read the body, refusing one too large to be an API answer (memory stays bounded)."""
    body = bytearray()
    async for chunk in response.content.iter_chunked(65536):
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise PterodactylInvalidResponseError("The panel sent an oversized response")
    return bytes(body)


def int_or_none(value: str | None) -> int | None:
    """Parse a header integer; None when absent or not a number."""
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


ACCEPTED: Final = 202


def decode(raw: bytes, content_type: str, status: int) -> dict[str, Any] | None:
    """Decode a JSON object body; None for an empty body or an unreadable error body."""
    if not raw.strip() or status == ACCEPTED:
        # 202 only queues work (a schedule run); the panel's `[]` with it says nothing.
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


def api_error(
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
    if status == 400 and code == "TooManyBackupsException":
        return PterodactylBackupLimitError(status=status, code=code, detail=detail)
    if status == TOO_MANY_REQUESTS:
        seconds = int_or_none(retry_after)
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
