"""JSON shapes of panel objects per flavour (the panel's Fractal transformers)."""

from collections.abc import Callable
from datetime import UTC, datetime
import hashlib
import math
import random
from typing import Any
import uuid

from simulator.backups import SimBackup
from simulator.flavors import Flavor, FlavorSpec
from simulator.models import MIB, Account, PowerState, SimServer, Stats
from simulator.schedules import SimSchedule

ROOT_ADMIN_EXTRAS = (
    "admin.websocket.errors",
    "admin.websocket.install",
    "admin.websocket.transfer",
)

# Legacy /utilization reports the daemon's words for the process state.
LEGACY_STATES: dict[PowerState, str] = {
    PowerState.OFFLINE: "off",
    PowerState.STARTING: "starting",
    PowerState.RUNNING: "on",
    PowerState.STOPPING: "stopping",
}


def user_permissions(server: SimServer, account: Account) -> list[str]:
    """Return `meta.user_permissions` (GetUserPermissionsService)."""
    if account.root_admin:
        return ["*", *ROOT_ADMIN_EXTRAS]
    if server.is_owner:
        return ["*"]
    return list(server.permissions)


def can(server: SimServer, account: Account, permission: str) -> bool:
    """Return whether the account may do `permission` on the server."""
    return account.root_admin or server.can(permission)


def server_attributes(server: SimServer, spec: FlavorSpec, account: Account) -> dict[str, Any]:
    """Return the `attributes` of a server object."""
    limits = server.limits
    if spec.is_legacy:
        # Panel 0.7 returned a much smaller object (seed document).
        return {
            "server_owner": server.is_owner,
            "identifier": server.identifier,
            "uuid": server.uuid,
            "name": server.name,
            "description": server.description,
            "limits": {
                "memory": limits.memory,
                "swap": limits.swap,
                "disk": limits.disk,
                "io": limits.io,
                "cpu": limits.cpu,
            },
            "feature_limits": {
                "databases": server.feature_limits.databases,
                "allocations": server.feature_limits.allocations,
            },
        }
    sftp: dict[str, Any] = {"ip": server.node_fqdn, "port": server.sftp_port}
    limit_values: dict[str, Any] = {
        "memory": limits.memory,
        "swap": limits.swap,
        "disk": limits.disk,
        "io": limits.io,
        "cpu": limits.cpu,
        "threads": limits.threads,
        "oom_disabled": limits.oom_disabled,
    }
    if spec.is_pelican:
        sftp = {"ip": server.node_fqdn, "alias": None, "port": server.sftp_port}
        limit_values["oom_killer"] = not limits.oom_disabled
    return {
        "server_owner": server.is_owner,
        "identifier": server.identifier,
        "internal_id": server.internal_id,
        "uuid": server.uuid,
        "name": server.name,
        "node": server.node,
        "is_node_under_maintenance": server.node_maintenance,
        "sftp_details": sftp,
        "description": server.description,
        "limits": limit_values,
        "invocation": server.invocation(hide_values=not can(server, account, "startup.read")),
        "docker_image": server.docker_image,
        "egg_features": server.egg_features,
        "feature_limits": {
            "databases": server.feature_limits.databases,
            "allocations": server.feature_limits.allocations,
            "backups": server.feature_limits.backups,
        },
        "status": server.status.value if server.status else None,
        "is_suspended": server.is_suspended,
        # `!isInstalled()`: Pelican also counts reinstall_failed (app/Models/Server.php).
        "is_installing": server.not_installed(pelican=spec.is_pelican),
        "is_transferring": server.is_transferring,
    }


