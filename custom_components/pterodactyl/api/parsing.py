"""Turn the panel's JSON into models; anything unexpected is PterodactylInvalidResponseError."""

import base64
import binascii
from datetime import datetime
import json
from typing import Any, Final, cast

from yarl import URL

from .exceptions import PterodactylInvalidResponseError
from .models import (
    Account,
    Backup,
    BackupCompleted,
    Schedule,
    Server,
    ServerAddress,
    ServerLimits,
    ServerState,
    ServerStats,
    Utilization,
    WebsocketCredentials,
)

MEBIBYTE: Final = 1024 * 1024
# 0.7's daemon measures disk in decimal megabytes (pterodactyl/daemon src/controllers/server.js:
# `Math.round(size / (1000 * 1000))`) and enforces its limit as `disk * 1000 * 1000` bytes.
MEGABYTE: Final = 1000 * 1000
# Larger than any real counter (8 EiB); beyond it a value is garbage, not usage.
MAX_NUMBER: Final = 2**63

_STATES: Final = {
    "offline": ServerState.OFFLINE,
    "stopped": ServerState.OFFLINE,  # Pterodactyl's fallback when Wings omits the state
    "starting": ServerState.STARTING,
    "running": ServerState.RUNNING,
    "stopping": ServerState.STOPPING,
    # Pelican reports Docker's container states.
    "created": ServerState.OFFLINE,
    "exited": ServerState.OFFLINE,
    "dead": ServerState.OFFLINE,
    "paused": ServerState.OFFLINE,
    "restarting": ServerState.STARTING,
    "removing": ServerState.STOPPING,
}
_LEGACY_STATES: Final = {
    "off": ServerState.OFFLINE,
    "on": ServerState.RUNNING,
    "starting": ServerState.STARTING,
    "stopping": ServerState.STOPPING,
}
_NODE_MISSING: Final = "missing"
_INSTALLING_STATUSES: Final = frozenset({"installing", "install_failed", "reinstall_failed"})


def _invalid(what: str) -> PterodactylInvalidResponseError:
    """Build the error for a response that does not have the expected shape."""
    return PterodactylInvalidResponseError(f"The panel's response has an invalid {what}")


def _object(value: Any, what: str) -> dict[str, Any]:
    """Return value as a JSON object."""
    if not isinstance(value, dict):
        raise _invalid(what)
    return cast(dict[str, Any], value)


def _attributes(payload: dict[str, Any] | None, what: str) -> dict[str, Any]:
    """Return the 'attributes' object of a fractal item."""
    return _object(_object(payload, what).get("attributes"), what)


def _string(value: Any, what: str) -> str:
    """Return value as a non-empty string."""
    if not isinstance(value, str) or not value:
        raise _invalid(what)
    return value


def _optional_string(value: Any) -> str | None:
    """Return value when it is a string, else None."""
    return value if isinstance(value, str) else None


def _flag(value: Any) -> bool:
    """Read an optional boolean; absent (older panels) is False."""
    return value is True


def _number(value: Any, what: str) -> int | float:
    """Return value as a finite, non-negative number of sane size; an integer stays exact."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _invalid(what)
    # Compare before converting: float() of a huge JSON integer raises OverflowError.
    # NaN fails both comparisons and infinity the second, so neither needs its own test.
    if not 0 <= value < MAX_NUMBER:
        raise _invalid(what)
    return value


def _optional_number(value: Any, what: str) -> int | float | None:
    """Like _number, but None (and absent) stays None."""
    return None if value is None else _number(value, what)


def _scaled(value: Any, what: str, scale: int) -> int:
    """Return a count of `scale`-byte units in bytes, sane after scaling too."""
    scaled = int(_number(value, what) * scale)
    # A sane count of MiB can still be an absurd count of bytes.
    if scaled >= MAX_NUMBER:
        raise _invalid(what)
    return scaled


def _limit(value: Any, what: str, scale: int = 1) -> int | float | None:
    """Read a limit, where 0 (or null) means unlimited and becomes None."""
    number = _optional_number(value, what)
    if not number:
        return None
    return _scaled(number, what, scale) if scale != 1 else number


def parse_account(payload: dict[str, Any] | None) -> tuple[Account, bool]:
    """Parse /account; the second value is True for a Pelican panel's account shape."""
    attributes = _attributes(payload, "account")
    is_pelican = "root_admin" in attributes or ("uuid" in attributes and "id" not in attributes)
    raw_id = attributes.get("uuid") if is_pelican else attributes.get("id")
    if isinstance(raw_id, bool) or not isinstance(raw_id, int | str) or raw_id == "":
        raise _invalid("account id")
    return (
        Account(
            id=str(raw_id),
            username=_string(attributes.get("username"), "account username"),
            email=_optional_string(attributes.get("email")) or "",
            admin=_flag(attributes.get("root_admin")) or _flag(attributes.get("admin")),
            language=_optional_string(attributes.get("language")),
        ),
        is_pelican,
    )


