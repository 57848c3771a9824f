"""Real processes for the end-to-end tests and the demo: the simulator and Home Assistant.

Both run as child processes, each in its own process group so that stopping it stops
everything it started, and each told by the kernel to stop when its parent dies, so a
killed test run or demo leaves nothing behind.  Home Assistant is driven only through
its public HTTP and WebSocket APIs, the way its frontend drives it.

Process control is synchronous (pytest's module fixtures and the demo's main loop use
it); talking HTTP is asynchronous (aiohttp), run on a private event loop by ``run()``
where the caller has none.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Mapping
import contextlib
import ctypes
from dataclasses import dataclass, field
import html
import importlib.util
import os
from pathlib import Path
import re
import signal
import socket
import subprocess
import sys
import time
from typing import Any, Self

import aiohttp
from yarl import URL

ROOT = Path(__file__).resolve().parents[2]
INTEGRATION = ROOT / "custom_components" / "ev_charge_control"
DOMAIN = "ev_charge_control"
DEMO_SCENARIO = ROOT / "simulator" / "scenarios" / "default.yaml"
# hass is installed next to the Python that runs the tests or the demo.
HASS = Path(sys.executable).parent / "hass"

# The owner created at onboarding; the demo prints this login.
DEMO_NAME = "Demo"
DEMO_USER = "demo"
DEMO_PASSWORD = "demo-password"

# The demo account of simulator/scenarios/default.yaml.
DEMO_TESLA_EMAIL = "demo@example.com"
DEMO_TESLA_TOKEN = "demo-access-token"
DEMO_REALTO_CLIENT = "demo-client"
DEMO_REALTO_SECRET = "demo-secret"
# The demo's Tesla developer application, entered as application credentials.  The
# simulator accepts any client id and secret while its scenario lists no applications.
DEMO_TESLA_APP_ID = "demo-tesla-app"
DEMO_TESLA_APP_SECRET = "demo-tesla-app-secret"
DEMO_TESLA_APP_NAME = "Tesla developer application (simulator)"

ENV_TESLA_AUTH_URL = "EV_CHARGE_CONTROL_TESLA_AUTH_URL"
# Tesla's well-known path for an application's public key (Home Assistant serves it), and
# where the integration keeps the private half, relative to the config folder.  Written
# out here rather than imported: the tests check the integration, not copy it.
PUBLIC_KEY_PATH = "/.well-known/appspecific/com.tesla.3p.public-key.pem"
KEY_FILE = Path(".storage") / "ev_charge_control.tesla_command_key.pem"

# What Home Assistant needs to be used as users use it: the frontend (dashboards,
# device pages, the login page), Assist, and what they depend on.  Nothing here
# needs a package that is not in the virtual environment: Home Assistant is started
# with --skip-pip, so it never installs anything at run time.
CONFIGURATION = """\
# {comment}
homeassistant:
  name: {name}
  time_zone: Europe/Amsterdam
  country: NL
  currency: EUR
  unit_system: metric
  language: en
  latitude: 52.3731
  longitude: 4.8922
  elevation: 0
http:
  server_host: 127.0.0.1
  server_port: {port}
frontend:
conversation:
{extra}"""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def run[T](coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` on a private event loop (for synchronous callers)."""
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coro)
    finally:
        with contextlib.suppress(Exception):
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()


async def eventually[T](
    check: Callable[[], Awaitable[T]], *, timeout: float, what: str, interval: float = 0.5
) -> T:
    """Call ``check`` until it returns without an AssertionError; at most ``timeout`` s.

    Waiting for a condition is bounded, never timed: how long it took is not asserted.
    """
    last: AssertionError | None = None
    try:
        async with asyncio.timeout(timeout):
            while True:
                try:
                    return await check()
                except AssertionError as err:
                    last = err
                await asyncio.sleep(interval)
    except TimeoutError:
        raise AssertionError(f"{what}: not within {timeout:.0f} s; last: {last}") from None