def _relationships(server: SimServer, account: Account) -> dict[str, Any]:
    """Return the always-included allocations and variables relationships."""
    full_allocations = can(server, account, "allocation.read")
    allocations = [
        {
            "object": "allocation",
            "attributes": {
                "id": allocation.id,
                "ip": allocation.ip,
                "ip_alias": allocation.ip_alias,
                "port": allocation.port,
                "notes": allocation.notes if full_allocations else None,
                "is_default": allocation.is_default,
            },
        }
        for allocation in server.allocations
        if full_allocations or allocation.is_default
    ]
    variables: dict[str, Any]
    if can(server, account, "startup.read"):
        variables = {
            "object": "list",
            "data": [
                {
                    "object": "egg_variable",
                    "attributes": {
                        "name": variable.name,
                        "description": variable.description,
                        "env_variable": variable.env_variable,
                        "default_value": variable.default_value,
                        "server_value": variable.server_value,
                        "is_editable": variable.is_editable,
                        "rules": variable.rules,
                    },
                }
                for variable in server.variables
            ],
        }
    else:
        variables = {"object": "null_resource", "attributes": None}
    return {"allocations": {"object": "list", "data": allocations}, "variables": variables}


def requested_includes(include: str | None) -> frozenset[str]:
    """Return the `?include=` names the server transformer offers (availableIncludes).

    Fractal leaves out any other name it is asked for (ServerTransformer::$availableIncludes,
    `['egg', 'subusers']` on 1.x and Pelican); `subusers` is not modelled.
    """
    return frozenset(name.strip() for name in (include or "").split(",")) & {"egg"}


def _egg_object(server: SimServer) -> dict[str, Any]:
    """Return the `egg` include (Api/Client/EggTransformer: uuid and name)."""
    egg_uuid = uuid.uuid5(uuid.NAMESPACE_URL, f"egg:{server.egg}")
    return {"object": "egg", "attributes": {"uuid": str(egg_uuid), "name": server.egg}}


