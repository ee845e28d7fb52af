"""Backups on the simulated panel: routes, shapes, limits, throttle, failures, prune and Wings."""

import json
import re
from typing import Any

import pytest

from simulator import Flavor, ManualClock, PowerState
from simulator.backups import ARCHIVE_BYTES_PER_SECOND, ARCHIVE_OVERHEAD_SECONDS

from .conftest import PanelClient, PanelFactory
from .test_wings import connect, fast, ids

pytestmark = pytest.mark.usefixtures("socket_enabled")

FLAVORS = [Flavor.V1, Flavor.PELICAN]
V1_KEYS = [
    "uuid", "is_successful", "is_locked", "name", "ignored_files", "checksum", "bytes",
    "created_at", "completed_at",
]  # fmt: skip
ATOM = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00")
LOCKED = "Cannot delete a backup that is marked as locked."


def path(identifier: str, suffix: str = "") -> str:
    """Return a server's backups route."""
    return f"/api/client/servers/{identifier}/backups{suffix}"


async def create(panel: PanelClient, identifier: str, body: Any = None) -> dict[str, Any]:
    """Start a backup through the API; return its attributes."""
    reply = await panel.post(path(identifier), body or {})
    assert reply.status == 200, reply.text
    assert reply.json["object"] == "backup"
    attributes: dict[str, Any] = reply.json["attributes"]
    return attributes


async def attributes(panel: PanelClient, identifier: str, uuid: str) -> dict[str, Any]:
    """Return one backup as GET …/backups/{backup} shows it."""
    reply = await panel.get(path(identifier, f"/{uuid}"))
    assert reply.status == 200, reply.text
    found: dict[str, Any] = reply.json["attributes"]
    return found


def took(panel: PanelClient, identifier: str) -> float:
    """Return how long an archive of the server takes at most (sizes vary by 0.4-0.6)."""
    disk = panel.sim.servers[identifier].disk_mb * 1024 * 1024
    return ARCHIVE_OVERHEAD_SECONDS + 0.6 * disk / ARCHIVE_BYTES_PER_SECOND + 1


@pytest.mark.parametrize("flavor", FLAVORS)
async def test_list_and_view_shapes(make_panel: PanelFactory, flavor: Flavor) -> None:
    """The seeded server's backups: Fractal list with backup_count and pagination; one by uuid."""
    panel = await make_panel(flavor=flavor)
    first, _, third = ids(panel)
    reply = await panel.get(path(first))
    assert reply.status == 200
    body = reply.json
    assert body["object"] == "list"
    assert list(body["meta"]) == ["backup_count", "pagination"]
    assert body["meta"]["backup_count"] == 2
    assert body["meta"]["pagination"] == {
        "total": 2, "count": 2, "per_page": 20, "current_page": 1, "total_pages": 1, "links": {},
    }  # fmt: skip
    older, newer = (entry["attributes"] for entry in body["data"])
    keys = list(V1_KEYS)
    if flavor is Flavor.PELICAN:
        keys.insert(3, "is_scheduled")
        assert (older["is_scheduled"], newer["is_scheduled"]) == (False, True)
    assert list(older) == keys
    assert (older["name"], older["is_locked"], older["is_successful"]) == (
        "Before the 1.21 update", True, True,
    )  # fmt: skip
    assert re.fullmatch(r"sha1:[0-9a-f]{40}", older["checksum"])
    assert older["bytes"] > 0
    assert ATOM.fullmatch(older["created_at"])
    assert ATOM.fullmatch(older["completed_at"])
    assert newer["name"].startswith("Backup at ")
    assert await attributes(panel, first, older["uuid"]) == older
    # `{backup}` is bound within the server: another server's uuid is not found.
    for other in (third, first):
        missing = await panel.get(path(other, "/00000000-0000-4000-8000-000000000000"))
        assert missing.status == 404
        assert missing.error["detail"] == "The requested resource could not be found on the server."
    assert (await panel.get(path(third, f"/{older['uuid']}"))).status == 404


async def test_legacy_has_no_backups(make_panel: PanelFactory) -> None:
    """Panel 0.7's client API has no backup routes."""
    panel = await make_panel(flavor=Flavor.LEGACY)
    assert (await panel.get(path(ids(panel)[0]))).status == 404
    assert panel.sim.backups_of(ids(panel)[0]) == []