def _server_limits(attributes: dict[str, Any]) -> ServerLimits:
    """Parse a server's limits; memory and disk are MiB on every panel generation."""
    limits = _object(attributes.get("limits", {}), "server limits")
    memory = _limit(limits.get("memory"), "memory limit", MEBIBYTE)
    disk = _limit(limits.get("disk"), "disk limit", MEBIBYTE)
    cpu = _limit(limits.get("cpu"), "cpu limit")
    return ServerLimits(
        memory_bytes=None if memory is None else int(memory),
        disk_bytes=None if disk is None else int(disk),
        cpu_percent=None if cpu is None else float(cpu),
    )


# An allocation bound to every interface names no host a player could use.
_WILDCARD_IPS: Final = frozenset({"0.0.0.0", "::", "[::]"})  # noqa: S104 (matched, not bound)


def _relationship(attributes: dict[str, Any], name: str) -> Any:
    """Return an included relationship's JSON, or None where the panel did not send it."""
    relationships = attributes.get("relationships")
    return relationships.get(name) if isinstance(relationships, dict) else None


def _egg_name(attributes: dict[str, Any]) -> str | None:
    """Return the name of the server's egg (`?include=egg`), None when not included."""
    egg = _relationship(attributes, "egg")
    egg_attributes = egg.get("attributes") if isinstance(egg, dict) else None
    name = egg_attributes.get("name") if isinstance(egg_attributes, dict) else None
    return name if isinstance(name, str) and name else None


def _default_address(attributes: dict[str, Any]) -> ServerAddress | None:
    """Return the default allocation's address: its alias, else its IP, else the node's host.

    The panel always includes the default allocation, even to a subuser without
    allocation.read (ServerTransformer::includeAllocations). A malformed one is left out
    rather than failing the whole server list: the address is information, not control.
    """
    allocations = _relationship(attributes, "allocations")
    items = allocations.get("data") if isinstance(allocations, dict) else None
    for item in items if isinstance(items, list) else []:
        allocation = item.get("attributes") if isinstance(item, dict) else None
        if not isinstance(allocation, dict) or allocation.get("is_default") is not True:
            continue
        port = allocation.get("port")
        host = _optional_string(allocation.get("ip_alias")) or _optional_string(
            allocation.get("ip")
        )
        if host in _WILDCARD_IPS:
            # The game listens on every address of its node: the node's host reaches it.
            sftp = attributes.get("sftp_details")
            host = _optional_string(sftp.get("ip")) if isinstance(sftp, dict) else None
        if host and isinstance(port, int) and not isinstance(port, bool) and 0 < port < 65536:
            return ServerAddress(host=host, port=port)
    return None


def _egg_features(attributes: dict[str, Any]) -> tuple[str, ...]:
    """Return the egg's features (`eula`, `java_version`…); Pelican may send null."""
    features = attributes.get("egg_features")
    if not isinstance(features, list):
        return ()
    return tuple(feature for feature in features if isinstance(feature, str))


