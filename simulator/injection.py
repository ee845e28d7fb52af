"""Responses for injected faults (see `simulator.faults.FaultKind`)."""

import asyncio
from collections.abc import Awaitable, Callable
import math
import uuid

from aiohttp import web

from simulator import errors, http
from simulator.faults import Fault, FaultKind

_HTML_FAULT_PAGE = (
    "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
    "<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>"
)


async def respond(
    request: web.Request,
    fault: Fault,
    answer: Callable[[], Awaitable[web.StreamResponse]],
    unix_time: Callable[[], float],
) -> web.StreamResponse:
    """Return (or half-send) the faulty response."""
    kind = fault.kind
    if kind is FaultKind.STATUS:
        status = fault.status or 500
        error = errors.for_status(
            status, code=fault.code, detail=fault.detail, request_id=str(uuid.uuid4())
        )
        headers = dict(fault.headers)
        if fault.retry_after is not None:
            headers["Retry-After"] = str(fault.retry_after)
            if status == 429:
                reset = math.floor(unix_time()) + fault.retry_after
                headers.setdefault("X-RateLimit-Reset", str(reset))
        return http.json_response(error.body(), status=status, headers=headers)
    if kind is FaultKind.REDIRECT_LOGIN:
        return http.login_redirect(request)
    if kind is FaultKind.NON_JSON:
        return web.Response(
            status=fault.status or 200,
            text=_HTML_FAULT_PAGE,
            content_type="text/html",
            headers=fault.headers,
        )
    if kind is FaultKind.HUGE_BODY:
        return await _huge_body(request, fault)
    if kind is FaultKind.CLOSE:
        _drop_connection(request)
        return web.Response(status=499)
    if kind is FaultKind.DELAY:
        await asyncio.sleep(fault.delay)
        return await answer()
    # TRUNCATED_JSON and DISCONNECT cut a real answer, so the request still takes effect.
    real = await answer()
    payload = real.body if isinstance(real, web.Response) else None
    body = payload if isinstance(payload, bytes) and payload else _STAND_IN_BODY
    cut = body[: max(1, len(body) // 2)]
    status = real.status if real.status != 204 else 200
    if kind is FaultKind.TRUNCATED_JSON:
        return web.Response(
            status=status, body=cut, content_type="application/json", headers=fault.headers
        )
    return await _disconnect_mid_body(request, status, body, cut)


_STAND_IN_BODY = http.dumps(
    {"object": "stats", "attributes": {"current_state": "running"}}
).encode()


async def _huge_body(request: web.Request, fault: Fault) -> web.StreamResponse:
    """Stream a valid JSON document of about `fault.size` bytes."""
    head = b'{"object":"list","data":[],"padding":"'
    tail = b'"}'
    padding = max(0, fault.size - len(head) - len(tail))
    response = web.StreamResponse(
        status=fault.status or 200,
        headers={"Content-Type": "application/json", **fault.headers},
    )
    response.content_length = len(head) + padding + len(tail)
    await response.prepare(request)
    await response.write(head)
    chunk = b"x" * 65536
    while padding > 0:
        piece = chunk[:padding]
        await response.write(piece)
        padding -= len(piece)
    await response.write(tail)
    await response.write_eof()
    return response


async def _disconnect_mid_body(
    request: web.Request, status: int, body: bytes, cut: bytes
) -> web.StreamResponse:
    """Announce `body`'s length, send `cut`, then drop the connection."""
    response = web.StreamResponse(status=status, headers={"Content-Type": "application/json"})
    response.content_length = len(body)
    await response.prepare(request)
    await response.write(cut)
    _drop_connection(request)
    return response


def _drop_connection(request: web.Request) -> None:
    """Close the client's TCP connection without finishing the response."""
    transport = request.transport
    if transport is not None:
        transport.close()
