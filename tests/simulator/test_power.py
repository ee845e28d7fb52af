"""Power state machine, statistics, power and command endpoints."""

import pytest

from simulator import ManualClock, PanelSimulator, PowerSignal, PowerState, SimServer
from tests.simulator.conftest import PanelClient, PanelFactory


def _state(server: SimServer) -> PowerState:
    """Read the state through a call, so mypy does not narrow it between clock moves."""
    return server.power_state


def _offline_server(clock: ManualClock) -> tuple[PanelSimulator, str]:
    sim = PanelSimulator(servers=1, running=0, clock=clock, start_seconds=3, stop_seconds=2)
    return sim, next(iter(sim.servers))


def test_start_and_stop(clock: ManualClock) -> None:
    sim, identifier = _offline_server(clock)
    server = sim.servers[identifier]
    server.apply_signal(PowerSignal.START)
    assert _state(server) is PowerState.STARTING
    clock.advance(2.9)
    assert _state(server) is PowerState.STARTING
    clock.advance(0.1)
    assert _state(server) is PowerState.RUNNING
    # Starting a running server is ignored, like wings does.
    server.apply_signal(PowerSignal.START)
    assert _state(server) is PowerState.RUNNING
    server.apply_signal(PowerSignal.STOP)
    assert _state(server) is PowerState.STOPPING
    clock.advance(2)
    assert _state(server) is PowerState.OFFLINE
    server.apply_signal(PowerSignal.STOP)
    assert _state(server) is PowerState.OFFLINE
    assert server.power_signals == ["start", "start", "stop", "stop"]


def test_restart_and_kill(clock: ManualClock) -> None:
    sim, identifier = _offline_server(clock)
    server = sim.servers[identifier]
    server.set_power(PowerState.RUNNING)
    server.apply_signal(PowerSignal.RESTART)
    seen = []
    for _ in range(6):
        seen.append(server.power_state.value)
        clock.advance(1)
    assert seen == ["stopping", "stopping", "starting", "starting", "starting", "running"]
    server.apply_signal(PowerSignal.KILL)
    assert _state(server) is PowerState.OFFLINE
    # Restarting an offline server just starts it.
    server.apply_signal(PowerSignal.RESTART)
    assert _state(server) is PowerState.STARTING
    server.apply_signal(PowerSignal.KILL)
    assert _state(server) is PowerState.OFFLINE
    clock.advance(10)
    assert _state(server) is PowerState.OFFLINE


def test_zero_durations(clock: ManualClock) -> None:
    sim = PanelSimulator(servers=1, running=0, clock=clock, start_seconds=0, stop_seconds=0)
    server = next(iter(sim.servers.values()))
    server.apply_signal(PowerSignal.START)
    assert _state(server) is PowerState.RUNNING
    server.apply_signal(PowerSignal.RESTART)
    assert _state(server) is PowerState.RUNNING
    server.apply_signal(PowerSignal.STOP)
    assert _state(server) is PowerState.OFFLINE


def test_stats_evolve_while_running(clock: ManualClock) -> None:
    sim, identifier = _offline_server(clock)
    server = sim.servers[identifier]
    offline = server.stats()
    assert (offline.memory_bytes, offline.cpu_absolute, offline.uptime) == (0, 0.0, 0)
    assert offline.network_rx_bytes == offline.network_tx_bytes == 0
    assert offline.disk_bytes > 0
    server.apply_signal(PowerSignal.START)
    clock.advance(1)
    booting = server.stats()
    assert booting.state is PowerState.STARTING
    assert booting.uptime == 1000
    clock.advance(10)
    early = server.stats()
    clock.advance(120)
    later = server.stats()
    assert later.state is PowerState.RUNNING
    assert later.uptime == 131_000
    assert later.memory_bytes > early.memory_bytes > 0
    assert later.memory_bytes <= later.memory_limit_bytes
    assert later.network_rx_bytes > early.network_rx_bytes > 0
    assert later.network_tx_bytes > early.network_tx_bytes
    samples = set()
    for _ in range(20):
        clock.advance(1)
        cpu = server.stats().cpu_absolute
        assert cpu == round(cpu, 3)
        assert 0 < cpu <= server.limits.cpu
        samples.add(cpu)
    assert len(samples) > 10
    server.apply_signal(PowerSignal.KILL)
    stopped = server.stats()
    assert (stopped.memory_bytes, stopped.uptime, stopped.network_rx_bytes) == (0, 0, 0)
    assert stopped.disk_bytes == offline.disk_bytes


async def test_power_over_http(make_panel: PanelFactory, clock: ManualClock) -> None:
    # Without the panel's 20 s cache, so each read shows the state at once.
    api = await make_panel(
        servers=2, running=0, start_seconds=3, stop_seconds=2, resources_cache_seconds=0
    )
    identifier = list(api.sim.servers)[1]
    path = f"/api/client/servers/{identifier}/resources"

    async def state() -> str:
        return str((await api.get(path)).json["attributes"]["current_state"])

    assert await state() == "offline"
    reply = await api.power(identifier, "start")
    assert (reply.status, reply.text) == (204, "")
    assert await state() == "starting"
    clock.advance(3)
    assert await state() == "running"
    resources = (await api.get(path)).json["attributes"]["resources"]
    assert resources["uptime"] == 3000
    assert resources["memory_bytes"] > 0
    assert (await api.power(identifier, "restart")).status == 204
    assert await state() == "stopping"
    clock.advance(2)
    assert await state() == "starting"
    clock.advance(3)
    assert await state() == "running"
    assert (await api.power(identifier, "kill")).status == 204
    assert await state() == "offline"
    assert api.sim.servers[identifier].power_signals == ["start", "restart", "kill"]


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"signal": "explode"}, [("The selected signal is invalid.", "in")]),
        ({}, [("The signal field is required.", "required")]),
        ({"signal": "   "}, [("The signal field is required.", "required")]),
        (
            {"signal": 5},
            [
                ("The signal must be a string.", "string"),
                ("The selected signal is invalid.", "in"),
            ],
        ),
    ],
)
async def test_power_validation(
    panel: PanelClient, body: dict[str, object], errors: list[tuple[str, str]]
) -> None:
    identifier = next(iter(panel.sim.servers))
    reply = await panel.post(f"/api/client/servers/{identifier}/power", body)
    assert reply.status == 422
    assert reply.json == {
        "errors": [
            {
                "code": "ValidationException",
                "status": "422",
                "detail": detail,
                "meta": {"source_field": "signal", "rule": rule},
            }
            for detail, rule in errors
        ]
    }


