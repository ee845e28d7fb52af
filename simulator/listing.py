"""GET /api/client: type and filter parameters, then Laravel pagination (ClientController)."""

from collections.abc import Iterable, Mapping
import math
import re
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from simulator import transformers
from simulator.flavors import FlavorSpec
from simulator.models import Access, Account, SimServer

_ADDRESS = re.compile(r"(?P<ip>\d{1,3}(?:\.\d{1,3}){3})?(?::(?P<port>\d{1,5}))?")


def server_list(
    request: web.Request, servers: Iterable[SimServer], spec: FlavorSpec, account: Account
) -> dict[str, Any]:
    """Return the paginated list body for the request's query."""
    query = request.query
    # 0.7's client transformer offers no includes.
    includes = (
        frozenset() if spec.is_legacy else transformers.requested_includes(query.get("include"))
    )
    if spec.is_legacy:
        # 0.7 ClientController::index: `?filter=`, a fixed page size
        # (config('pterodactyl.paginate.frontend.servers'), 15), no `type`, `filter[…]` or
        # `per_page`.
        listing = legacy_filter(list(servers), query.get("filter"), account.root_admin)
        per_page = spec.per_page_default
    else:
        listing = filter_type(list(servers), query.get("type"), account.root_admin)
        listing = apply_filters(listing, query)
        per_page = int_query(query.get("per_page"), spec.per_page_default)
        # PHP min($perPage, 100); Laravel falls back to the model's 15 for zero.
        per_page = 15 if per_page <= 0 else min(per_page, 100)
    # 1.x and Pelican call ->appends($request->query()); 0.7 does not, so its links keep `page`
    # only (Laravel AbstractPaginator::url).
    chunk, pagination = paginate(
        request, listing, per_page, keep_query=not spec.is_legacy, legacy=spec.is_legacy
    )
    return {
        "object": "list",
        "data": [transformers.server_object(s, spec, account, includes) for s in chunk],
        "meta": {"pagination": pagination},
    }


def paginate[T](
    request: web.Request, items: list[T], per_page: int, *, keep_query: bool, legacy: bool
) -> tuple[list[T], dict[str, Any]]:
    """Return the `?page=` of `items` (Laravel's paginator) and Fractal's `pagination` meta."""
    page = max(1, int_query(request.query.get("page"), 1))
    total = len(items)
    total_pages = max(1, math.ceil(total / per_page))
    chunk = items[(page - 1) * per_page : page * per_page]
    links: dict[str, str] = {}
    if page > 1:
        links["previous"] = _page_url(request, page - 1, keep_query=keep_query)
    if page < total_pages:
        links["next"] = _page_url(request, page + 1, keep_query=keep_query)
    return chunk, {
        "total": total,
        "count": len(chunk),
        "per_page": per_page,
        "current_page": page,
        "total_pages": total_pages,
        # An empty PHP array encodes as [] unless Fractal casts it to an object.
        "links": links or ([] if legacy else {}),
    }


def int_query(value: str | None, default: int) -> int:
    """Parse an integer query parameter, falling back to `default`."""
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def _page_url(request: web.Request, page: int, *, keep_query: bool = True) -> str:
    """Return a paginator link: the current query with `page` replaced (Laravel `url()`)."""
    params = dict(request.query) if keep_query else {}
    params["page"] = str(page)
    return f"{request.scheme}://{request.host}{request.path}?{urlencode(params)}"


def filter_type(servers: list[SimServer], kind: str | None, root_admin: bool) -> list[SimServer]:
    """Apply `?type=` (ClientController::index)."""
    if kind == "owner":
        return [s for s in servers if s.access is Access.OWNER]
    if kind == "admin":
        return [s for s in servers if s.access is Access.NONE] if root_admin else []
    if kind == "admin-all":
        return servers if root_admin else []
    return [s for s in servers if s.access is not Access.NONE]


def legacy_filter(servers: list[SimServer], kind: str | None, root_admin: bool) -> list[SimServer]:
    """Apply 0.7's `?filter=` (ServerRepository::filterUserAccessServers at v0.7.19).

    `owner`: owned servers. `all`/`admin` for a root admin: everything / servers they cannot
    otherwise reach. Anything else, and all/admin asked by a non-admin: accessible servers.
    """
    if kind == "owner":
        return [s for s in servers if s.access is Access.OWNER]
    if root_admin and kind == "all":
        return servers
    if root_admin and kind == "admin":
        return [s for s in servers if s.access is Access.NONE]
    return [s for s in servers if s.access is not Access.NONE]


def apply_filters(servers: list[SimServer], query: Mapping[str, str]) -> list[SimServer]:
    """Apply `filter[...]` query parameters (partial, case-insensitive matches)."""
    result = servers
    for field in ("uuid", "name", "description", "external_id"):
        wanted = query.get(f"filter[{field}]")
        if wanted:
            needle = wanted.lower()
            result = [s for s in result if needle in str(getattr(s, field) or "").lower()]
    anything = query.get("filter[*]")
    if anything:
        needle = anything.lower()
        address = _ADDRESS.fullmatch(needle)
        if address and (address["ip"] or address["port"]):
            # IPv4[:port] or :port values are matched against allocations instead, the port
            # as a prefix (`LIKE "{port}%"`, app/Models/Filters/MultiFieldServerFilter.php).
            ip, port = address["ip"], address["port"]
            result = [
                s
                for s in result
                if any(
                    (ip is None or a.ip == ip) and (port is None or str(a.port).startswith(port))
                    for a in s.allocations
                )
            ]
        else:
            result = [
                s
                for s in result
                if s.uuid.startswith(needle)
                or s.identifier == needle
                or (s.external_id or "").lower() == needle
                or needle in s.name.lower()
            ]
    return result
