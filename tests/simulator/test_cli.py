"""``python -m simulator``: run as a real process, and ``serve()`` in-process."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import contextlib
from datetime import UTC, datetime
from pathlib import Path
import signal
import socket
import ssl
import sys

import aiohttp
import pytest
import yaml

from simulator.__main__ import parse_args, serve

from ..tls import write_certificate

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Process:
    """A simulator process and the lines it has printed."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[str] = []

    async def read_until(self, text: str) -> str:
        """The first printed line containing ``text`` (bounded wait)."""
        assert self.process.stdout is not None
        async with asyncio.timeout(30):
            while True:
                raw = await self.process.stdout.readline()
                if not raw:
                    stderr = await self.process.stderr.read() if self.process.stderr else b""
                    raise AssertionError(f"the simulator exited: {stderr.decode()}")
                line = raw.decode().rstrip()
                self.lines.append(line)
                if text in line:
                    return line

    async def stop(self, sig: int = signal.SIGTERM) -> int:
        self.process.send_signal(sig)
        async with asyncio.timeout(30):
            return await self.process.wait()


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@contextlib.asynccontextmanager
async def simulator(*args: str) -> AsyncIterator[Process]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "simulator",
        *args,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        # A shell that starts pytest in the background makes it ignore SIGINT, and a
        # child inherits that; the Ctrl-C test needs the default back.
        preexec_fn=_default_sigint,
    )
    try:
        yield Process(process)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_runs_the_demo(session: aiohttp.ClientSession) -> None:
    port = free_port()
    async with simulator("--port", str(port)) as proc:
        line = await proc.read_until("Tesla Fleet API simulator on")
        assert line == f"Tesla Fleet API simulator on http://127.0.0.1:{port}"
        token_line = await proc.read_until("access token")
        assert token_line.strip() == "access token for demo@example.com: demo-access-token"
        assert (
            await proc.read_until("re.alto simulator on")
            == f"re.alto simulator on http://127.0.0.1:{port}/api"
        )
        client_line = await proc.read_until("client id")
        assert client_line.strip() == "client id demo-client, client secret demo-secret"
        async with session.get(f"http://127.0.0.1:{port}/status") as response:
            assert response.status == 200
            assert await response.text() == "ok"
        headers = {"Authorization": "Bearer demo-access-token"}
        async with session.get(f"http://127.0.0.1:{port}/api/1/vehicles", headers=headers) as response:
            vins = [v["vin"] for v in (await response.json())["response"]]
        assert vins == ["LRW3E7EK4NC000001", "5YJSA1E41GF000002"]
        # SIGTERM ends it cleanly.
        assert await proc.stop() == 0


async def test_scenario_file_and_speed(tmp_path: Path, session: aiohttp.ClientSession) -> None:
    scenario = {
        "start": "2030-06-01T12:00:00Z",
        "tesla": {
            "accounts": [
                {
                    "email": "cli@example.com",
                    "tokens": [{"access_token": "cli-token"}, {}],  # a fixed and a generated one
                    "vehicles": [
                        {"vin": "5YJ3E1EA1NF000123", "id": 7, "settings": {"sleep_after": 60}},
                    ],
                }
            ]
        },
    }
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(scenario))
    port = free_port()
    async with simulator("--port", str(port), "--scenario", str(path), "--speed", "1000") as proc:
        await proc.read_until("Tesla Fleet API simulator on")
        assert (
            await proc.read_until("access token")
        ).strip() == "access token for cli@example.com: cli-token"
        assert sum("access token" in line for line in proc.lines) == 1  # JWTs are not printed
        url = f"http://127.0.0.1:{port}"
        async with session.get(f"{url}/sim/state") as response:
            state = await response.json()
        assert list(state["vehicles"]) == ["5YJ3E1EA1NF000123"]
        start = datetime(2030, 6, 1, 12, tzinfo=UTC).timestamp()
        assert state["now"] >= start  # the scenario's start, not today
        # At 1000x, the 60 s until sleep pass in about 60 ms of real time.
        async with asyncio.timeout(20):
            while state["vehicles"]["5YJ3E1EA1NF000123"]["state"] != "asleep":
                await asyncio.sleep(0.05)
                async with session.get(f"{url}/sim/state") as response:
                    state = await response.json()
        # Ctrl-C ends it cleanly too.
        assert await proc.stop(signal.SIGINT) == 0


async def test_proxy_port_over_tls(tmp_path: Path, session: aiohttp.ClientSession) -> None:
    cert, key = write_certificate(tmp_path)
    port, proxy_port = free_port(), free_port()
    args = (
        "--port",
        str(port),
        "--proxy-port",
        str(proxy_port),
        "--tls-cert",
        str(cert),
        "--tls-key",
        str(key),
    )
    async with simulator(*args) as proc:
        line = await proc.read_until("tesla-http-proxy simulator on")
        assert line == f"tesla-http-proxy simulator on https://127.0.0.1:{proxy_port}"
        context = ssl.create_default_context(cafile=str(cert))
        async with session.get(f"https://127.0.0.1:{proxy_port}/api/1/vehicles", ssl=context) as response:
            assert response.status == 403  # the proxy wants a token
        assert await proc.stop() == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--proxy-port", "9999"], "--proxy-port needs --tls-cert and --tls-key"),
        (["--speed", "0"], "must be a positive number"),
        (["--speed", "fast"], "invalid _speed value"),
    ],
)
async def test_bad_arguments(args: list[str], message: str) -> None:
    async with simulator(*args) as proc:
        async with asyncio.timeout(30):
            _, stderr = await proc.process.communicate()
        assert proc.process.returncode == 2
        assert message in stderr.decode()


def test_parse_args_defaults() -> None:
    args = parse_args([])
    assert (args.host, args.port, args.scenario, args.speed, args.proxy_port) == (
        "127.0.0.1",
        8765,
        None,
        1.0,
        None,
    )


async def test_serve_in_process(tmp_path: Path, session: aiohttp.ClientSession) -> None:
    """``serve`` itself: both sites come up, and cancelling it closes them."""
    cert, key = write_certificate(tmp_path)
    port, proxy_port = free_port(), free_port()
    args = parse_args(
        ["--port", str(port), "--proxy-port", str(proxy_port), "--tls-cert", str(cert), "--tls-key", str(key)]
    )
    task = asyncio.create_task(serve(args))
    context = ssl.create_default_context(cafile=str(cert))
    try:
        async with asyncio.timeout(20):
            while True:
                try:
                    async with session.get(f"https://127.0.0.1:{proxy_port}/status", ssl=context) as response:
                        assert await response.text() == "ok"
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.05)
        async with session.get(f"http://127.0.0.1:{port}/status") as response:
            assert await response.text() == "ok"
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    with pytest.raises(aiohttp.ClientConnectionError):
        await session.get(f"http://127.0.0.1:{port}/status")