# ---------------------------------------------------------------------- processes
_PR_SET_PDEATHSIG = 1
try:
    _prctl = ctypes.CDLL(None, use_errno=True).prctl  # resolved before any fork
except (AttributeError, OSError):  # not Linux
    _prctl = None


def _die_with_parent() -> None:
    """In the child, before exec: SIGTERM it when the process that started it dies."""
    if _prctl is not None:
        _prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class ProcessFailed(RuntimeError):
    """A child process exited, or did not get ready in time."""


class Child:
    """A process in its own process group, its output appended to a log file."""

    def __init__(
        self,
        name: str,
        argv: list[str],
        *,
        log_path: Path,
        env: Mapping[str, str] | None = None,
        cwd: Path = ROOT,
    ) -> None:
        self.name = name
        self.log_path = log_path
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log_start = log_path.stat().st_size if log_path.exists() else 0
        with log_path.open("ab") as log:
            self.popen = subprocess.Popen(  # noqa: S603 - our own programs
                argv,
                cwd=cwd,
                env={**os.environ, **(env or {})},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,  # noqa: PLW1509 - only calls prctl
            )

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def running(self) -> bool:
        return self.popen.poll() is None

    def check_running(self) -> None:
        if not self.running:
            raise ProcessFailed(f"{self.name} exited with status {self.popen.returncode}:\n{self.tail()}")

    def stop(self, timeout: float = 60.0) -> int:
        """SIGTERM the process group and wait; SIGKILL it after ``timeout`` seconds."""
        if self.running:
            self._signal_group(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                self.popen.wait(10)
        # Anything the process started and left behind in its group goes too.
        self._signal_group(signal.SIGKILL)
        return self.popen.returncode

    def _signal_group(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, sig)

    def output(self) -> str:
        """What this run of the process has written to its log."""
        with self.log_path.open("rb") as log:
            log.seek(self._log_start)
            return log.read().decode(errors="replace")

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.output().splitlines()[-lines:])


async def wait_until_answers(
    session: aiohttp.ClientSession, url: str, child: Child, *, timeout: float
) -> None:
    """Poll ``url`` until it answers below 500; fail early if ``child`` exits."""

    async def answers() -> None:
        if not child.running:
            raise ProcessFailed(f"{child.name} exited with status {child.popen.returncode}:\n{child.tail()}")
        try:
            async with session.get(url, allow_redirects=False) as response:
                assert response.status < 500, f"{url} answered {response.status}"
        except aiohttp.ClientError as err:
            raise AssertionError(f"{url}: {err}") from err

    try:
        await eventually(answers, timeout=timeout, what=f"{child.name} answering at {url}", interval=0.25)
    except AssertionError as err:
        raise ProcessFailed(f"{err}\n{child.tail()}") from None


class Simulator:
    """``python -m simulator`` on 127.0.0.1."""

    def __init__(
        self, port: int, log_path: Path, *, scenario: Path = DEMO_SCENARIO, speed: float = 1.0
    ) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        argv = [sys.executable, "-m", "simulator", "--port", str(port), "--scenario", str(scenario)]
        if speed != 1.0:
            argv += ["--speed", str(speed)]
        self.child = Child("the simulator", argv, log_path=log_path)

    async def wait_ready(self, session: aiohttp.ClientSession, timeout: float = 60.0) -> None:
        await wait_until_answers(session, f"{self.url}/status", self.child, timeout=timeout)

    def stop(self) -> int:
        return self.child.stop(timeout=30)