def server_object(
    server: SimServer,
    spec: FlavorSpec,
    account: Account,
    includes: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """Return a full `server` object as listed by GET /api/client."""
    body: dict[str, Any] = {
        "object": "server",
        "attributes": server_attributes(server, spec, account),
    }
    if not spec.is_legacy:
        relationships = _relationships(server, account)
        if "egg" in includes:
            relationships["egg"] = _egg_object(server)
        body["attributes"]["relationships"] = relationships
    return body


def account_object(spec: FlavorSpec, account: Account) -> dict[str, Any]:
    """Return GET /api/client/account (AccountTransformer)."""
    if spec.flavor is Flavor.PELICAN:
        digest = hashlib.md5(account.email.lower().encode(), usedforsecurity=False).hexdigest()
        attributes: dict[str, Any] = {
            "uuid": account.uuid,
            "username": account.username,
            "email": account.email,
            "language": account.language,
            "image": f"https://gravatar.com/avatar/{digest}",
            "admin": account.root_admin,
            "root_admin": account.root_admin,
            "2fa_enabled": account.two_factor_enabled,
            "created_at": account.created_at,
            "updated_at": account.updated_at,
        }
    else:
        attributes = {
            "id": account.id,
            "admin": account.root_admin,
            "username": account.username,
            "email": account.email,
            "first_name": account.first_name,
            "last_name": account.last_name,
            "language": account.language,
        }
    return {"object": "user", "attributes": attributes}


def resources_object(stats: Stats, server: SimServer) -> dict[str, Any]:
    """Return GET …/resources (StatsTransformer)."""
    return {
        "object": "stats",
        "attributes": {
            "current_state": stats.state.value,
            "is_suspended": server.is_suspended,
            "resources": {
                "memory_bytes": stats.memory_bytes,
                "cpu_absolute": stats.cpu_absolute,
                "disk_bytes": stats.disk_bytes,
                "network_rx_bytes": stats.network_rx_bytes,
                "network_tx_bytes": stats.network_tx_bytes,
                "uptime": stats.uptime,
            },
        },
    }


def missing_resources_object() -> dict[str, Any]:
    """Return Pelican's answer when Wings fails: `missing` and zeros.

    getDetails() returns `['state' => 'missing']`, so StatsTransformer's `is_suspended` falls
    back to false (app/Transformers/Api/Client/StatsTransformer.php).
    """
    return {
        "object": "stats",
        "attributes": {
            "current_state": "missing",
            "is_suspended": False,
            "resources": {
                "memory_bytes": 0,
                "cpu_absolute": 0,
                "disk_bytes": 0,
                "network_rx_bytes": 0,
                "network_tx_bytes": 0,
                "uptime": 0,
            },
        },
    }


def utilization_object(stats: Stats, server: SimServer, host_cores: int) -> dict[str, Any]:
    """Return legacy GET …/utilization (0.7 StatsTransformer at v0.7.19).

    PHP's round() answers floats: memory is `round(total / 1024 / 1024)` (MiB); disk is the
    daemon's `Math.round(size / (1000 * 1000))` (decimal MB, src/controllers/server.js); the
    limits are `floatval()`.
    """
    # Per-core usage that adds up to the total, as the 0.7 daemon reported it.
    rng = random.Random(f"{server.uuid}:{stats.uptime}")
    weights = [rng.random() for _ in range(host_cores)]
    total = sum(weights) or 1.0
    cores = [round(stats.cpu_absolute * weight / total, 3) for weight in weights]
    return {
        "object": "stats",
        "attributes": {
            "state": LEGACY_STATES[stats.state],
            "memory": {
                "current": _php_round(stats.memory_bytes / MIB),
                "limit": float(server.limits.memory),
            },
            "cpu": {
                "current": stats.cpu_absolute,
                "cores": cores,
                "limit": float(server.limits.cpu),
            },
            "disk": {
                "current": _php_round(stats.disk_bytes / 1_000_000),
                "limit": float(server.limits.disk),
            },
        },
    }


def _php_round(value: float) -> float:
    """Return PHP's round() of a non-negative number: half away from zero, as a float."""
    return float(math.floor(value + 0.5))


def atom(unix: float) -> str:
    """Return Carbon's toAtomString() of a stored time: whole seconds, the panel's UTC."""
    return datetime.fromtimestamp(math.floor(unix), UTC).isoformat()


def backup_object(
    backup: SimBackup, spec: FlavorSpec, unix: Callable[[float], float]
) -> dict[str, Any]:
    """Return a `backup` (BackupTransformer; Pelican's adds `is_scheduled`)."""
    attributes: dict[str, Any] = {
        "uuid": backup.uuid,
        "is_successful": backup.is_successful,
        "is_locked": backup.is_locked,
    }
    if spec.is_pelican:
        attributes["is_scheduled"] = backup.is_scheduled
    attributes |= {
        "name": backup.name,
        "ignored_files": backup.ignored_files,
        "checksum": backup.checksum,
        "bytes": backup.bytes,
        "created_at": atom(unix(backup.created_at)),
        "completed_at": None if backup.completed_at is None else atom(unix(backup.completed_at)),
    }
    return {"object": "backup", "attributes": attributes}


def schedule_object(schedule: SimSchedule, unix: Callable[[float], float]) -> dict[str, Any]:
    """Return a `server_schedule` with its default `tasks` include (ScheduleTransformer)."""
    cron = schedule.cron
    tasks = [
        {
            "object": "schedule_task",
            "attributes": {
                "id": task.id,
                "sequence_id": task.sequence_id,
                "action": task.action,
                "payload": task.payload,
                "time_offset": task.time_offset,
                "is_queued": task.is_queued,
                "continue_on_failure": task.continue_on_failure,
                "created_at": atom(unix(task.created_at)),
                "updated_at": atom(unix(task.updated_at)),
            },
        }
        for task in schedule.tasks
    ]
    return {
        "object": "server_schedule",
        "attributes": {
            "id": schedule.id,
            "name": schedule.name,
            "cron": {
                "day_of_week": cron.day_of_week,
                "day_of_month": cron.day_of_month,
                "month": cron.month,
                "hour": cron.hour,
                "minute": cron.minute,
            },
            "is_active": schedule.is_active,
            "is_processing": schedule.is_processing,
            "only_when_online": schedule.only_when_online,
            "last_run_at": _maybe_atom(schedule.last_run_at, unix),
            "next_run_at": _maybe_atom(schedule.next_run_at, unix),
            "created_at": atom(unix(schedule.created_at)),
            "updated_at": atom(unix(schedule.updated_at)),
            "relationships": {"tasks": {"object": "list", "data": tasks}},
        },
    }


def _maybe_atom(at: float | None, unix: Callable[[float], float]) -> str | None:
    """Return `?->toAtomString()`: null stays null."""
    return None if at is None else atom(unix(at))