@pytest.mark.parametrize("flavor", FLAVORS)
async def test_backup_runs_then_completes(
    make_panel: PanelFactory, clock: ManualClock, flavor: Flavor
) -> None:
    """A new backup shows bytes 0 and no checksum until Wings reports; then the archive's."""
    panel = await make_panel(flavor=flavor)
    identifier = ids(panel)[2]
    started = await create(
        panel, identifier, {"name": "  Before mods  ", "ignored": "logs\n\n*.tmp"}
    )
    assert started["name"] == "Before mods"
    assert started["ignored_files"] == ["logs", "*.tmp"]
    assert (started["is_successful"], started["completed_at"]) == (False, None)
    assert (started["bytes"], started["checksum"], started["is_locked"]) == (0, None, False)
    listed = (await panel.get(path(identifier))).json
    assert listed["meta"]["backup_count"] == 1
    clock.advance(ARCHIVE_OVERHEAD_SECONDS - 0.5)
    assert (await attributes(panel, identifier, started["uuid"]))["completed_at"] is None
    clock.advance(took(panel, identifier))
    done = await attributes(panel, identifier, started["uuid"])
    assert done["is_successful"] is True
    assert done["bytes"] > 0
    assert ATOM.fullmatch(done["completed_at"])
    [backup] = panel.sim.backups_of(identifier)
    assert done["checksum"] == f"sha1:{backup.sha1}"


async def test_default_name(make_panel: PanelFactory) -> None:
    """Without a name (or a blank one) the backup is called "Backup at Y-m-d H:i:s" (UTC)."""
    panel = await make_panel(epoch=1_736_913_852.7)
    started = await create(panel, ids(panel)[2], {"name": "   "})
    assert started["name"] == "Backup at 2025-01-15 04:04:12"
    assert started["created_at"] == "2025-01-15T04:04:12+00:00"


@pytest.mark.parametrize("flavor", FLAVORS)
async def test_backup_completed_event(
    make_panel: PanelFactory, clock: ManualClock, flavor: Flavor
) -> None:
    """Wings publishes `backup completed` with one JSON argument, keys sorted, when done."""
    panel = await make_panel(flavor=flavor, wings=fast())
    identifier = ids(panel)[2]
    socket = await connect(panel, identifier)
    await socket.drain()
    started = await create(panel, identifier)
    clock.advance(took(panel, identifier))
    [argument] = await socket.expect("backup completed")
    done = await attributes(panel, identifier, started["uuid"])
    assert argument == json.dumps(
        {
            "checksum": done["checksum"].removeprefix("sha1:"),
            "checksum_type": "sha1",
            "file_size": done["bytes"],
            "is_successful": True,
            "uuid": started["uuid"],
        },
        separators=(",", ":"),
    )


async def test_failed_backup(make_panel: PanelFactory, clock: ManualClock) -> None:
    """A failed backup: unlocked, no checksum, 0 bytes, not counted; the event says so."""
    panel = await make_panel(wings=fast())
    identifier = ids(panel)[2]
    socket = await connect(panel, identifier)
    await socket.drain()
    panel.sim.fail_next_backup(identifier)
    started = await create(panel, identifier, {"is_locked": True})
    assert started["is_locked"] is True
    clock.advance(took(panel, identifier))
    [argument] = await socket.expect("backup completed")
    assert json.loads(argument) == {
        "checksum": "", "checksum_type": "sha1", "file_size": 0, "is_successful": False,
        "uuid": started["uuid"],
    }  # fmt: skip
    failed = await attributes(panel, identifier, started["uuid"])
    assert (failed["is_successful"], failed["is_locked"], failed["checksum"]) == (
        False,
        False,
        None,
    )
    assert failed["bytes"] == 0
    assert failed["completed_at"] is not None
    assert (await panel.get(path(identifier))).json["meta"]["backup_count"] == 0
    # Only the next one fails.
    await create(panel, identifier)
    clock.advance(took(panel, identifier))
    [argument] = await socket.expect("backup completed")
    assert json.loads(argument)["is_successful"] is True