def _variables(attributes: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """Return the startup variables' (env_variable, value) pairs the key may read."""
    variables = _relationship(attributes, "variables")
    items = variables.get("data") if isinstance(variables, dict) else None
    pairs: list[tuple[str, str]] = []
    for item in items if isinstance(items, list) else []:
        variable = item.get("attributes") if isinstance(item, dict) else None
        if not isinstance(variable, dict):
            continue
        name = variable.get("env_variable")
        value = variable.get("server_value")
        if value is None:
            value = variable.get("default_value")
        if isinstance(name, str) and isinstance(value, str | int) and not isinstance(value, bool):
            pairs.append((name, str(value)))
    return tuple(pairs)


def _backup_limit(attributes: dict[str, Any]) -> int | None:
    """Return feature_limits.backups (0: the server may keep none); None when absent."""
    limits = attributes.get("feature_limits")
    value = limits.get("backups") if isinstance(limits, dict) else None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def parse_server(payload: dict[str, Any] | None) -> Server:
    """Parse one fractal server item (from the list or from GET /servers/{id})."""
    attributes = _attributes(payload, "server")
    status = _optional_string(attributes.get("status"))
    return Server(
        identifier=_string(attributes.get("identifier"), "server identifier"),
        uuid=_string(attributes.get("uuid"), "server uuid"),
        name=_string(attributes.get("name"), "server name"),
        description=_optional_string(attributes.get("description")) or "",
        node=_optional_string(attributes.get("node")),
        limits=_server_limits(attributes),
        # 0.7 and 1.x always send server_owner; a panel that omits it is not telling us otherwise.
        is_owner=attributes.get("server_owner", True) is not False,
        is_suspended=_flag(attributes.get("is_suspended")) or status == "suspended",
        is_installing=_flag(attributes.get("is_installing")) or status in _INSTALLING_STATUSES,
        is_transferring=_flag(attributes.get("is_transferring")),
        is_restoring=status == "restoring_backup",
        is_node_under_maintenance=_flag(attributes.get("is_node_under_maintenance")),
        egg=_egg_name(attributes),
        docker_image=_optional_string(attributes.get("docker_image")) or None,
        address=_default_address(attributes),
        egg_features=_egg_features(attributes),
        invocation=_optional_string(attributes.get("invocation")),
        variables=_variables(attributes),
        backup_limit=_backup_limit(attributes),
    )


def parse_permissions(payload: dict[str, Any] | None) -> frozenset[str]:
    """Parse `meta.user_permissions` of GET /servers/{id} (owners and admins: "*")."""
    meta = _object(_object(payload, "server").get("meta"), "server meta")
    granted = meta.get("user_permissions")
    if not isinstance(granted, list) or not all(isinstance(p, str) for p in granted):
        raise _invalid("list of permissions")
    return frozenset(granted)


def parse_server_page(payload: dict[str, Any] | None) -> tuple[list[Server], bool]:
    """Parse one page of GET /api/client; the second value says whether more pages follow."""
    page = _object(payload, "server list")
    data = page.get("data")
    if not isinstance(data, list):
        raise _invalid("server list")
    servers = [parse_server(item) for item in data]
    return servers, _has_more(page.get("meta"), bool(servers))


def parse_utilization(payload: dict[str, Any] | None) -> tuple[Utilization, bool]:
    """Parse /resources (1.x, Pelican); the second value is True when the node is missing."""
    attributes = _attributes(payload, "resource usage")
    raw_state = attributes.get("current_state", "stopped")
    resources = _object(attributes.get("resources"), "resource usage")
    uptime_ms = _optional_number(resources.get("uptime"), "uptime")
    state = _STATES.get(raw_state) if isinstance(raw_state, str) else None
    if state is None and raw_state != _NODE_MISSING:
        raise _invalid("server state")
    return (
        Utilization(
            state=state or ServerState.OFFLINE,
            is_suspended=_flag(attributes.get("is_suspended")),
            memory_bytes=int(_number(resources.get("memory_bytes"), "memory usage")),
            disk_bytes=int(_number(resources.get("disk_bytes"), "disk usage")),
            cpu_percent=float(_number(resources.get("cpu_absolute"), "cpu usage")),
            network_rx_bytes=int(_number(resources.get("network_rx_bytes"), "network usage")),
            network_tx_bytes=int(_number(resources.get("network_tx_bytes"), "network usage")),
            uptime_seconds=None if uptime_ms is None else uptime_ms / 1000,
        ),
        raw_state == _NODE_MISSING,
    )


def parse_legacy_utilization(payload: dict[str, Any] | None) -> Utilization:
    """Parse 0.7's /utilization: memory in MiB, disk in decimal MB."""
    attributes = _attributes(payload, "resource usage")
    raw_state = attributes.get("state")
    # A list or object here is unhashable: look it up only when it is a string.
    state = _LEGACY_STATES.get(raw_state) if isinstance(raw_state, str) else None
    if state is None:
        raise _invalid("server state")
    memory = _object(attributes.get("memory"), "memory usage")
    cpu = _object(attributes.get("cpu"), "cpu usage")
    disk = _object(attributes.get("disk"), "disk usage")
    memory_limit = _limit(memory.get("limit"), "memory limit", MEBIBYTE)
    disk_limit = _limit(disk.get("limit"), "disk limit", MEGABYTE)
    cpu_limit = _limit(cpu.get("limit"), "cpu limit")
    return Utilization(
        state=state,
        is_suspended=False,
        memory_bytes=_scaled(memory.get("current"), "memory usage", MEBIBYTE),
        disk_bytes=_scaled(disk.get("current"), "disk usage", MEGABYTE),
        cpu_percent=float(_number(cpu.get("current"), "cpu usage")),
        network_rx_bytes=None,
        network_tx_bytes=None,
        uptime_seconds=None,
        limits=ServerLimits(
            memory_bytes=None if memory_limit is None else int(memory_limit),
            disk_bytes=None if disk_limit is None else int(disk_limit),
            cpu_percent=None if cpu_limit is None else float(cpu_limit),
        ),
    )


def parse_websocket_credentials(payload: dict[str, Any] | None) -> WebsocketCredentials:
    """Parse GET /websocket, which has a bare 'data' object rather than fractal attributes."""
    data = _object(_object(payload, "websocket credentials").get("data"), "websocket credentials")
    socket_url = _string(data.get("socket"), "websocket URL")
    try:
        parsed = URL(socket_url)
    except ValueError as err:
        raise _invalid("websocket URL") from err
    if parsed.scheme not in ("ws", "wss") or not parsed.host:
        raise _invalid("websocket URL")
    token = _string(data.get("token"), "websocket token")
    return WebsocketCredentials(
        token=token, socket_url=socket_url, panel_origin=_token_issuer_origin(token)
    )


def _token_issuer_origin(token: str) -> str | None:
    """Return the origin of a websocket JWT's `iss` claim (the panel's APP_URL), or None.

    The claims are only read, not verified: Wings verifies the token, and the issuer says
    which Origin its node accepts (router/websocket/websocket.go compares it with `remote`).
    """
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        claims: Any = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        issuer = URL(claims["iss"]) if isinstance(claims, dict) else None
    # A token that is not a JWT with a URL issuer leaves the Origin to the configured URL.
    except ValueError, binascii.Error, KeyError, TypeError, RecursionError:
        return None
    if issuer is None or issuer.scheme not in ("http", "https") or not issuer.host:
        return None
    return str(issuer.origin())


def parse_power_state(raw: Any) -> ServerState:
    """Parse the state of a Wings `status` event."""
    state = _STATES.get(raw) if isinstance(raw, str) else None
    if state is None:
        raise _invalid("server state")
    return state


def parse_stats_event(raw: str) -> ServerStats:
    """Parse the JSON argument of a Wings `stats` event (server/resources.go)."""
    try:
        stats = _object(json.loads(raw), "stats event")
    # UnicodeDecodeError is a ValueError; absurdly deep nesting exhausts the recursion limit.
    except ValueError, RecursionError:
        raise _invalid("stats event") from None
    network = _object(stats.get("network", {}), "network usage")
    return ServerStats(
        state=parse_power_state(stats.get("state")),
        memory_bytes=int(_number(stats.get("memory_bytes"), "memory usage")),
        cpu_percent=float(_number(stats.get("cpu_absolute"), "cpu usage")),
        disk_bytes=int(_number(stats.get("disk_bytes", 0), "disk usage")),
        network_rx_bytes=int(_number(network.get("rx_bytes", 0), "network usage")),
        network_tx_bytes=int(_number(network.get("tx_bytes", 0), "network usage")),
        uptime_seconds=_number(stats.get("uptime", 0), "uptime") / 1000,
    )


def _timestamp(value: Any, what: str) -> datetime:
    """Return an ISO 8601 timestamp with its offset (the panel's Atom dates)."""
    if not isinstance(value, str):
        raise _invalid(what)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as err:
        raise _invalid(what) from err
    if parsed.tzinfo is None:
        raise _invalid(what)
    return parsed


def _optional_timestamp(value: Any, what: str) -> datetime | None:
    """Like _timestamp, but null stays None."""
    return None if value is None else _timestamp(value, what)


def parse_backup(payload: dict[str, Any] | None) -> Backup:
    """Parse one `backup` object (BackupTransformer)."""
    attributes = _attributes(payload, "backup")
    return Backup(
        uuid=_string(attributes.get("uuid"), "backup uuid"),
        name=_optional_string(attributes.get("name")) or "",
        is_successful=_flag(attributes.get("is_successful")),
        is_locked=_flag(attributes.get("is_locked")),
        size_bytes=int(_optional_number(attributes.get("bytes"), "backup size") or 0),
        created_at=_timestamp(attributes.get("created_at"), "backup time"),
        completed_at=_optional_timestamp(attributes.get("completed_at"), "backup time"),
    )


def parse_backup_page(payload: dict[str, Any] | None) -> tuple[list[Backup], bool]:
    """Parse one page of a server's backups; the second value says whether more follow."""
    page = _object(payload, "backup list")
    data = page.get("data")
    if not isinstance(data, list):
        raise _invalid("backup list")
    return [parse_backup(item) for item in data], _has_more(page.get("meta"), bool(data))


def _has_more(meta: Any, any_items: bool) -> bool:
    """Return whether a page's pagination meta says more pages follow."""
    pagination = meta.get("pagination") if isinstance(meta, dict) else None
    if not isinstance(pagination, dict):
        return False
    current = _optional_number(pagination.get("current_page"), "page number")
    total = _optional_number(pagination.get("total_pages"), "page count")
    return current is not None and total is not None and current < total and any_items


def parse_backup_completed(raw: str) -> BackupCompleted:
    """Parse the argument of Wings' `backup completed` event (a JSON object)."""
    try:
        event = json.loads(raw)
    except ValueError as err:
        raise _invalid("backup event") from err
    event = _object(event, "backup event")
    return BackupCompleted(
        uuid=_string(event.get("uuid"), "backup uuid"),
        is_successful=_flag(event.get("is_successful")),
        size_bytes=int(_optional_number(event.get("file_size"), "backup size") or 0),
    )


def parse_schedules(payload: dict[str, Any] | None) -> list[Schedule]:
    """Parse GET …/schedules (not paginated)."""
    data = _object(payload, "schedule list").get("data")
    if not isinstance(data, list):
        raise _invalid("schedule list")
    schedules = []
    for item in data:
        attributes = _attributes(item, "schedule")
        schedule_id = attributes.get("id")
        if isinstance(schedule_id, bool) or not isinstance(schedule_id, int):
            raise _invalid("schedule id")
        cron = _object(attributes.get("cron"), "schedule cron")
        fields = ("minute", "hour", "day_of_month", "month", "day_of_week")
        schedules.append(
            Schedule(
                id=schedule_id,
                name=_optional_string(attributes.get("name")) or str(schedule_id),
                cron=" ".join(str(cron.get(field, "*")) for field in fields),
                is_active=_flag(attributes.get("is_active")),
                is_processing=_flag(attributes.get("is_processing")),
                next_run_at=_optional_timestamp(attributes.get("next_run_at"), "schedule time"),
                last_run_at=_optional_timestamp(attributes.get("last_run_at"), "schedule time"),
            )
        )
    return schedules
