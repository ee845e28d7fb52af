"""Property tests: whatever JSON a panel sends, parsing gives a sane model or the client's error."""

from collections.abc import Callable
from dataclasses import asdict, is_dataclass
import json
import math
from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st
import pytest

from custom_components.pterodactyl.api import PterodactylInvalidResponseError
from custom_components.pterodactyl.api.parsing import (
    MAX_NUMBER,
    parse_account,
    parse_legacy_utilization,
    parse_power_state,
    parse_server,
    parse_server_page,
    parse_stats_event,
    parse_utilization,
    parse_websocket_credentials,
)
from custom_components.pterodactyl.api.responses import decode

from .common import load_json

# Deterministic and quick in CI: the same 200 examples per property on every run, no database.
FUZZ = settings(
    derandomize=True,
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# Every JSON value, with the numbers that break naive code: NaN, infinities, huge and negative.
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**62, max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


def _server_page() -> dict[str, Any]:
    """Return a one-page server list built from the real server fixture."""
    return {
        "object": "list",
        "data": [load_json("pterodactyl_server"), load_json("pelican_server")],
        "meta": {"pagination": {"total": 2, "count": 2, "current_page": 1, "total_pages": 1}},
    }


def _stats_event() -> dict[str, Any]:
    """Return a Wings `stats` event's payload, as the websocket carries it (W resources.go)."""
    return {
        "memory_bytes": 1_073_741_824,
        "memory_limit_bytes": 2_147_483_648,
        "cpu_absolute": 12.5,
        "network": {"rx_bytes": 1024, "tx_bytes": 2048},
        "uptime": 120_000,
        "state": "running",
        "disk_bytes": 5_368_709_120,
    }


# Each parser with real answers of its endpoint, to mutate.
PARSERS: dict[str, tuple[Callable[[Any], object], list[Callable[[], Any]]]] = {
    "account": (
        parse_account,
        [lambda: load_json("pterodactyl_account"), lambda: load_json("pelican_account")],
    ),
    "server": (
        parse_server,
        [
            lambda: load_json("pterodactyl_server"),
            lambda: load_json("pelican_server"),
            lambda: load_json("legacy_server"),
        ],
    ),
    "server_page": (parse_server_page, [_server_page]),
    "utilization": (
        parse_utilization,
        [
            lambda: load_json("pterodactyl_resources"),
            lambda: load_json("pelican_resources_missing"),
        ],
    ),
    "legacy_utilization": (parse_legacy_utilization, [lambda: load_json("legacy_utilization")]),
    "websocket_credentials": (parse_websocket_credentials, [lambda: load_json("websocket")]),
    "power_state": (parse_power_state, [lambda: "running"]),
    "stats_event": (lambda value: parse_stats_event(json.dumps(value)), [_stats_event]),
}


def assert_sane(result: object) -> None:
    """Assert every number in a parsed result is finite, non-negative and of sane size."""
    if is_dataclass(result) and not isinstance(result, type):
        assert_sane(asdict(result))
    elif isinstance(result, dict):
        for value in result.values():
            assert_sane(value)
    elif isinstance(result, list | tuple):
        for value in result:
            assert_sane(value)
    elif isinstance(result, int | float) and not isinstance(result, bool):
        assert math.isfinite(result), result
        assert 0 <= result < MAX_NUMBER, result


def parse_or_refuse(parser: Callable[[Any], object], value: Any) -> None:
    """Parse value; a refusal must be the client's own error, a result must be sane."""
    try:
        result = parser(value)
    except PterodactylInvalidResponseError:
        return
    assert_sane(result)


@st.composite
def mutated(draw: st.DrawFn, original: Any) -> Any:
    """Replace, delete or retype one value somewhere inside a real answer."""
    if not isinstance(original, dict | list) or not original or draw(st.integers(0, 3)) == 0:
        return draw(JSON_VALUES)
    if isinstance(original, dict):
        key = draw(st.sampled_from(sorted(original)))
        if draw(st.booleans()) and draw(st.booleans()):
            return {k: v for k, v in original.items() if k != key}
        return {**original, key: draw(mutated(original[key]))}
    index = draw(st.integers(0, len(original) - 1))
    return [*original[:index], draw(mutated(original[index])), *original[index + 1 :]]


@pytest.mark.parametrize("name", PARSERS)
@FUZZ
@given(value=JSON_VALUES)
def test_arbitrary_json(name: str, value: Any) -> None:
    """Any JSON value at all is parsed sanely or refused with the client's error."""
    parse_or_refuse(PARSERS[name][0], value)


@pytest.mark.parametrize("name", PARSERS)
@FUZZ
@given(data=st.data())
def test_mutated_real_answers(name: str, data: st.DataObject) -> None:
    """A real answer with one value changed anywhere is parsed sanely or refused."""
    parser, originals = PARSERS[name]
    original = data.draw(st.sampled_from(originals))()
    parse_or_refuse(parser, data.draw(mutated(original)))


@pytest.mark.parametrize("name", PARSERS)
def test_real_answers_parse(name: str) -> None:
    """The unmutated answers parse: the properties above test more than refusals."""
    parser, originals = PARSERS[name]
    for original in originals:
        if name == "utilization" and original()["attributes"]["current_state"] == "missing":
            continue
        assert_sane(parser(original()))


@FUZZ
@given(
    raw=st.binary(max_size=64)
    | JSON_VALUES.map(lambda value: json.dumps(value).encode())
    | st.integers(1, 5000).map(lambda depth: b"[" * depth + b"]" * depth),
    content_type=st.sampled_from(["application/json", "text/html", ""]),
    status=st.sampled_from([200, 204, 404, 500]),
)
def test_decode(raw: bytes, content_type: str, status: int) -> None:
    """Any body decodes to an object or None; a bad success body is the client's error only."""
    try:
        payload = decode(raw, content_type, status)
    except PterodactylInvalidResponseError:
        assert status < 400
        return
    assert payload is None or isinstance(payload, dict)
    # What the decoder lets through then meets the parsers, which hold the line.
    for parser, _ in PARSERS.values():
        parse_or_refuse(parser, payload)