@pytest.mark.parametrize(
    ("permissions", "heard"),
    [(["websocket.connect"], False), (["websocket.connect", "backup.read"], True)],
)
async def test_backup_event_needs_backup_read(
    make_panel: PanelFactory, clock: ManualClock, permissions: list[str], heard: bool
) -> None:
    """Wings' SendJson drops `backup completed` for a token without backup.read."""
    panel = await make_panel(wings=fast())
    identifier = ids(panel)[2]
    panel.sim.make_subuser(identifier, permissions)
    socket = await connect(panel, identifier)
    await socket.drain()
    panel.sim.start_backup(identifier)
    clock.advance(took(panel, identifier))
    frames = await socket.collect(0.3)
    assert ("backup completed" in [name for name, _ in frames]) is heard


@pytest.mark.parametrize("flavor", FLAVORS)
async def test_backup_limit(make_panel: PanelFactory, clock: ManualClock, flavor: Flavor) -> None:
    """At feature_limits.backups the panel refuses (400) and never rotates for the client API."""
    panel = await make_panel(flavor=flavor)
    identifier = ids(panel)[2]
    panel.sim.set_backup_limit(identifier, 1)
    first = await create(panel, identifier)
    # A running backup counts too.
    refused = await panel.post(path(identifier), {})
    assert refused.status == 400
    assert refused.error == {
        "code": "TooManyBackupsException",
        "status": "400",
        "detail": "Cannot create a new backup, this server has reached its limit of 1 backups.",
    }
    assert [b.uuid for b in panel.sim.backups_of(identifier)] == [first["uuid"]]
    # A failed backup does not count: after one, the limit of 2 still lets a second good one in.
    clock.advance(700)
    panel.sim.fail_next_backup(identifier)
    panel.sim.set_backup_limit(identifier, 2)
    await create(panel, identifier)
    clock.advance(700)
    await create(panel, identifier)
    assert (await panel.post(path(identifier), {})).status == 400
    listed = (await panel.get(path(identifier))).json
    assert (listed["meta"]["backup_count"], listed["meta"]["pagination"]["total"]) == (2, 3)
    # No backups at all for a limit of 0.
    panel.sim.set_backup_limit(identifier, 0)
    clock.advance(700)
    refused = await panel.post(path(identifier), {})
    assert refused.error["detail"].endswith("reached its limit of 0 backups.")


@pytest.mark.parametrize("flavor", FLAVORS)
async def test_backup_throttle(
    make_panel: PanelFactory, clock: ManualClock, flavor: Flavor
) -> None:
    """2 backups per 600 s per server: 429 with Retry-After; 1.x counts deleted ones too."""
    panel = await make_panel(flavor=flavor, epoch=1_736_913_852.0)
    identifier = ids(panel)[2]
    panel.sim.set_backup_limit(identifier, 10)
    first = await create(panel, identifier)
    clock.advance(100)
    await create(panel, identifier)
    clock.advance(50)
    refused = await panel.post(path(identifier), {})
    assert refused.status == 429
    assert refused.error == {
        "code": "TooManyRequestsHttpException",
        "status": "429",
        "detail": "Only 2 backups may be generated within a 600 second span of time.",
    }
    # Seconds until the newest leaves the window.
    assert refused.headers["Retry-After"] == "550"
    # Another server has a throttle of its own.
    assert (await panel.post(path(ids(panel)[1]), {})).status == 200
    clock.advance(took(panel, identifier))
    deleted = await panel.request("DELETE", path(identifier, f"/{first['uuid']}"))
    assert deleted.status == 204
    again = await panel.post(path(identifier), {})
    # pterodactyl/panel soft-deletes and counts deleted backups (withTrashed); Pelican deletes.
    assert again.status == (200 if flavor is Flavor.PELICAN else 429)
    clock.advance(600)
    assert (await panel.post(path(identifier), {})).status == 200
    panel.sim.set_backup_throttle(2, 0)
    for _ in range(3):
        assert (await panel.post(path(identifier), {})).status == 200


