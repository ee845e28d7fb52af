"""Constants and payload builders shared by the panel client tests."""

import copy
from functools import cache
import json
from pathlib import Path
from typing import Any

from aioresponses import aioresponses
from aioresponses.core import RequestCall
from yarl import URL

FIXTURES = Path(__file__).parent / "fixtures"
BASE_URL = "https://panel.example.com"
# Shaped like a real v1.8+ client key: a 16-char identifier, then a 32-char secret.
API_KEY = "ptlc_Xa9Qk2LmZp1" + "Rt7Wv3Ny8Bc4Hd6Fj0Gs5Ke2Mu9Pq1Ty"
SERVER_ID = "1a7ce997"


def load_json(name: str) -> dict[str, Any]:
    """Return a fresh copy of a JSON fixture, safe to modify in a test."""
    return copy.deepcopy(_read_json(name))


@cache
def _read_json(name: str) -> dict[str, Any]:
    """Read a JSON fixture once."""
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    return data


def load_text(name: str) -> str:
    """Return a text fixture such as an HTML page."""
    return (FIXTURES / name).read_text()


def api_url(path: str = "", **params: str) -> str:
    """Return the absolute URL of a client API path on the mocked panel.

    The query is sorted, as aioresponses records each request's URL.
    """
    url = URL(f"{BASE_URL}/api/client/{path}".rstrip("/"))
    return str(url.with_query(sorted(params.items())) if params else url)


def list_url(page: int, *, legacy: bool = False) -> str:
    """Return the URL the client requests for one page of the server list."""
    if legacy:
        return api_url(page=str(page), per_page="100")
    return api_url(page=str(page), per_page="100", include="egg")


def server_url(identifier: str) -> str:
    """Return the URL the client requests to read one server, its egg included."""
    return api_url(f"servers/{identifier}", include="egg")


def server_item(fixture: str, identifier: str, **attributes: Any) -> dict[str, Any]:
    """Return a server fixture with its identifier (and uuid) replaced and attributes set."""
    item = load_json(fixture)
    item.pop("meta", None)  # only GET /servers/{id} carries meta
    item["attributes"]["uuid"] = f"{identifier}-0000-4000-8000-000000000000"
    item["attributes"].update(identifier=identifier, **attributes)
    return item


def server_page(
    items: list[dict[str, Any]], *, page: int, total_pages: int, legacy: bool = False
) -> dict[str, Any]:
    """Return one page of GET /api/client with pagination meta in the panel's style."""
    links: Any
    if legacy:
        # 0.7's fractal serializer sends an empty list when there are no links to show.
        links = []
    else:
        links = {}
        if page > 1:
            links["previous"] = list_url(page - 1)
        if page < total_pages:
            links["next"] = list_url(page + 1)
    return {
        "object": "list",
        "data": items,
        "meta": {
            "pagination": {
                "total": len(items) * total_pages,
                "count": len(items),
                "per_page": 100,
                "current_page": page,
                "total_pages": total_pages,
                "links": links,
            }
        },
    }


def error_body(code: str, status: int, detail: str) -> dict[str, Any]:
    """Return the panel's error envelope with one entry."""
    return {"errors": [{"code": code, "status": str(status), "detail": detail}]}


def calls(mock: aioresponses, method: str, url: str) -> list[RequestCall]:
    """Return the recorded calls of one method and URL (an empty list when none)."""
    return list(mock.requests.get((method, URL(url)), []))


def only_call(mock: aioresponses, method: str, url: str) -> dict[str, Any]:
    """Return the keyword arguments of the single call made to one method and URL."""
    recorded = calls(mock, method, url)
    assert len(recorded) == 1, f"expected one {method} {url}, got {len(recorded)}"
    kwargs: dict[str, Any] = recorded[0].kwargs
    return kwargs


def request_count(mock: aioresponses) -> int:
    """Return how many requests the client made in total."""
    return sum(len(recorded) for recorded in mock.requests.values())
