"""Schedules on the simulated panel: cron next runs, routes, execute, tasks and the panel's cron."""

from datetime import UTC, datetime
from typing import Any

import pytest

from simulator import Flavor, ManualClock, PanelSimulator, PowerState, TaskSpec
from simulator.cron import CronExpression

from .conftest import PanelClient, PanelFactory
from .test_wings import ids

pytestmark = pytest.mark.usefixtures("socket_enabled")

FLAVORS = [Flavor.V1, Flavor.PELICAN]
# Wednesday 15 January 2025, 03:59:30 UTC.
EPOCH = datetime(2025, 1, 15, 3, 59, 30, tzinfo=UTC).timestamp()
NO_TASKS = "Cannot process schedule for task execution: no tasks are registered."


def at(text: str) -> float:
    """Return the Unix time of "YYYY-mm-dd HH:MM[:SS]" UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def path(identifier: str, suffix: str = "") -> str:
    """Return a server's schedules route."""
    return f"/api/client/servers/{identifier}/schedules{suffix}"


async def schedule_json(panel: PanelClient, identifier: str, schedule_id: int) -> dict[str, Any]:
    """Return a schedule's attributes as GET …/schedules/{schedule} shows them."""
    reply = await panel.get(path(identifier, f"/{schedule_id}"))
    assert reply.status == 200, reply.text
    attributes: dict[str, Any] = reply.json["attributes"]
    return attributes


@pytest.mark.parametrize(
    ("fields", "now", "expected"),
    [
        ("0 4 * * *", "2025-01-15 03:59:59", "2025-01-15 04:00"),
        # The current minute never counts, even at its first second.
        ("0 4 * * *", "2025-01-15 04:00:00", "2025-01-16 04:00"),
        ("*/15 * * * *", "2025-01-15 10:07:00", "2025-01-15 10:15"),
        ("5-10/5 * * * *", "2025-01-15 10:07:00", "2025-01-15 10:10"),
        ("0 9-17/4 * * MON-FRI", "2025-01-17 17:30:00", "2025-01-20 09:00"),
        # A restricted day of month OR a restricted weekday.
        ("0 0 1 * MON", "2025-01-15 12:00:00", "2025-01-20 00:00"),
        ("0 0 1 * MON", "2025-01-28 12:00:00", "2025-02-01 00:00"),
        # `?` restricts nothing: Mondays only.
        ("0 0 ? * 1", "2025-01-15 12:00:00", "2025-01-20 00:00"),
        # 7 is Sunday too.
        ("0 12 * * 7", "2025-01-15 12:00:00", "2025-01-19 12:00"),
        ("30 6 29 FEB *", "2025-01-15 12:00:00", "2028-02-29 06:30"),
        ("0 0 * * */7", "2025-01-15 12:00:00", "2025-01-19 00:00"),
    ],
)
def test_cron_next_run(fields: str, now: str, expected: str) -> None:
    """getNextRunDate(): the first matching minute after the current one, UTC."""
    assert CronExpression(*fields.split()).next_after(at(now)) == at(expected)


@pytest.mark.parametrize(
    "fields",
    [
        "5/10 * * * *",
        "60 * * * *",
        "* 24 * * *",
        "* * 0 * *",
        "*/0 * * * *",
        "* * * 13 *",
        "1-2-3 * * * *",
        "* * * * FUNDAY",
    ],
)
def test_cron_invalid(fields: str) -> None:
    """Fields upstream's validate() refuses."""
    with pytest.raises(ValueError, match=r"."):
        CronExpression(*fields.split())


def test_impossible_cron() -> None:
    """A date that never comes (getRunDate gives up)."""
    with pytest.raises(ValueError, match="Impossible"):
        CronExpression("0", "0", "31", "FEB", "*").next_after(at("2025-01-15 00:00"))