async def test_legacy_validation_wording(make_panel: PanelFactory) -> None:
    api = await make_panel(flavor="legacy")
    identifier = next(iter(api.sim.servers))
    reply = await api.power(identifier, ["start"])
    assert reply.error["detail"] == "The signal must be a string."


async def test_malformed_json(panel: PanelClient) -> None:
    identifier = next(iter(panel.sim.servers))
    reply = await panel.request(
        "POST", f"/api/client/servers/{identifier}/power", data='{"signal": "st'
    )
    assert reply.status == 400
    assert reply.error["code"] == "BadRequestHttpException"
    assert reply.error["detail"].startswith(
        "The JSON data passed in the request appears to be malformed"
    )


async def test_form_encoded_power(panel: PanelClient) -> None:
    identifier = list(panel.sim.servers)[1]
    reply = await panel.request(
        "POST",
        f"/api/client/servers/{identifier}/power",
        data="signal=start",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert reply.status == 204
    assert panel.sim.servers[identifier].power_signals == ["start"]


async def test_subuser_permissions(panel: PanelClient) -> None:
    identifier = list(panel.sim.servers)[1]
    panel.sim.make_subuser(identifier, ["control.start"])
    # Authorization runs before validation: an invalid signal is a 403 for subusers.
    invalid = await panel.power(identifier, "explode")
    assert invalid.status == 403
    assert invalid.json == {
        "errors": [
            {
                "code": "AccessDeniedHttpException",
                "status": "403",
                "detail": "This action is unauthorized.",
            }
        ]
    }
    assert (await panel.power(identifier, "restart")).status == 403
    assert (await panel.power(identifier, "kill")).status == 403
    assert (await panel.command(identifier, "say hi")).status == 403
    assert (await panel.power(identifier, "start")).status == 204
    panel.sim.make_subuser(identifier, ["control.stop", "control.console"])
    assert (await panel.power(identifier, "kill")).status == 204
    assert panel.sim.servers[identifier].power_signals == ["start", "kill"]


async def test_command_to_running_server(panel: PanelClient) -> None:
    identifier = next(iter(panel.sim.servers))
    reply = await panel.command(identifier, "  say hello  ")
    assert (reply.status, reply.text) == (204, "")
    # Laravel trims input strings.
    assert panel.sim.servers[identifier].commands == ["say hello"]


@pytest.mark.parametrize(
    ("command", "detail", "rule"),
    [
        ("", "The command field is required.", "required"),
        (None, "The command field is required.", "required"),
        (42, "The command must be a string.", "string"),
    ],
)
async def test_command_validation(
    panel: PanelClient, command: object, detail: str, rule: str
) -> None:
    identifier = next(iter(panel.sim.servers))
    reply = await panel.command(identifier, command)
    assert reply.status == 422
    assert reply.error == {
        "code": "ValidationException",
        "status": "422",
        "detail": detail,
        "meta": {"source_field": "command", "rule": rule},
    }


V1_OFFLINE = {
    "code": "HttpException",
    "status": "502",
    "detail": "Server must be online in order to send commands.",
}
# 0.7's Handler replaces the PreconditionFailedHttpException's "Server is not online.".
LEGACY_OFFLINE = {
    "code": "PreconditionFailedHttpException",
    "status": "412",
    "detail": "An error was encountered while processing this request.",
}


@pytest.mark.parametrize(
    ("flavor", "status", "error"),
    [("v1", 502, V1_OFFLINE), ("legacy", 412, LEGACY_OFFLINE), ("pelican", 204, None)],
)
async def test_command_to_offline_server(
    make_panel: PanelFactory, flavor: str, status: int, error: dict[str, str] | None
) -> None:
    api = await make_panel(flavor=flavor)
    identifier = list(api.sim.servers)[1]
    reply = await api.command(identifier, "say hi")
    assert reply.status == status
    if error is None:
        assert reply.text == ""
    else:
        assert reply.json == {"errors": [error]}
    assert api.sim.servers[identifier].commands == []


async def test_commands_accepted_while_starting(make_panel: PanelFactory) -> None:
    api = await make_panel(running=0)
    identifier = next(iter(api.sim.servers))
    await api.power(identifier, "start")
    assert (await api.command(identifier, "op demo")).status == 204
    assert api.sim.servers[identifier].commands == ["op demo"]


async def test_resources_cache(make_panel: PanelFactory, clock: ManualClock) -> None:
    api = await make_panel(resources_cache_seconds=20, start_seconds=0)
    identifier = list(api.sim.servers)[1]
    path = f"/api/client/servers/{identifier}/resources"
    assert (await api.get(path)).json["attributes"]["current_state"] == "offline"
    await api.power(identifier, "start")
    assert (await api.get(path)).json["attributes"]["current_state"] == "offline"
    clock.advance(20)
    assert (await api.get(path)).json["attributes"]["current_state"] == "running"
