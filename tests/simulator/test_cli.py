"""The `python -m simulator` command line."""

import asyncio
import io
from pathlib import Path
import re
import ssl

import aiohttp
import pytest

from simulator import PanelSimulator
from simulator.cli import main, parse_args, serve, simulator_from
from tests.certificates import make_certificate


def test_defaults() -> None:
    options = parse_args([])
    assert (options.servers, options.flavor, options.latency_ms) == (3, "v1", 0.0)
    assert (options.host, options.port, options.rate_limit, options.seed) == (
        "127.0.0.1",
        8080,
        None,
        0,
    )
    sim = simulator_from(options)
    assert sim.rate_limit == 720
    assert len(sim.servers) == 3


def test_options() -> None:
    options = parse_args(
        [
            "--servers", "12", "--flavor", "pelican", "--latency-ms", "25", "--port", "0",
            "--host", "localhost", "--rate-limit", "60", "--seed", "9", "--running", "2",
            "--start-seconds", "0", "--stop-seconds", "0.5", "--require-2fa",
        ]
    )  # fmt: skip
    sim = simulator_from(options)
    assert isinstance(sim, PanelSimulator)
    assert (sim.flavor, sim.rate_limit, sim.latency_ms, sim.require_2fa) == (
        "pelican",
        60,
        25,
        True,
    )
    assert sim.client_key.startswith("pacc_")
    assert [s.power_state.value for s in sim.servers.values()][:3] == [
        "running",
        "running",
        "offline",
    ]
    assert len(sim.servers) == 12
    assert options.host == "localhost"


@pytest.mark.parametrize(
    "argv",
    [
        ["--flavor", "nope"],
        ["--port", "70000"],
        ["--servers", "-1"],
        ["--latency-ms", "-5"],
        ["--tls-cert", "panel.crt"],
    ],
)
def test_bad_arguments(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        parse_args(argv)
    assert raised.value.code == 2
    assert "error" in capsys.readouterr().err


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["--help"])
    assert raised.value.code == 0
    assert "--flavor" in capsys.readouterr().out


@pytest.mark.usefixtures("socket_enabled")
async def test_serve_prints_url_and_keys() -> None:
    out = io.StringIO()
    task = asyncio.create_task(
        serve(["--port", "0", "--servers", "2", "--flavor", "legacy"], out=out)
    )
    try:
        for _ in range(200):
            if "panel_url" in out.getvalue():
                break
            await asyncio.sleep(0.01)
        text = out.getvalue()
        url = re.search(r"^panel_url: (http://127\.0\.0\.1:(\d+))$", text, re.M)
        key = re.search(r"^client_api_key: (\S+)$", text, re.M)
        assert url is not None
        assert key is not None
        assert int(url.group(2)) != 0
        assert re.search(r"^application_api_key: \S{48}$", text, re.M)
        assert text.count("server: ") == 2
        headers = {"Authorization": f"Bearer {key.group(1)}", "Accept": "application/json"}
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{url.group(1)}/api/client", headers=headers) as response,
        ):
            assert response.status == 200
            assert len((await response.json())["data"]) == 2
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


@pytest.mark.usefixtures("socket_enabled")
async def test_serve_https(tmp_path: Path) -> None:
    """--tls-cert and --tls-key serve the panel over HTTPS."""
    certificate = make_certificate(tmp_path)
    out = io.StringIO()
    argv = ["--port", "0", "--tls-cert", str(certificate.cert_path)]
    task = asyncio.create_task(serve([*argv, "--tls-key", str(certificate.key_path)], out=out))
    try:
        for _ in range(200):
            if "panel_url" in out.getvalue():
                break
            await asyncio.sleep(0.01)
        url = re.search(r"^panel_url: (https://127\.0\.0\.1:\d+)$", out.getvalue(), re.M)
        assert url is not None
        trusting = ssl.create_default_context(cafile=certificate.cert_path)
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{url.group(1)}/auth/login", ssl=trusting) as response,
        ):
            assert response.status == 200
    finally:
        task.cancel()