@pytest.mark.parametrize("flavor", FLAVORS)
async def test_list_and_view_shapes(make_panel: PanelFactory, flavor: Flavor) -> None:
    """Schedules with their tasks included, no pagination; next_run_at from the cron."""
    panel = await make_panel(flavor=flavor, epoch=EPOCH)
    first, second, third = ids(panel)
    reply = await panel.get(path(first))
    assert reply.status == 200
    assert list(reply.json) == ["object", "data"]
    nightly, weekly = reply.json["data"]
    assert nightly["object"] == "server_schedule"
    attributes = nightly["attributes"]
    assert list(attributes) == [
        "id", "name", "cron", "is_active", "is_processing", "only_when_online", "last_run_at",
        "next_run_at", "created_at", "updated_at", "relationships",
    ]  # fmt: skip
    assert attributes["cron"] == {
        "day_of_week": "*", "day_of_month": "*", "month": "*", "hour": "4", "minute": "0",
    }  # fmt: skip
    assert (attributes["name"], attributes["is_active"], attributes["is_processing"]) == (
        "Nightly backup", True, False,
    )  # fmt: skip
    assert attributes["last_run_at"] is None
    assert attributes["next_run_at"] == "2025-01-15T04:00:00+00:00"
    assert attributes["created_at"] == "2025-01-08T03:59:30+00:00"
    [task] = attributes["relationships"]["tasks"]["data"]
    assert task["object"] == "schedule_task"
    assert list(task["attributes"]) == [
        "id", "sequence_id", "action", "payload", "time_offset", "is_queued",
        "continue_on_failure", "created_at", "updated_at",
    ]  # fmt: skip
    assert (task["attributes"]["action"], task["attributes"]["payload"]) == ("backup", "logs")
    weekly_attributes = weekly["attributes"]
    assert weekly_attributes["is_active"] is False
    # Monday 20 January, 06:00.
    assert weekly_attributes["next_run_at"] == "2025-01-20T06:00:00+00:00"
    tasks = [t["attributes"] for t in weekly_attributes["relationships"]["tasks"]["data"]]
    assert [(t["sequence_id"], t["action"], t["time_offset"]) for t in tasks] == [
        (1, "command", 0), (2, "power", 300),
    ]  # fmt: skip
    assert await schedule_json(panel, first, attributes["id"]) == attributes
    # `{schedule}` is bound by id within the server.
    for other, key in ((third, attributes["id"]), (first, 999), (first, "abc")):
        missing = await panel.get(path(other, f"/{key}"))
        assert missing.status == 404
        assert missing.error["detail"] == "The requested resource could not be found on the server."
    assert [s["attributes"]["name"] for s in (await panel.get(path(second))).json["data"]] == [
        "Announcement"
    ]
    assert (await panel.get(path(third))).json == {"object": "list", "data": []}


async def test_legacy_has_no_schedules(make_panel: PanelFactory) -> None:
    """Panel 0.7's client API has no schedule routes."""
    panel = await make_panel(flavor=Flavor.LEGACY)
    assert (await panel.get(path(ids(panel)[0]))).status == 404
    assert panel.sim.schedules_of(ids(panel)[0]) == []


async def test_permissions(make_panel: PanelFactory) -> None:
    """schedule.read reads; executing needs schedule.update (TriggerScheduleRequest)."""
    panel = await make_panel()
    identifier = ids(panel)[0]
    schedule = panel.sim.add_schedule(identifier, "Say", tasks=[("command", "say hi")])
    execute = path(identifier, f"/{schedule.id}/execute")
    panel.sim.make_subuser(identifier, ["schedule.read"])
    assert (await panel.get(path(identifier))).status == 200
    assert (await panel.get(path(identifier, f"/{schedule.id}"))).status == 200
    refused = await panel.post(execute)
    assert refused.status == 403
    assert refused.error["detail"] == "This action is unauthorized."
    panel.sim.make_subuser(identifier, ["schedule.update"])
    assert (await panel.get(path(identifier))).status == 403
    assert (await panel.get(path(identifier, f"/{schedule.id}"))).status == 403
    assert (await panel.post(execute)).status == 202


