"""A console socket as Wings keeps it: its accepted token, its outbox and its rate limiters."""

import asyncio
from dataclasses import dataclass, field
import json
from typing import Any

from aiohttp import web

from simulator.models import PowerState, SimServer


class TokenBucket:
    """golang.org/x/time/rate.Limiter: `rate` tokens per second, `burst` at most, full at first."""

    def __init__(self, rate: float, burst: int) -> None:
        """Start full."""
        self.rate = rate
        self.burst = burst
        self.tokens = float(burst)
        self.last: float | None = None

    def allow(self, now: float) -> bool:
        """Take a token if one is there."""
        if self.last is not None:
            self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


@dataclass(eq=False)
class WingsConnection:
    """One open console socket and what Wings remembers about it (router/websocket Handler)."""

    server: SimServer
    socket: web.WebSocketResponse
    request: web.Request
    outbox: asyncio.Queue[str | tuple[int, bytes] | None] = field(default_factory=asyncio.Queue)
    # The accepted token (None until an `auth` succeeds; a refused one keeps the previous).
    permissions: list[str] | None = None
    expires_at: int = 0
    issued_at: int | None = None
    token_server: str = ""
    scopes: list[str] = field(default_factory=list)
    last_state: PowerState | None = None
    next_token_check: float = 0.0
    writer: asyncio.Task[None] | None = None
    # Pelican's inbound limiters (router/websocket/limiter.go, router/router_server_ws.go).
    buckets: dict[str, TokenBucket] = field(default_factory=dict)
    throttles: dict[str, bool] = field(default_factory=dict)
    global_bucket: TokenBucket = field(default_factory=lambda: TokenBucket(5.0, 10))
    global_throttled: bool = False

    @property
    def authenticated(self) -> bool:
        """Return whether a token was accepted on this socket (listeners are registered)."""
        return self.permissions is not None

    def send(self, event: str, *args: str) -> None:
        """Queue a frame as unsafeSendJson writes it; the writer task sends frames in order."""
        # router/websocket/message.go: `Args []string json:"args,omitempty"`.
        frame: dict[str, Any] = {"event": event}
        if args:
            frame["args"] = list(args)
        self.outbox.put_nowait(json.dumps(frame))

    def accept(self, claims: dict[str, Any]) -> None:
        """Make `claims` the socket's token (Handler.setJwt)."""
        self.permissions = [str(p) for p in claims.get("permissions") or []]
        self.expires_at = int(claims["exp"])
        iat = claims.get("iat")
        self.issued_at = int(iat) if isinstance(iat, int | float) else None
        self.token_server = str(claims.get("server_uuid", ""))
        self.scopes = str(claims.get("scope", "")).split(" ")
