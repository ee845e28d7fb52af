"""Panel flavours: what differs between Pterodactyl 1.x, Pterodactyl 0.7 and Pelican."""

from dataclasses import dataclass, field
from enum import StrEnum
import random
import string


class Flavor(StrEnum):
    """Which panel the simulator pretends to be."""

    V1 = "v1"
    LEGACY = "legacy"
    PELICAN = "pelican"


@dataclass(frozen=True, slots=True)
class RouteLimit:
    """An extra throttle on one route, on top of the client API bucket."""

    limit: int
    window_seconds: float
    per_server: bool


@dataclass(frozen=True, slots=True)
class FlavorSpec:
    """Static facts about a flavour."""

    flavor: Flavor
    client_prefix: str
    application_prefix: str
    rate_limit: int
    stats_route: str
    per_page_default: int
    has_account_route: bool
    has_websocket_route: bool
    # Laravel 5.x (panel 0.7) words validation messages differently from Laravel 10+.
    old_laravel: bool
    route_limits: dict[str, RouteLimit] = field(default_factory=dict)

    @property
    def is_legacy(self) -> bool:
        """Return whether this is the 0.7 panel."""
        return self.flavor is Flavor.LEGACY

    @property
    def is_pelican(self) -> bool:
        """Return whether this is Pelican."""
        return self.flavor is Flavor.PELICAN


SPECS: dict[Flavor, FlavorSpec] = {
    Flavor.V1: FlavorSpec(
        flavor=Flavor.V1,
        client_prefix="ptlc_",
        application_prefix="ptla_",
        rate_limit=720,
        stats_route="resources",
        per_page_default=50,
        has_account_route=True,
        has_websocket_route=True,
        old_laravel=False,
    ),
    Flavor.PELICAN: FlavorSpec(
        flavor=Flavor.PELICAN,
        client_prefix="pacc_",
        application_prefix="papp_",
        rate_limit=256,
        stats_route="resources",
        per_page_default=50,
        has_account_route=True,
        has_websocket_route=True,
        old_laravel=False,
        # Pelican ResourceLimit: websocket tokens are limited per server across all users.
        route_limits={"websocket": RouteLimit(limit=5, window_seconds=60, per_server=True)},
    ),
    Flavor.LEGACY: FlavorSpec(
        flavor=Flavor.LEGACY,
        client_prefix="",
        application_prefix="",
        # The `client-api` group's `throttle:60,1` (app/Http/Kernel.php at v0.7.19).
        rate_limit=60,
        stats_route="utilization",
        # config/pterodactyl.php `paginate.frontend.servers` (APP_PAGINATE_FRONT_SERVERS, 15)
        # at v0.7.19: the fixed page size, whatever `per_page` says.
        per_page_default=15,
        has_account_route=False,
        has_websocket_route=False,
        old_laravel=True,
        # routes/api-client.php: `->middleware(['throttle:15,1'])` on /utilization. It runs
        # after AuthenticateKey has logged the key's user in, so Laravel 5.7 keys it by the user
        # (the group's throttle, before that, by IP): a counter of its own.
        route_limits={"utilization": RouteLimit(limit=15, window_seconds=60, per_server=False)},
    ),
}

IDENTIFIER_LENGTH = 16
SECRET_LENGTH = 32
_ALPHABET = string.ascii_letters + string.digits


def make_key(prefix: str, rng: random.Random) -> str:
    """Return a 48-char API key: a 16-char identifier (prefix included) and a 32-char secret."""
    identifier = prefix + "".join(rng.choices(_ALPHABET, k=IDENTIFIER_LENGTH - len(prefix)))
    return identifier + "".join(rng.choices(_ALPHABET, k=SECRET_LENGTH))