@pytest.mark.parametrize("flavor", FLAVORS)
async def test_execute_runs_the_first_task_now(
    make_panel: PanelFactory, clock: ManualClock, flavor: Flavor
) -> None:
    """202 `[]`; an inactive schedule runs too; later tasks follow their offsets."""
    panel = await make_panel(flavor=flavor, epoch=EPOCH)
    identifier = ids(panel)[0]
    server = panel.sim.servers[identifier]
    tasks = [TaskSpec("command", "say Restarting"), TaskSpec("power", "restart", 60)]
    schedule = panel.sim.add_schedule(identifier, "Restart", "0 6 * * *", tasks, active=False)
    clock.advance(30)
    reply = await panel.post(path(identifier, f"/{schedule.id}/execute"))
    assert (reply.status, reply.text) == (202, "[]")
    assert server.commands == ["say Restarting"]
    running = await schedule_json(panel, identifier, schedule.id)
    assert running["is_processing"] is True
    assert running["last_run_at"] is None
    assert running["next_run_at"] == "2025-01-15T06:00:00+00:00"
    queued = [t["attributes"]["is_queued"] for t in running["relationships"]["tasks"]["data"]]
    assert queued == [False, True]
    assert server.power_signals == []
    clock.advance(60)
    done = await schedule_json(panel, identifier, schedule.id)
    assert server.power_signals == ["restart"]
    assert server.power_state is PowerState.STOPPING
    assert done["is_processing"] is False
    assert done["last_run_at"] == "2025-01-15T04:01:00+00:00"
    assert done["is_active"] is False


async def test_execute_without_tasks(make_panel: PanelFactory) -> None:
    """A schedule without tasks cannot run: 400 DisplayException."""
    panel = await make_panel()
    identifier = ids(panel)[2]
    schedule = panel.sim.add_schedule(identifier, "Empty", tasks=[])
    reply = await panel.post(path(identifier, f"/{schedule.id}/execute"))
    assert reply.status == 400
    assert reply.error == {"code": "DisplayException", "status": "400", "detail": NO_TASKS}


@pytest.mark.parametrize("flavor", FLAVORS)
async def test_backup_task_rotates(make_panel: PanelFactory, flavor: Flavor) -> None:
    """A schedule's backup task deletes the oldest unlocked backup at the limit (override)."""
    panel = await make_panel(flavor=flavor)
    identifier = ids(panel)[0]
    sim = panel.sim
    sim.set_backup_limit(identifier, 2)
    locked, unlocked = sim.backups_of(identifier)
    schedule = sim.add_schedule(identifier, "Backup", tasks=[("backup", "logs\ncache")])
    reply = await panel.post(path(identifier, f"/{schedule.id}/execute"))
    assert reply.status == 202
    kept, made = sim.backups_of(identifier)
    assert kept is locked
    assert made.ignored_files == ["logs", "cache"]
    # Pelican's CreateBackupSchema marks it as scheduled.
    assert made.is_scheduled is (flavor is Flavor.PELICAN)
    assert unlocked.deleted


async def test_backup_task_with_only_locked_backups(make_panel: PanelFactory) -> None:
    """Nothing to rotate: the task's TooManyBackupsException is the answer; the run ends."""
    panel = await make_panel(epoch=EPOCH)
    identifier = ids(panel)[0]
    panel.sim.set_backup_limit(identifier, 1)
    for backup in panel.sim.backups_of(identifier):
        backup.is_locked = True
    schedule = panel.sim.add_schedule(identifier, "Backup")
    reply = await panel.post(path(identifier, f"/{schedule.id}/execute"))
    assert reply.status == 400
    assert reply.error["code"] == "TooManyBackupsException"
    attributes = await schedule_json(panel, identifier, schedule.id)
    assert attributes["is_processing"] is False
    assert attributes["last_run_at"] == "2025-01-15T03:59:30+00:00"


@pytest.mark.parametrize(
    ("flavor", "status", "code"),
    [(Flavor.V1, 504, "DaemonConnectionException"), (Flavor.PELICAN, 500, "ConnectionException")],
)
async def test_task_failures(
    make_panel: PanelFactory, clock: ManualClock, flavor: Flavor, status: int, code: str
) -> None:
    """A connection failure fails the run, unless the task may fail: then the next one runs."""
    panel = await make_panel(flavor=flavor)
    identifier = ids(panel)[1]
    sim = panel.sim
    sim.set_node_down(identifier)
    strict = sim.add_schedule(identifier, "Start", tasks=[("power", "start")])
    reply = await panel.post(path(identifier, f"/{strict.id}/execute"))
    assert (reply.status, reply.error["code"]) == (status, code)
    tasks = [TaskSpec("power", "start", 0, True), TaskSpec("backup", "", 60)]
    lenient = sim.add_schedule(identifier, "Start", tasks=tasks)
    reply = await panel.post(path(identifier, f"/{lenient.id}/execute"))
    assert reply.status == 202
    sim.set_node_down(identifier, down=False)
    clock.advance(60)
    assert sim.backups_of(identifier)[-1].created_at == sim.clock()