async def test_failed_backups_leave_the_throttle(
    make_panel: PanelFactory, clock: ManualClock
) -> None:
    """The throttle counts running and good backups only."""
    panel = await make_panel()
    identifier = ids(panel)[2]
    panel.sim.set_backup_limit(identifier, 10)
    for _ in range(2):
        panel.sim.fail_next_backup(identifier)
        await create(panel, identifier)
    assert (await panel.post(path(identifier), {})).status == 429
    clock.advance(took(panel, identifier))
    assert (await panel.post(path(identifier), {})).status == 200


async def test_permissions(make_panel: PanelFactory) -> None:
    """backup.read lists, backup.create creates (before validation), backup.delete locks."""
    panel = await make_panel()
    identifier = ids(panel)[0]
    backup = panel.sim.backups_of(identifier)[1]
    panel.sim.make_subuser(identifier, ["backup.create"])
    for reply in (
        await panel.get(path(identifier)),
        await panel.get(path(identifier, f"/{backup.uuid}")),
        await panel.post(path(identifier, f"/{backup.uuid}/lock")),
        await panel.request("DELETE", path(identifier, f"/{backup.uuid}")),
    ):
        assert reply.status == 403
        assert reply.error["detail"] == "This action is unauthorized."
    panel.sim.set_backup_limit(identifier, 10)
    # Without backup.delete the lock asked for is ignored.
    created = await create(panel, identifier, {"is_locked": True})
    assert created["is_locked"] is False
    panel.sim.make_subuser(identifier, ["backup.read", "backup.delete"])
    assert (await panel.post(path(identifier), {"name": 5})).status == 403
    assert (await panel.get(path(identifier))).status == 200
    locked = await panel.post(path(identifier, f"/{created['uuid']}/lock"))
    assert locked.json["attributes"]["is_locked"] is True


@pytest.mark.parametrize(("flavor", "longest"), [(Flavor.V1, 191), (Flavor.PELICAN, 255)])
async def test_validation(make_panel: PanelFactory, flavor: Flavor, longest: int) -> None:
    """StoreBackupRequest: name nullable|string|max, is_locked boolean: one 422 for all."""
    panel = await make_panel(flavor=flavor)
    identifier = ids(panel)[2]
    reply = await panel.post(path(identifier), {"name": "x" * (longest + 1), "is_locked": "yes"})
    assert reply.status == 422
    assert [(e["meta"], e["detail"]) for e in reply.json["errors"]] == [
        (
            {"source_field": "name", "rule": "max"},
            f"The name may not be greater than {longest} characters.",
        ),
        (
            {"source_field": "is_locked", "rule": "boolean"},
            "The is_locked field must be true or false.",
        ),
    ]
    assert (await panel.post(path(identifier), {"ignored": ["logs"]})).status == 422
    assert (
        await panel.post(path(identifier), {"name": "x" * longest, "is_locked": "0"})
    ).status == 200


async def test_locked_backup_stays(make_panel: PanelFactory) -> None:
    """A locked good backup cannot be deleted (400); unlocked it can (204)."""
    panel = await make_panel()
    identifier = ids(panel)[0]
    older = panel.sim.backups_of(identifier)[0]
    route = path(identifier, f"/{older.uuid}")
    refused = await panel.request("DELETE", route)
    assert refused.status == 400
    assert refused.error == {"code": "BackupLockedException", "status": "400", "detail": LOCKED}
    unlocked = await panel.post(route + "/lock")
    assert unlocked.status == 200
    assert unlocked.json["attributes"]["is_locked"] is False
    deleted = await panel.request("DELETE", route)
    assert (deleted.status, deleted.text) == (204, "")
    assert (await panel.get(route)).status == 404
    assert older.uuid not in [b.uuid for b in panel.sim.backups_of(identifier)]


async def test_deleting_a_running_backup(make_panel: PanelFactory, clock: ManualClock) -> None:
    """A running backup can be deleted; Wings' report then finds no row and publishes nothing."""
    panel = await make_panel(wings=fast())
    identifier = ids(panel)[2]
    socket = await connect(panel, identifier)
    await socket.drain()
    started = await create(panel, identifier, {"is_locked": True})
    assert (await panel.request("DELETE", path(identifier, f"/{started['uuid']}"))).status == 204
    clock.advance(took(panel, identifier))
    frames = await socket.collect(0.3)
    assert "backup completed" not in [name for name, _ in frames]
    assert panel.sim.backups_of(identifier) == []


