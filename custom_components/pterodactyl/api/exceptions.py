"""Exceptions raised by the panel client; each carries the panel's own detail text."""

from http import HTTPStatus

from .models import ConflictReason


class PterodactylError(Exception):
    """Base class of every error the panel client raises."""

    def __init__(self, message: str = "", *, detail: str | None = None) -> None:
        """Keep the panel's detail (never the API key) beside the message."""
        super().__init__(message or detail or self.__class__.__doc__ or "")
        self.detail = detail


class PterodactylInvalidURLError(PterodactylError, ValueError):
    """The panel URL is not an http(s) URL without credentials or a query string."""


class PterodactylConnectionError(PterodactylError):
    """The panel could not be reached (DNS, refused, reset)."""


class PterodactylTimeoutError(PterodactylConnectionError):
    """The panel did not answer in time."""


class PterodactylSSLError(PterodactylConnectionError):
    """The panel's TLS certificate could not be verified."""


class PterodactylInvalidResponseError(PterodactylError):
    """The panel answered with something that is not the expected JSON (a login page, garbage)."""


def _phrase(status: int) -> str:
    """Return the status's reason phrase ("Bad Gateway"): what a proxy's error page says."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "error"


class PterodactylApiError(PterodactylError):
    """The panel answered with an error status."""

    def __init__(
        self,
        message: str = "",
        *,
        status: int,
        code: str | None = None,
        detail: str | None = None,
    ) -> None:
        """Keep the HTTP status and the panel's error code."""
        said = (
            f"HTTP {status}: {detail or code}"
            if detail or code
            else f"HTTP {status} {_phrase(status)}"
        )
        super().__init__(message or said, detail=detail)
        self.status = status
        self.code = code


class PterodactylAuthenticationError(PterodactylApiError):
    """The API key was refused (401, or 403 with no detail on panels 1.0 to 1.7 and 0.7)."""


class PterodactylApplicationKeyError(PterodactylAuthenticationError):
    """An application (admin) API key was used where a client key is needed."""


class PterodactylTwoFactorRequiredError(PterodactylApiError):
    """The account must enable two-factor authentication before using the API."""


class PterodactylForbiddenError(PterodactylApiError):
    """The key's user lacks the permission for this action."""


class PterodactylNotFoundError(PterodactylApiError):
    """The server (or route) does not exist for this key."""


class PterodactylConflictError(PterodactylApiError):
    """The server's state forbids the request (409 ServerStateConflictException)."""

    def __init__(
        self,
        message: str = "",
        *,
        status: int = 409,
        code: str | None = None,
        detail: str | None = None,
        reason: ConflictReason = ConflictReason.UNKNOWN,
    ) -> None:
        """Keep the parsed reason of the conflict."""
        super().__init__(message, status=status, code=code, detail=detail)
        self.reason = reason


class PterodactylServerOfflineError(PterodactylError):
    """The server must be running for this request.

    0.7 answers 412 and 1.x 502 'must be online'; Pelican answers 204 and drops the request, so
    the client finds the server offline before sending (status None).
    """

    def __init__(
        self, message: str = "", *, status: int | None = None, detail: str | None = None
    ) -> None:
        """Keep the HTTP status when the panel said so."""
        super().__init__(message, detail=detail)
        self.status = status


class PterodactylRateLimitError(PterodactylApiError):
    """The panel's rate limit was hit (429); retry_after is in seconds when the panel said."""

    def __init__(
        self,
        message: str = "",
        *,
        status: int = 429,
        code: str | None = None,
        detail: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        """Keep the Retry-After delay."""
        super().__init__(message, status=status, code=code, detail=detail)
        self.retry_after = retry_after


class PterodactylNodeUnavailableError(PterodactylApiError):
    """The node (Wings) running the server cannot be reached (504, Pelican's 'missing')."""


class PterodactylBackupLimitError(PterodactylApiError):
    """The server has as many backups as it may keep (400 TooManyBackupsException)."""


class PterodactylBackupThrottledError(PterodactylRateLimitError):
    """The panel's backup throttle (2 per 10 minutes by default) refused a new backup."""