@pytest.mark.parametrize("flavor", FLAVORS)
async def test_command_task_to_an_offline_server(make_panel: PanelFactory, flavor: Flavor) -> None:
    """1.x: Wings' 502 fails the run; Pelican: Server::send() drops it silently (202)."""
    panel = await make_panel(flavor=flavor)
    identifier = ids(panel)[1]
    schedule = panel.sim.add_schedule(identifier, "Say", tasks=[("command", "say hi")])
    reply = await panel.post(path(identifier, f"/{schedule.id}/execute"))
    if flavor is Flavor.PELICAN:
        assert reply.status == 202
    else:
        assert (reply.status, reply.error["code"]) == (502, "DaemonConnectionException")
    assert panel.sim.servers[identifier].commands == []


@pytest.mark.parametrize(
    ("flavor", "state", "runs"),
    [
        (Flavor.V1, PowerState.OFFLINE, False),
        (Flavor.V1, PowerState.STOPPING, False),
        (Flavor.V1, PowerState.STARTING, True),
        (Flavor.PELICAN, PowerState.OFFLINE, False),
        # Pelican's ContainerStatus::isOffline(): offline and missing only.
        (Flavor.PELICAN, PowerState.STOPPING, True),
    ],
)
async def test_only_when_online(
    make_panel: PanelFactory, flavor: Flavor, state: PowerState, runs: bool
) -> None:
    """`only_when_online` ends the run at once, 202, when Wings says the server is down."""
    panel = await make_panel(flavor=flavor)
    identifier = ids(panel)[1]
    panel.sim.set_state(identifier, power=state)
    schedule = panel.sim.add_schedule(
        identifier, "Say", tasks=[("command", "say hi")], only_when_online=True
    )
    reply = await panel.post(path(identifier, f"/{schedule.id}/execute"))
    assert reply.status == 202
    assert panel.sim.servers[identifier].commands == (["say hi"] if runs else [])
    attributes = await schedule_json(panel, identifier, schedule.id)
    assert attributes["is_processing"] is False
    assert attributes["last_run_at"] is not None


async def test_the_panel_runs_due_schedules(make_panel: PanelFactory, clock: ManualClock) -> None:
    """Every minute the panel runs active, due schedules of servers without a status."""
    panel = await make_panel(epoch=EPOCH)
    sim = panel.sim
    first, second, third = ids(panel)
    sim.set_backup_limit(third, 10)
    sim.set_backup_throttle(10, 600)
    every = sim.add_schedule(third, "Every 5", "*/5 * * * *")
    idle = sim.add_schedule(third, "Idle", "*/5 * * * *", active=False)
    sim.add_schedule(second, "Suspended", "*/5 * * * *")
    sim.suspend(second)
    assert sim.servers[first].power_state is PowerState.RUNNING
    clock.advance(30 + 11 * 60)
    made = [b.created_at for b in sim.backups_of(third)]
    assert [sim.workload.unix(t) for t in made] == [
        at("2025-01-15 04:00"),
        at("2025-01-15 04:05"),
        at("2025-01-15 04:10"),
    ]
    attributes = await schedule_json(panel, third, every.id)
    assert attributes["last_run_at"] == "2025-01-15T04:10:00+00:00"
    assert attributes["next_run_at"] == "2025-01-15T04:15:00+00:00"
    assert (await schedule_json(panel, third, idle.id))["last_run_at"] is None
    # Only the seeded failed backup: a suspended server's schedules do not run.
    assert len(sim.backups_of(second)) == 1
    # The seeded nightly backup of the first server ran at 04:00 too.
    assert sim.workload.unix(sim.backups_of(first)[-1].created_at) == at("2025-01-15 04:00")