async def test_prune_of_an_unreported_backup(make_panel: PanelFactory, clock: ManualClock) -> None:
    """A backup Wings never reports stays running until the half-hourly prune after 6 hours."""
    panel = await make_panel(epoch=1_736_900_000.0)
    identifier = ids(panel)[2]
    panel.sim.set_backup_duration(identifier, None)
    started = await create(panel, identifier)
    clock.advance(6 * 3600)
    assert (await attributes(panel, identifier, started["uuid"]))["completed_at"] is None
    # Created 00:13:20 UTC: six hours old at 06:13:20; the prune runs at 06:30.
    clock.advance(1000)
    pruned = await attributes(panel, identifier, started["uuid"])
    assert pruned["is_successful"] is False
    assert pruned["completed_at"] == "2025-01-15T06:30:00+00:00"


@pytest.mark.parametrize(
    ("flavor", "status", "code"),
    [(Flavor.V1, 504, "DaemonConnectionException"), (Flavor.PELICAN, 500, "ConnectionException")],
)
async def test_node_down(make_panel: PanelFactory, flavor: Flavor, status: int, code: str) -> None:
    """Wings unreachable: the backup is not made (the transaction rolls back)."""
    panel = await make_panel(flavor=flavor)
    identifier = ids(panel)[2]
    panel.sim.set_node_down(identifier)
    reply = await panel.post(path(identifier), {})
    assert (reply.status, reply.error["code"]) == (status, code)
    assert panel.sim.backups_of(identifier) == []


async def test_pagination(make_panel: PanelFactory) -> None:
    """20 a page by default, at most 50; links to the next page keep `page` only."""
    panel = await make_panel()
    identifier = ids(panel)[2]
    for number in range(25):
        panel.sim.add_backup(identifier, f"Backup {number}", age=3600.0 * (25 - number))
    reply = await panel.get(path(identifier))
    pagination = reply.json["meta"]["pagination"]
    assert (pagination["count"], pagination["total_pages"]) == (20, 2)
    assert pagination["links"]["next"].endswith(path(identifier, "?page=2"))
    second = (await panel.get(path(identifier, "?page=2&per_page=20"))).json
    assert [b["attributes"]["name"] for b in second["data"]] == [
        f"Backup {n}" for n in range(20, 25)
    ]
    everything = (await panel.get(path(identifier, "?per_page=100"))).json["meta"]["pagination"]
    assert (everything["per_page"], everything["count"]) == (50, 25)


async def test_suspended_server_conflicts(make_panel: PanelFactory) -> None:
    """AuthenticateServerAccess answers 409 for a suspended server's backups."""
    panel = await make_panel()
    identifier = ids(panel)[0]
    panel.sim.suspend(identifier)
    assert (await panel.get(path(identifier))).status == 409
    assert (await panel.post(path(identifier), {})).status == 409


async def test_running_state_unaffected(make_panel: PanelFactory, clock: ManualClock) -> None:
    """Backing up leaves the process alone."""
    panel = await make_panel()
    identifier = ids(panel)[0]
    panel.sim.set_backup_limit(identifier, 5)
    await create(panel, identifier)
    clock.advance(took(panel, identifier))
    assert panel.sim.servers[identifier].power_state is PowerState.RUNNING


@pytest.mark.parametrize(("flavor", "status"), [(Flavor.V1, 401), (Flavor.PELICAN, 404)])
async def test_binding_order(make_panel: PanelFactory, flavor: Flavor, status: int) -> None:
    """`{backup}` is bound with `{server}`: Pelican before the key is checked, 1.x after it."""
    panel = await make_panel(flavor=flavor)
    unknown = path(ids(panel)[0], "/00000000-0000-4000-8000-000000000000")
    assert (await panel.get(unknown, key=None)).status == status
    # Both bind before an application key is refused (RequireClientApiKey).
    assert (await panel.get(unknown, key="application")).status == 404
    assert (await panel.get(path(ids(panel)[0]), key="application")).status == 403
