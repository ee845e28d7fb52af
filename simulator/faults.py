"""Fault injection: make chosen API requests fail the ways real panels and proxies fail."""

from dataclasses import dataclass, field
from enum import StrEnum


class FaultKind(StrEnum):
    """How a matching request fails."""

    # An HTTP error status with the flavour's JSON error body (see `Fault.status`).
    STATUS = "status"
    # A 302 to the HTML login page, as for a session-less browser request.
    REDIRECT_LOGIN = "redirect_login"
    # A 200 (or `status`) with an HTML body, like a proxy or maintenance page.
    NON_JSON = "non_json"
    # The real response, with its JSON body cut in half (Content-Length matches the cut).
    TRUNCATED_JSON = "truncated_json"
    # Headers announce the full body, half of it is sent, then the connection is closed.
    DISCONNECT = "disconnect"
    # The connection is closed before any response byte is sent.
    CLOSE = "close"
    # Wait `delay` seconds (real time), then answer normally: for client timeouts.
    DELAY = "delay"
    # A valid JSON body of `size` bytes.
    HUGE_BODY = "huge_body"


@dataclass(eq=False, slots=True)
class Fault:
    """A fault applied to API requests that match every given filter."""

    kind: FaultKind
    # Only requests for this server (8-char identifier); None matches any request.
    server: str | None = None
    # Only this exact path: "/api/client" is the server list alone, where `path_contains` would
    # also match every other route.
    path: str | None = None
    path_contains: str | None = None
    method: str | None = None
    # STATUS: the status (default 500); NON_JSON/HUGE_BODY: status of the response.
    status: int | None = None
    # How many requests to hit before the fault clears itself; None = until cleared.
    count: int | None = None
    # STATUS: override the error code/detail; add a Retry-After header.
    code: str | None = None
    detail: str | None = None
    retry_after: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    size: int = 8 * 1024 * 1024
    # How many requests this fault has affected.
    hits: int = field(default=0, init=False)

    def matches(self, method: str, path: str, server: str | None) -> bool:
        """Return whether a request is affected."""
        if self.count is not None and self.hits >= self.count:
            return False
        if self.server is not None and self.server != server:
            return False
        if self.path is not None and self.path != path:
            return False
        if self.path_contains is not None and self.path_contains not in path:
            return False
        return self.method is None or self.method.upper() == method.upper()

    @property
    def exhausted(self) -> bool:
        """Return whether the fault has used up its count."""
        return self.count is not None and self.hits >= self.count


@dataclass(slots=True)
class RequestRecord:
    """One request as the simulator saw it."""

    time: float
    method: str
    path: str
    query: str
    server: str | None
    status: int = 0
    fault: FaultKind | None = None
    duration: float = 0.0