@dataclass
class SimulatorAdmin:
    """The simulator's admin API (``/sim/``): its request log and its cars."""

    session: aiohttp.ClientSession
    url: str

    async def _json(self, method: str, path: str, body: Any = None) -> Any:
        async with self.session.request(method, f"{self.url}{path}", json=body) as response:
            assert response.status == 200, f"{method} {path}: {response.status} {await response.text()}"
            return await response.json()

    async def last_seq(self) -> int:
        return int((await self._json("GET", "/sim/requests?since=999999999"))["last_seq"])

    async def requests(self, since: int = 0, api: str | None = None) -> list[dict[str, Any]]:
        query = f"?since={since}" + (f"&api={api}" if api else "")
        return list((await self._json("GET", f"/sim/requests{query}"))["requests"])

    async def vehicle(self, vin: str) -> dict[str, Any]:
        return dict(await self._json("GET", f"/sim/vehicles/{vin}"))

    async def signing(self, vin: str) -> dict[str, Any]:
        """The car's side of signed commands: its paired keys, sessions and counters."""
        return dict(await self._json("GET", f"/sim/vehicles/{vin}/signing"))

    async def partner(self) -> dict[str, Any]:
        """Tesla's side of the developer applications: the registered domains and keys."""
        return dict(await self._json("GET", "/sim/partner"))

    async def realto_entity(self, entity_id: str) -> dict[str, Any]:
        return dict(await self._json("GET", f"/sim/realto/entities/{entity_id}"))

    async def realto_commands(self, entity_id: str) -> list[dict[str, Any]]:
        return list(await self._json("GET", f"/sim/realto/commands?entity={entity_id}"))

    async def post(self, path: str, body: Any) -> Any:
        return await self._json("POST", path, body)


# ------------------------------------------------------------------ Home Assistant
def prepare_config(config_dir: Path, *, port: int, name: str, comment: str, extra: str = "") -> None:
    """A configuration.yaml for ``hass -c config_dir``, and the integration linked in."""
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "configuration.yaml").write_text(
        CONFIGURATION.format(comment=comment, name=name, port=port, extra=extra)
    )
    link_integration(config_dir)


def link_integration(config_dir: Path) -> None:
    """``<config>/custom_components/ev_charge_control`` -> the repository's integration."""
    components = config_dir / "custom_components"
    components.mkdir(parents=True, exist_ok=True)
    link = components / DOMAIN
    target = Path(os.path.relpath(INTEGRATION, components))
    if link.is_symlink() and link.readlink() == target:
        return
    if link.is_symlink() or link.exists():
        if not link.is_symlink():
            raise ProcessFailed(f"{link} exists and is not a link to {INTEGRATION}: move it away")
        link.unlink()
    link.symlink_to(target, target_is_directory=True)


def check_frontend_installed() -> None:
    """Fail early, and say why, when Home Assistant's frontend package is missing.

    Without it the ``frontend`` integration fails to set up (and everything that depends
    on it); the log's next error, about ffmpeg (a dependency of text-to-speech, harmless
    here), is easy to take for the cause.
    """
    if importlib.util.find_spec("hass_frontend") is None:
        raise ProcessFailed(
            "Home Assistant's frontend (home-assistant-frontend, tests/e2e/requirements.txt) is not "
            f"installed in {Path(sys.executable).parent.parent}: scripts/test and scripts/develop "
            "install it, or run: . scripts/_env.sh && . tests/e2e/prepare.sh && ensure_e2e_packages"
        )


class HomeAssistant:
    """``hass -c <config_dir>`` with the port its configuration.yaml names."""

    def __init__(self, config_dir: Path, port: int, *, env: Mapping[str, str] | None = None) -> None:
        self.config_dir = config_dir
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.env = dict(env or {})
        self.child: Child | None = None

    def start(self) -> None:
        check_frontend_installed()
        # --skip-pip: never install packages at run time (onboarding starts a few
        # integrations whose requirements are not in the virtual environment; they
        # just fail to load, as they would offline).
        argv = [str(HASS), "-c", str(self.config_dir), "--skip-pip"]
        self.child = Child(
            "Home Assistant", argv, log_path=self.config_dir / "hass-console.log", env=self.env
        )

    @property
    def running(self) -> bool:
        return self.child is not None and self.child.running

    def stop(self, timeout: float = 90.0) -> int | None:
        """Stop gracefully (SIGTERM), so that it writes its stores; None if not started."""
        if self.child is None:
            return None
        return self.child.stop(timeout)

    async def wait_ready(self, session: aiohttp.ClientSession, timeout: float = 180.0) -> None:
        """Until the HTTP server answers (the login page's list of providers needs no login)."""
        assert self.child is not None
        await wait_until_answers(session, f"{self.url}/auth/providers", self.child, timeout=timeout)

    def tail(self) -> str:
        return self.child.tail() if self.child is not None else ""