async def test_a_queued_task_of_a_deactivated_schedule(
    make_panel: PanelFactory, clock: ManualClock
) -> None:
    """A cron run whose schedule is deactivated before its next task stops there."""
    panel = await make_panel(epoch=EPOCH)
    identifier = ids(panel)[0]
    sim = panel.sim
    tasks = [TaskSpec("command", "say one"), TaskSpec("command", "say two", 120)]
    schedule = sim.add_schedule(identifier, "Twice", "0 4 * * *", tasks)
    clock.advance(31)
    # Nothing runs in the background: a request (or a Wings tick) catches up first.
    assert sim.servers[identifier].commands == []
    assert (await panel.get(path(identifier))).status == 200
    assert sim.servers[identifier].commands == ["say one"]
    schedule.is_active = False
    clock.advance(120)
    sim.workload.settle()
    assert sim.servers[identifier].commands == ["say one"]
    assert schedule.is_processing is False


async def test_deleted_schedule_stops(make_panel: PanelFactory, clock: ManualClock) -> None:
    """Deleting a schedule drops its queued tasks."""
    panel = await make_panel()
    identifier = ids(panel)[0]
    sim = panel.sim
    tasks = [TaskSpec("command", "say one"), TaskSpec("command", "say two", 120)]
    schedule = sim.add_schedule(identifier, "Twice", tasks=tasks)
    assert (await panel.post(path(identifier, f"/{schedule.id}/execute"))).status == 202
    sim.delete_schedule(identifier, schedule.id)
    clock.advance(200)
    sim.workload.settle()
    assert sim.servers[identifier].commands == ["say one"]
    assert (await panel.get(path(identifier, f"/{schedule.id}"))).status == 404
    with pytest.raises(KeyError):
        sim.delete_schedule(identifier, schedule.id)


def test_controls_refuse_what_the_panel_refuses(clock: ManualClock) -> None:
    """Bad cron fields and tasks are refused as the panel's validation refuses them."""
    sim = PanelSimulator(clock=clock)
    identifier = next(iter(sim.servers))
    for cron in ("* * * *", "61 * * * *"):
        with pytest.raises(ValueError, match=r"."):
            sim.add_schedule(identifier, "Bad", cron)
    for task in (
        TaskSpec("delete_files", "x"),
        TaskSpec("power", "explode"),
        TaskSpec("backup", "", 901),
    ):
        with pytest.raises(ValueError, match=r"."):
            sim.add_schedule(identifier, "Bad", tasks=[task])


def test_seeded_fleet_is_deterministic(clock: ManualClock) -> None:
    """Seeded backups and schedules come from the seed (0.7 has none)."""
    one, two = (PanelSimulator(clock=clock, servers=6, seed=7) for _ in range(2))
    for first, second in zip(one.servers, two.servers, strict=True):
        assert first == second
        assert [b.uuid for b in one.backups_of(first)] == [b.uuid for b in two.backups_of(second)]
    counts = [(len(one.backups_of(s)), len(one.schedules_of(s))) for s in one.servers]
    assert counts == [(2, 2), (1, 1), (0, 0)] * 2
    legacy = PanelSimulator(clock=clock, flavor=Flavor.LEGACY, servers=3, seed=7)
    assert all(legacy.backups_of(s) == legacy.schedules_of(s) == [] for s in legacy.servers)


@pytest.mark.parametrize(("flavor", "status"), [(Flavor.V1, 202), (Flavor.PELICAN, 500)])
async def test_wings_error_in_a_task_that_may_fail(
    make_panel: PanelFactory, flavor: Flavor, status: int
) -> None:
    """Wings' error status lets a task that may fail go on in 1.x, not in Pelican.

    1.x wraps it in a DaemonConnectionException; Pelican's RequestException is no
    ConnectionException.
    """
    panel = await make_panel(flavor=flavor)
    identifier = ids(panel)[1]
    panel.sim.servers[identifier].wings_error = 500
    tasks = [TaskSpec("power", "start", 0, True), TaskSpec("power", "start", 60)]
    schedule = panel.sim.add_schedule(identifier, "Start", tasks=tasks)
    reply = await panel.post(path(identifier, f"/{schedule.id}/execute"))
    assert reply.status == status
    if flavor is Flavor.PELICAN:
        assert reply.error["code"] == "RequestException"
    attributes = await schedule_json(panel, identifier, schedule.id)
    assert attributes["is_processing"] is (flavor is Flavor.V1)
