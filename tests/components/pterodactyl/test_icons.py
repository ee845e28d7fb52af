"""Every icon the integration names is one the frontend can draw."""

from collections.abc import Iterator
import json
from pathlib import Path
from typing import Any

import pytest

from custom_components.pterodactyl.const import DOMAIN

# The oldest supported release's environment has no frontend; the pinned one's has.
hass_frontend = pytest.importorskip("hass_frontend")

INTEGRATION = Path(__file__).resolve().parents[3] / "custom_components" / DOMAIN


def _icons(node: Any) -> Iterator[str]:
    """Yield every `mdi:` icon in a parsed icons.json."""
    if isinstance(node, dict):
        for value in node.values():
            yield from _icons(value)
    elif isinstance(node, str) and node.startswith("mdi:"):
        yield node


def test_every_icon_exists() -> None:
    """icons.json names only Material Design Icons the frontend ships: any other draws blank."""
    shipped = json.loads(
        (Path(hass_frontend.where()) / "static" / "mdi" / "iconList.json").read_text("utf-8")
    )
    known = {f"mdi:{icon['name']}" for icon in shipped}
    named = set(_icons(json.loads((INTEGRATION / "icons.json").read_text("utf-8"))))
    assert len(named) > 20  # the whole file was read
    assert sorted(named - known) == []