class ApiError(AssertionError):
    """Home Assistant answered an error."""

    def __init__(self, message: str, status: int | None = None, body: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = body


@dataclass
class Tokens:
    access_token: str
    refresh_token: str


async def _json_or_text(response: aiohttp.ClientResponse) -> Any:
    text = await response.text()
    try:
        return await response.json(content_type=None)
    except ValueError:
        return text


def client_id(url: str) -> str:
    """The OAuth client id Home Assistant's frontend uses: its own URL."""
    return f"{url}/"


async def onboarding_done(session: aiohttp.ClientSession, url: str) -> bool:
    """Whether the owner exists (onboarding's first step)."""
    async with session.get(f"{url}/api/onboarding") as response:
        if response.status == 404:  # all steps done: Home Assistant no longer serves it
            return True
        assert response.status == 200, f"onboarding status: {response.status}"
        return any(step["step"] == "user" and step["done"] for step in await response.json())


async def _token(session: aiohttp.ClientSession, url: str, code: str) -> Tokens:
    data = {"grant_type": "authorization_code", "code": code, "client_id": client_id(url)}
    async with session.post(f"{url}/auth/token", data=data) as response:
        body = await _json_or_text(response)
        if response.status != 200:
            raise ApiError(f"/auth/token: {response.status} {body}", response.status, body)
    return Tokens(body["access_token"], body["refresh_token"])


async def onboard(
    session: aiohttp.ClientSession, url: str, *, name: str, username: str, password: str
) -> Tokens:
    """Onboarding as the frontend does it: the owner, the location, analytics, done."""
    async with session.post(
        f"{url}/api/onboarding/users",
        json={
            "client_id": client_id(url),
            "name": name,
            "username": username,
            "password": password,
            "language": "en",
        },
    ) as response:
        body = await _json_or_text(response)
        if response.status != 200:
            raise ApiError(f"creating the owner: {response.status} {body}", response.status, body)
    tokens = await _token(session, url, body["auth_code"])
    api = Api(session, url, tokens.access_token)
    await api.post("/api/onboarding/core_config", {})
    await api.post("/api/onboarding/analytics", {})
    await api.post(
        "/api/onboarding/integration",
        {"client_id": client_id(url), "redirect_uri": f"{url}/?auth_callback=1"},
    )
    return tokens


async def login(session: aiohttp.ClientSession, url: str, *, username: str, password: str) -> Tokens:
    """Log in with a username and password through the login flow the login page uses."""
    cid = client_id(url)
    async with session.post(
        f"{url}/auth/login_flow",
        json={
            "client_id": cid,
            "handler": ["homeassistant", None],
            "redirect_uri": f"{url}/?auth_callback=1",
        },
    ) as response:
        flow = await _json_or_text(response)
        if response.status != 200:
            raise ApiError(f"/auth/login_flow: {response.status} {flow}", response.status, flow)
    async with session.post(
        f"{url}/auth/login_flow/{flow['flow_id']}",
        json={"client_id": cid, "username": username, "password": password},
    ) as response:
        result = await _json_or_text(response)
    if result.get("type") != "create_entry":
        raise ApiError(
            f"logging in as {username!r}: {result.get('errors') or result}", response.status, result
        )
    return await _token(session, url, result["result"])


async def sign_in(
    session: aiohttp.ClientSession, url: str, *, name: str, username: str, password: str
) -> tuple[Tokens, bool]:
    """Onboard a new instance, or log in to an onboarded one; True when it onboarded."""
    if not await onboarding_done(session, url):
        return await onboard(session, url, name=name, username=username, password=password), True
    return await login(session, url, username=username, password=password), False


@dataclass
class Api:
    """Home Assistant's REST API as a logged-in user."""

    session: aiohttp.ClientSession
    url: str
    access_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}

    async def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        headers: Mapping[str, str] | None = None,
        ok: tuple[int, ...] = (200, 201),
    ) -> Any:
        async with self.session.request(
            method, f"{self.url}{path}", json=body, headers={**self.headers, **(headers or {})}
        ) as response:
            result = await _json_or_text(response)
            if response.status not in ok:
                raise ApiError(f"{method} {path}: {response.status} {result}", response.status, result)
            return result

    async def get(self, path: str) -> Any:
        return await self.request("GET", path)

    async def post(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return await self.request("POST", path, {} if body is None else body, **kwargs)

    async def wait_running(self, timeout: float = 120.0) -> None:
        """Until Home Assistant has started (its config says RUNNING)."""

        async def running() -> None:
            try:
                state = (await self.get("/api/config"))["state"]
            except (ApiError, aiohttp.ClientError) as err:
                raise AssertionError(str(err)) from err
            assert state == "RUNNING", state

        await eventually(running, timeout=timeout, what="Home Assistant running")

    # ---- states and services
    async def states(self) -> dict[str, dict[str, Any]]:
        return {state["entity_id"]: state for state in await self.get("/api/states")}

    async def state(self, entity_id: str) -> dict[str, Any]:
        return dict(await self.get(f"/api/states/{entity_id}"))

    async def call_service(self, domain: str, service: str, data: Mapping[str, Any]) -> Any:
        return await self.post(f"/api/services/{domain}/{service}", dict(data))

    # ---- config flows, as the "Add integration" dialog runs them
    async def flow_start(self, handler: str) -> dict[str, Any]:
        return dict(
            await self.post(
                "/api/config/config_entries/flow", {"handler": handler, "show_advanced_options": False}
            )
        )

    async def flow_step(
        self, flow_id: str, data: Mapping[str, Any], *, headers: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        return dict(
            await self.post(f"/api/config/config_entries/flow/{flow_id}", dict(data), headers=headers)
        )

    async def entries(self, domain: str = DOMAIN) -> list[dict[str, Any]]:
        return list(await self.get(f"/api/config/config_entries/entry?domain={domain}"))

    async def websocket(self) -> WebSocket:
        return await WebSocket.connect(self.session, self.url, self.access_token)


class WebSocketError(ApiError):
    """A WebSocket command failed: ``code`` and ``message`` as Home Assistant sent them."""

    def __init__(self, error: Mapping[str, Any]) -> None:
        super().__init__(f"{error.get('code')}: {error.get('message')}", None, dict(error))
        self.code = error.get("code")
        self.message = str(error.get("message"))


@dataclass
class WebSocket:
    """Home Assistant's WebSocket API: one command at a time, results by id."""

    ws: aiohttp.ClientWebSocketResponse
    _next_id: int = field(default=1)

    @classmethod
    async def connect(cls, session: aiohttp.ClientSession, url: str, access_token: str) -> WebSocket:
        # No client heartbeat: Home Assistant's server pings the connection itself, and
        # the client's timer outlives each test (the harness is shared by the module),
        # which newer test plugins report as a lingering timer.
        ws = await session.ws_connect(f"{url}/api/websocket")
        async with asyncio.timeout(30):
            hello = await ws.receive_json()
            assert hello["type"] == "auth_required", hello
            await ws.send_json({"type": "auth", "access_token": access_token})
            answer = await ws.receive_json()
        if answer["type"] != "auth_ok":
            await ws.close()
            raise ApiError(f"WebSocket authentication: {answer}")
        return cls(ws)

    async def call(self, message_type: str, timeout: float = 90.0, **payload: Any) -> Any:
        """Send a command and return its result; raise ``WebSocketError`` on failure."""
        message_id = self._next_id
        self._next_id += 1
        await self.ws.send_json({"id": message_id, "type": message_type, **payload})
        async with asyncio.timeout(timeout):
            while True:
                message = await self.ws.receive_json()
                if message.get("id") == message_id and message.get("type") == "result":
                    if not message["success"]:
                        raise WebSocketError(message["error"])
                    return message["result"]

    async def close(self) -> None:
        await self.ws.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


# ------------------------------------------------------------------ what a user does
@dataclass
class Car:
    """A car's device and its entities, found as the frontend finds them."""

    device_id: str
    name: str
    entities: dict[str, str]  # translation_key -> entity_id (first of each key)


async def cars(ws: WebSocket, domain: str = DOMAIN) -> dict[str, Car]:
    """This integration's devices by name, with their entities by translation key.

    Keys are ``<platform>.<translation_key>`` ("switch.charging", "sensor.charge_limit")
    because a translation key is unique only within a platform.
    """
    devices = await ws.call("config/device_registry/list")
    entities = await ws.call("config/entity_registry/list")
    entries = {e["entry_id"] for e in await ws.call("config_entries/get", domain=domain)}
    found: dict[str, Car] = {}
    for device in devices:
        if not entries.intersection(device["config_entries"]):
            continue
        name = device["name_by_user"] or device["name"]
        found[name] = Car(device["id"], name, {})
    by_id = {car.device_id: car for car in found.values()}
    for entity in entities:
        car = by_id.get(entity["device_id"])
        if car is None or entity["platform"] != domain or not entity["translation_key"]:
            continue
        key = f"{entity['entity_id'].split('.', 1)[0]}.{entity['translation_key']}"
        car.entities.setdefault(key, entity["entity_id"])
    return found


def frontend_base(url: str) -> dict[str, str]:
    """The header the frontend sends so OAuth flows know where to come back to."""
    return {"HA-Frontend-Base": url}


async def follow_oauth(session: aiohttp.ClientSession, authorize_url: str) -> URL:
    """What the browser does at Tesla's sign-in: follow it back to Home Assistant.

    The simulator's authorize page consents at once and redirects to Home Assistant's
    callback, which hands the code to the waiting flow.  Returns the callback URL.
    """
    async with session.get(authorize_url, allow_redirects=False) as response:
        assert response.status == 302, f"authorize: {response.status} {await response.text()}"
        callback = URL(response.headers["Location"])
    async with session.get(callback, allow_redirects=False) as response:
        assert response.status == 200, f"callback: {response.status} {await response.text()}"
    return callback


def loopback_domain(url: str) -> str:
    """``127.0.0.1:<port>`` of a local server: the application domain Tesla (here the
    simulator) fetches the public key from, over http because it is this machine."""
    parsed = URL(url)
    return f"{parsed.host}:{parsed.port}"


async def ensure_tesla_application(ws: WebSocket, client_id: str, client_secret: str) -> bool:
    """The developer application's client id and secret, as Settings -> Application
    credentials -> Add stores them; True when they were added now, False if already there."""
    for item in await ws.call("application_credentials/list"):
        if item["domain"] == DOMAIN and item["client_id"] == client_id:
            return False
    await ws.call(
        "application_credentials/create",
        domain=DOMAIN,
        client_id=client_id,
        client_secret=client_secret,
        name=DEMO_TESLA_APP_NAME,
    )
    return True


@dataclass
class Pairing:
    """The pairing step as the owner met it: the link, the page it opened, the cars added."""

    url: str
    cars: list[str]  # the names the form said need the key
    page: str = ""
    added: dict[str, str] = field(default_factory=dict)  # VIN -> name, each "Add" tapped


@dataclass
class TeslaSetUp:
    """Every answer of the "Tesla account" flow, in order, and the pairing it asked for."""

    steps: list[dict[str, Any]] = field(default_factory=list)
    pairing: Pairing | None = None

    @property
    def result(self) -> dict[str, Any]:
        return self.steps[-1]

    def keep(self, result: Mapping[str, Any]) -> dict[str, Any]:
        self.steps.append(dict(result))
        if result.get("type") == "form" and result.get("errors") and not _expected(result):
            raise ApiError(f"the {result['step_id']} form says {result['errors']}: {dict(result)}")
        return self.steps[-1]


def _expected(result: Mapping[str, Any]) -> bool:
    """The one error the set-up provokes on purpose: submitting before pairing."""
    return result.get("step_id") == "signing_pair" and result.get("errors") == {"base": "not_paired"}


async def add_tesla_account(
    api: Api, domain: str, *, vehicles: list[str] | None = None, submit_before_pairing: bool = False
) -> TeslaSetUp:
    """Add a Tesla account as a new user does, and sign its commands here.

    Sign in with Tesla (the simulator's authorize page consents at once and sends the
    browser back to Home Assistant), choose "Sign them here", enter ``domain`` (Tesla
    fetches the public key from it and registers it for the application), then pair:
    open the link the form shows (the simulator's stand-in for the Tesla app) and tap
    "Add" for each car the form names, as the owner does on the phone.  Then submit, and
    pick ``vehicles`` (all by default).  ``submit_before_pairing`` submits once before
    pairing, as an impatient owner would (the form then says which car lacks the key).
    """
    done = TeslaSetUp()
    flow = done.keep(await api.flow_start(DOMAIN))
    result = done.keep(
        await api.flow_step(flow["flow_id"], {"next_step_id": "tesla_oauth"}, headers=frontend_base(api.url))
    )
    if result.get("step_id") == "pick_implementation":  # more than one application entered
        ours = [o for o in result["data_schema"][0]["options"] if DEMO_TESLA_APP_ID.replace("-", "_") in o[0]]
        choice = ours[0][0] if ours else result["data_schema"][0]["options"][0][0]
        result = done.keep(await api.flow_step(result["flow_id"], {"implementation": choice}))
    if result.get("type") != "external":
        raise ApiError(f"signing in with Tesla: {result}")
    await follow_oauth(api.session, result["url"])
    result = done.keep(await api.flow_step(result["flow_id"], {}))
    if result.get("type") == "menu" and result.get("step_id") == "commands":
        result = done.keep(await api.flow_step(result["flow_id"], {"next_step_id": "signing_domain"}))
        result = done.keep(await api.flow_step(result["flow_id"], {"domain": domain}))
    if result.get("type") == "form" and result.get("step_id") == "signing_pair":
        placeholders = result["description_placeholders"]
        done.pairing = Pairing(placeholders["pairing_url"], placeholders["cars"].split(", "))
        if submit_before_pairing:
            result = done.keep(await api.flow_step(result["flow_id"], {}))
        if result.get("step_id") == "signing_pair":  # not paired yet: as it is for a new car
            await pair_cars(api.session, done.pairing)
            result = done.keep(await api.flow_step(result["flow_id"], {}))
    if result.get("type") == "form" and result.get("step_id") == "vehicles":
        options = [o["value"] for o in result["data_schema"][0]["selector"]["select"]["options"]]
        result = done.keep(await api.flow_step(result["flow_id"], {"vehicles": vehicles or options}))
    return done


_PAGE_CAR = re.compile(r"<li>(?P<name>.+?) \((?P<vin>[A-HJ-NPR-Z0-9]{17})\)")


async def pair_cars(session: aiohttp.ClientSession, pairing: Pairing) -> None:
    """What the owner does at the pairing link: open it, tap "Add" for each car named."""
    async with session.get(pairing.url) as response:
        pairing.page = await response.text()
        assert response.status == 200, f"{pairing.url}: {response.status} {pairing.page}"
    listed = {m["vin"]: html.unescape(m["name"]) for m in _PAGE_CAR.finditer(pairing.page)}
    for vin, name in listed.items():
        if name not in pairing.cars:
            continue
        async with session.post(pairing.url, data={"vin": vin}) as response:
            text = await response.text()
            assert response.status == 200, f"adding the key to {name}: {response.status} {text}"
        pairing.added[vin] = name
    missing = set(pairing.cars) - set(pairing.added.values())
    assert not missing, f"{pairing.url} lists no {sorted(missing)}: {pairing.page}"


async def add_realto_account(api: Api, sim_url: str) -> list[dict[str, Any]]:
    """The re.alto account with the demo client's credentials: the flow's answers."""
    steps = [await api.flow_start(DOMAIN)]
    steps.append(await api.flow_step(steps[-1]["flow_id"], {"next_step_id": "realto"}))
    steps.append(
        await api.flow_step(
            steps[-1]["flow_id"],
            {
                "api_url": f"{sim_url}/api",
                "client_id": DEMO_REALTO_CLIENT,
                "client_secret": DEMO_REALTO_SECRET,
            },
        )
    )
    return steps


async def add_demo_entries(api: Api, sim_url: str) -> list[str]:
    """Add the demo's accounts through the config flow; lines saying what happened.

    Idempotent: a Tesla account already there (by its title, the account's email) is
    left alone, and for re.alto the flow aborts with ``already_configured``, the
    integration's own guard against duplicates.
    """
    said: list[str] = []
    async with await api.websocket() as ws:
        added = await ensure_tesla_application(ws, DEMO_TESLA_APP_ID, DEMO_TESLA_APP_SECRET)
    said.append(
        f"Tesla application credentials {'added' if added else 'already there'} (client id {DEMO_TESLA_APP_ID})"
    )
    domain = loopback_domain(api.url)
    tesla = [e for e in await api.entries() if e["title"] == DEMO_TESLA_EMAIL]
    if tesla:
        said.append(f"Tesla account already set up: {DEMO_TESLA_EMAIL}")
        said.append(f"  pairing link: {sim_url}/_ak/{domain} (a button per car)")
    else:
        done = await add_tesla_account(api, domain)
        said.extend(_tesla_story(done, domain))
    said.append(_flow_outcome("re.alto", (await add_realto_account(api, sim_url))[-1]))
    return said


def _tesla_story(done: TeslaSetUp, domain: str) -> list[str]:
    """What the demo did in the Tesla set-up, and how a person does it instead."""
    lines = ["Tesla account: signed in with Tesla on the simulator (its sign-in page agrees at once)"]
    if any(step.get("step_id") == "signing_domain" for step in done.steps):
        lines += [
            f"  commands signed here, domain {domain}: the simulator fetched the public key from",
            f"  http://{domain}{PUBLIC_KEY_PATH} and registered it",
        ]
    if done.pairing is not None and done.pairing.added:
        cars = ", ".join(done.pairing.added.values())
        lines += [
            f"  pairing: the demo opened {done.pairing.url} and added the key to {cars},",
            "  as the owner does in the Tesla app (by hand: open that link in a browser, a button per car)",
        ]
    elif done.pairing is not None:
        lines.append(f"  pairing: the cars had the key already (pairing link: {done.pairing.url})")
    lines.append(_flow_outcome("Tesla", done.result))
    return lines


def _flow_outcome(what: str, result: Mapping[str, Any]) -> str:
    if result.get("type") == "create_entry":
        return f"{what} account added: {result['title']}"
    if result.get("type") == "abort" and result.get("reason") == "already_configured":
        return f"{what} account already set up"
    raise ApiError(f"adding the {what} account: {dict(result)}")


def elapsed_since(start: float) -> str:
    return f"{time.monotonic() - start:.0f} s"
