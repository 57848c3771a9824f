"""End to end: the simulator and a real Home Assistant process, used as people use them.

The module starts ``python -m simulator`` with the demo scenario (a Model 3 plugged in at
home and asleep, a second Tesla on the road, a re.alto ID.4) and ``hass -c`` on a
temporary config folder, each on a free loopback port.  Everything goes through Home
Assistant's public REST and WebSocket APIs, as its frontend, an automation or a voice
assistant would; the simulator's request log shows what reached the vehicle APIs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
import json
from pathlib import Path
import tempfile
from typing import Any
from urllib.parse import parse_qs

import aiohttp
import pytest
import pytest_socket
from yarl import URL

from .browser import Browser, chromium_path
from .harness import (
    DEMO_NAME,
    DEMO_PASSWORD,
    DEMO_REALTO_CLIENT,
    DEMO_REALTO_SECRET,
    DEMO_TESLA_TOKEN,
    DEMO_USER,
    DOMAIN,
    ENV_TESLA_AUTH_URL,
    INTEGRATION,
    ROOT,
    Api,
    Car,
    HomeAssistant,
    Simulator,
    SimulatorAdmin,
    Tokens,
    WebSocket,
    WebSocketError,
    cars,
    eventually,
    follow_oauth,
    free_port,
    frontend_base,
    login,
    onboard,
    prepare_config,
    run,
)

# Each test bounds its own waits; this is the backstop for a test and its fixtures
# (the first test also starts Home Assistant and sets it up).
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

VIN = "LRW3E7EK4NC000001"  # Model 3: plugged in at home, asleep
VIN2 = "5YJSA1E41GF000002"  # Road Runner: on a 45-minute drive
ID4 = "3c90c3cc-0d44-4b50-8888-8dd25736052a"  # re.alto ID.4: plugged in, not charging
ARTIFACTS = ROOT / "artifacts" / "e2e"
# The integration logs at debug level here, so a leaked secret would show.
LOGGER = """\
logger:
  default: info
  logs:
    custom_components.ev_charge_control: debug
"""
TESLA_CONTROLS = {
    "switch.charging",
    "switch.scheduled_charging",
    "number.charge_limit",
    "number.charging_amps",
    "button.open_charge_port",
    "button.close_charge_port",
    "button.max_range",
    "button.standard_range",
}


@dataclass
class Stack:
    """The running processes, the owner's login, and what the config flows showed."""

    sim: Simulator
    hass: HomeAssistant
    tokens: Tokens
    flows: dict[str, list[dict[str, Any]]]


async def _set_up(sim: Simulator, hass: HomeAssistant) -> tuple[Tokens, dict[str, list[dict[str, Any]]]]:
    """Onboard, then add both accounts through the config flow, keeping every step."""
    async with aiohttp.ClientSession() as session:
        await sim.wait_ready(session)
        await hass.wait_ready(session)
        tokens = await onboard(session, hass.url, name=DEMO_NAME, username=DEMO_USER, password=DEMO_PASSWORD)
        api = Api(session, hass.url, tokens.access_token)
        await api.wait_running()
        tesla: list[dict[str, Any]] = [await api.flow_start(DOMAIN)]
        tesla.append(await api.flow_step(tesla[-1]["flow_id"], {"next_step_id": "tesla_token"}))
        for token in ("not-the-token", DEMO_TESLA_TOKEN):
            tesla.append(
                await api.flow_step(tesla[-1]["flow_id"], {"api_url": sim.url, "access_token": token})
            )
        tesla.append(await api.flow_step(tesla[-1]["flow_id"], {"vehicles": [VIN, VIN2]}))
        realto: list[dict[str, Any]] = [await api.flow_start(DOMAIN)]
        realto.append(await api.flow_step(realto[-1]["flow_id"], {"next_step_id": "realto"}))
        realto.append(
            await api.flow_step(
                realto[-1]["flow_id"],
                {
                    "api_url": f"{sim.url}/api",
                    "client_id": DEMO_REALTO_CLIENT,
                    "client_secret": DEMO_REALTO_SECRET,
                },
            )
        )
        return tokens, {"tesla_token": tesla, "realto": realto}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The simulator and Home Assistant for the whole module, stopped at its end."""
    pytest_socket.enable_socket()  # module fixtures run before the test's socket_enabled
    base = tmp_path_factory.mktemp("e2e")
    sim = Simulator(free_port(), base / "simulator.log")
    hass: HomeAssistant | None = None
    try:
        config = base / "config"
        port = free_port()
        prepare_config(config, port=port, name="E2E", comment="end-to-end tests", extra=LOGGER)
        hass = HomeAssistant(config, port, env={ENV_TESLA_AUTH_URL: sim.url})
        hass.start()
        tokens, flows = run(_set_up(sim, hass))
        yield Stack(sim, hass, tokens, flows)
    finally:
        if hass is not None:
            hass.stop()
        sim.stop()


@pytest.fixture(autouse=True)
def show_logs_on_failure(request: pytest.FixtureRequest) -> Iterator[None]:
    """When a test fails, print the end of Home Assistant's log (pytest shows it)."""
    yield
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed and "stack" in request.fixturenames:
        hass = request.getfixturevalue("stack").hass
        print(f"--- end of {hass.config_dir}/home-assistant.log ---\n{_log_tail(hass.config_dir)}")  # noqa: T201


def _log_tail(config_dir: Path, lines: int = 80) -> str:
    path = config_dir / "home-assistant.log"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


@dataclass
class User:
    """A logged-in user's view: REST, WebSocket, the cars; and the simulator's admin API."""

    api: Api
    ws: WebSocket
    sim: SimulatorAdmin
    cars: dict[str, Car]

    async def state(self, entity_id: str) -> str:
        return str((await self.api.state(entity_id))["state"])

    async def wait_state(self, entity_id: str, wanted: str, timeout: float = 60) -> None:
        async def check() -> None:
            assert await self.state(entity_id) == wanted, f"{entity_id} is {await self.state(entity_id)}"

        await eventually(check, timeout=timeout, what=f"{entity_id} becoming {wanted}")

    async def wait_number(self, entity_id: str, wanted: float, timeout: float = 60) -> None:
        async def check() -> None:
            state = await self.state(entity_id)
            assert state not in ("unknown", "unavailable"), f"{entity_id} is {state}"
            assert float(state) == wanted, f"{entity_id} is {state}"

        await eventually(check, timeout=timeout, what=f"{entity_id} becoming {wanted}")

    async def sent(
        self, since: int, method: str, path_end: str, *, timeout: float = 90, count: int = 1
    ) -> list[dict[str, Any]]:
        """The requests (at least ``count``) that reached the simulator since ``since``."""

        async def check() -> list[dict[str, Any]]:
            found = [
                r
                for r in await self.sim.requests(since)
                if r["method"] == method and r["path"].endswith(path_end)
            ]
            assert len(found) >= count, f"{len(found)} x {method} ...{path_end}"
            return found

        return await eventually(check, timeout=timeout, what=f"{method} ...{path_end} reaching the simulator")

    async def tesla(self, vin: str) -> dict[str, Any]:
        return dict((await self.sim.vehicle(vin))["charge_state"])


@pytest.fixture
async def user(stack: Stack) -> AsyncIterator[User]:
    async with aiohttp.ClientSession() as session:
        api = Api(session, stack.hass.url, stack.tokens.access_token)
        async with await api.websocket() as ws:
            yield User(api, ws, SimulatorAdmin(session, stack.sim.url), await cars(ws))


def _command(vin: str, name: str) -> str:
    return f"/api/1/vehicles/{vin}/command/{name}"


# ---------------------------------------------------------------------- set-up
async def test_config_flow_adds_tesla_by_token_and_realto(stack: Stack, user: User) -> None:
    menu, form, refused, vehicles, created = stack.flows["tesla_token"]
    assert menu["type"] == "menu"
    assert menu["menu_options"] == ["tesla_oauth", "tesla_token", "realto"]
    assert (form["type"], form["step_id"]) == ("form", "tesla_token")
    assert [field["name"] for field in form["data_schema"]] == ["api_url", "access_token"]
    # A wrong token is tried against the API and refused there, on the same form.
    assert (refused["step_id"], refused["errors"]) == ("tesla_token", {"base": "invalid_auth"})
    assert vehicles["step_id"] == "vehicles"
    options = vehicles["data_schema"][0]["selector"]["select"]["options"]
    assert {o["value"]: o["label"] for o in options} == {
        VIN: f"Model 3 ({VIN})",
        VIN2: f"Road Runner ({VIN2})",
    }
    assert (created["type"], created["title"]) == ("create_entry", "demo@example.com")

    menu, form, created = stack.flows["realto"]
    assert (form["type"], form["step_id"]) == ("form", "realto")
    assert [field["name"] for field in form["data_schema"]] == ["api_url", "client_id", "client_secret"]
    # One EV on the account: no picker, the entry at once.
    assert (created["type"], created["title"]) == ("create_entry", f"re.alto ({DEMO_REALTO_CLIENT})")

    entries = await user.api.entries()
    assert sorted((e["title"], e["state"]) for e in entries) == [
        ("demo@example.com", "loaded"),
        (f"re.alto ({DEMO_REALTO_CLIENT})", "loaded"),
    ]
    log = await user.sim.requests()
    vehicle_lists = [r["status"] for r in log if r["path"] == "/api/1/vehicles" and r["method"] == "GET"]
    assert vehicle_lists[:2] == [401, 200]  # the wrong token, then the right one
    logins = [r["body"] for r in log if r["path"] == "/api/v1/authentication"]
    assert logins
    assert logins[0]["clientId"] == DEMO_REALTO_CLIENT


async def test_entities_are_discovered_with_the_cars_states(user: User) -> None:
    assert set(user.cars) == {"Model 3", "Road Runner", "ID.4"}
    for name in ("Model 3", "Road Runner"):
        assert set(user.cars[name].entities) >= TESLA_CONTROLS, name
    id4 = user.cars["ID.4"].entities
    assert {
        "switch.charging",
        "sensor.last_command",
        "sensor.cooldown_end",
        "binary_sensor.plugged_in",
    } <= set(id4)
    assert not TESLA_CONTROLS - {"switch.charging"} & set(id4)  # re.alto has charging only

    states = await user.api.states()
    model3 = user.cars["Model 3"].entities
    assert states[model3["switch.charging"]]["attributes"]["friendly_name"] == "Model 3 Charging"
    assert states[model3["number.charge_limit"]]["attributes"]["friendly_name"] == "Model 3 Charge limit"
    # The states are the simulator's: the sleeping car was not woken to be read...
    assert states[model3["binary_sensor.online"]]["state"] == "off"
    assert (await user.sim.vehicle(VIN))["state"] == "asleep"
    # ...the car on the road was read (it is online, unplugged)...
    road_runner = user.cars["Road Runner"].entities
    assert states[road_runner["binary_sensor.online"]]["state"] == "on"
    await user.wait_state(road_runner["binary_sensor.plugged_in"], "off")
    # ...and the re.alto EV's last reading says plugged in.
    await user.wait_state(id4["binary_sensor.plugged_in"], "on")


# ----------------------------------------------------------------- Tesla controls
async def test_charging_switch_wakes_the_car_then_starts_and_stops(user: User) -> None:
    switch = user.cars["Model 3"].entities["switch.charging"]
    await user.sim.post(f"/sim/vehicles/{VIN}", {"action": "state", "state": "asleep"})
    since = await user.sim.last_seq()

    await user.api.call_service("switch", "turn_on", {"entity_id": switch})
    [start] = await user.sent(since, "POST", _command(VIN, "charge_start"))
    assert (start["body"], start["status"]) == ({}, 200)
    wakes = [r for r in await user.sim.requests(since) if r["path"] == f"/api/1/vehicles/{VIN}/wake_up"]
    assert wakes
    assert wakes[0]["seq"] < start["seq"]
    await user.wait_state(switch, "on")
    assert (await user.tesla(VIN))["charging_state"] in ("Starting", "Charging")

    since = await user.sim.last_seq()
    await user.api.call_service("switch", "turn_off", {"entity_id": switch})
    [stop] = await user.sent(since, "POST", _command(VIN, "charge_stop"))
    assert (stop["body"], stop["status"]) == ({}, 200)
    await user.wait_state(switch, "off")
    assert (await user.tesla(VIN))["charging_state"] == "Stopped"


async def test_numbers_set_the_charge_limit_and_current(user: User) -> None:
    entities = user.cars["Model 3"].entities
    since = await user.sim.last_seq()
    await user.api.call_service(
        "number", "set_value", {"entity_id": entities["number.charge_limit"], "value": 85}
    )
    [request] = await user.sent(since, "POST", _command(VIN, "set_charge_limit"))
    assert request["body"] == {"percent": 85}
    await user.wait_number(entities["number.charge_limit"], 85)
    assert (await user.tesla(VIN))["charge_limit_soc"] == 85

    since = await user.sim.last_seq()
    await user.api.call_service(
        "number", "set_value", {"entity_id": entities["number.charging_amps"], "value": 12}
    )
    [request] = await user.sent(since, "POST", _command(VIN, "set_charging_amps"))
    assert request["body"] == {"charging_amps": 12}
    await user.wait_number(entities["number.charging_amps"], 12)
    assert (await user.tesla(VIN))["charge_current_request"] == 12


async def test_buttons_open_the_port_and_set_max_and_standard_range(user: User) -> None:
    entities = user.cars["Model 3"].entities
    limit = entities["number.charge_limit"]

    since = await user.sim.last_seq()
    await user.api.call_service("button", "press", {"entity_id": entities["button.open_charge_port"]})
    [request] = await user.sent(since, "POST", _command(VIN, "charge_port_door_open"))
    assert request["body"] == {}
    await user.wait_state(entities["binary_sensor.charge_port_open"], "on")
    assert (await user.tesla(VIN))["charge_port_door_open"] is True

    for button, command, soc_field in (
        ("button.max_range", "charge_max_range", "charge_limit_soc_max"),
        ("button.standard_range", "charge_standard", "charge_limit_soc_std"),
    ):
        since = await user.sim.last_seq()
        await user.api.call_service("button", "press", {"entity_id": entities[button]})
        [request] = await user.sent(since, "POST", _command(VIN, command))
        assert request["body"] == {}
        car = await user.tesla(VIN)
        assert car["charge_limit_soc"] == car[soc_field]
        await user.wait_number(limit, car[soc_field])

    # With the cable in, the car refuses to close the port: the user is told why.
    since = await user.sim.last_seq()
    with pytest.raises(WebSocketError) as refused:
        await user.ws.call(
            "call_service",
            domain="button",
            service="press",
            target={"entity_id": entities["button.close_charge_port"]},
        )
    [request] = await user.sent(since, "POST", _command(VIN, "charge_port_door_close"))
    assert request["status"] == 200  # Tesla answers a refusal with result false
    assert "cable" in refused.value.message.lower(), refused.value.message
    assert await user.state(entities["binary_sensor.charge_port_open"]) == "on"


async def test_tesla_actions_and_the_scheduled_charging_switch(user: User) -> None:
    car = user.cars["Model 3"]
    switch = car.entities["switch.scheduled_charging"]

    since = await user.sim.last_seq()
    await user.api.call_service(
        DOMAIN, "set_scheduled_charging", {"device_id": car.device_id, "enable": True, "time": "01:30"}
    )
    [request] = await user.sent(since, "POST", _command(VIN, "set_scheduled_charging"))
    assert request["body"] == {"enable": True, "time": 90}
    await user.wait_state(switch, "on")
    assert (await user.tesla(VIN))["scheduled_charging_mode"] == "StartAt"

    since = await user.sim.last_seq()
    await user.api.call_service("switch", "turn_off", {"entity_id": switch})
    [request] = await user.sent(since, "POST", _command(VIN, "set_scheduled_charging"))
    assert request["body"]["enable"] is False
    await user.wait_state(switch, "off")

    since = await user.sim.last_seq()
    await user.api.call_service("switch", "turn_on", {"entity_id": switch})
    [request] = await user.sent(since, "POST", _command(VIN, "set_scheduled_charging"))
    assert request["body"] == {"enable": True, "time": 90}  # the car's time is kept
    await user.wait_state(switch, "on")

    since = await user.sim.last_seq()
    await user.api.call_service(
        DOMAIN,
        "set_scheduled_departure",
        {
            "device_id": car.device_id,
            "enable": True,
            "departure_time": "07:30",
            "preconditioning_enabled": True,
            "preconditioning_weekdays_only": False,
            "off_peak_charging_enabled": True,
            "off_peak_charging_weekdays_only": True,
            "end_off_peak_time": "06:00",
        },
    )
    [request] = await user.sent(since, "POST", _command(VIN, "set_scheduled_departure"))
    assert request["body"] == {
        "enable": True,
        "departure_time": 450,
        "preconditioning_enabled": True,
        "preconditioning_weekdays_only": False,
        "off_peak_charging_enabled": True,
        "off_peak_charging_weekdays_only": True,
        "end_off_peak_time": 360,
    }
    state = await user.tesla(VIN)
    assert state["scheduled_departure_time_minutes"] == 450
    assert state["off_peak_charging_enabled"] is True


# ------------------------------------------------------------------------ re.alto
async def test_realto_charging_switch_and_actions(user: User) -> None:
    car = user.cars["ID.4"]
    switch, last_command = car.entities["switch.charging"], car.entities["sensor.last_command"]
    commands = f"/api/v1/entities/{ID4}/commands"

    since = await user.sim.last_seq()
    await user.api.call_service("switch", "turn_on", {"entity_id": switch})
    [request] = await user.sent(since, "POST", commands)
    assert request["body"]["type"] == "StartCharging"
    assert request["query"] == {"ignoreCooldown": "false"}
    assert await user.state(switch) == "on"  # shown as asked at once...
    # ...and followed until re.alto reports the command done (it polls every 30 s).
    await user.wait_state(last_command, "succeeded", timeout=150)
    assert (await user.sim.realto_entity(ID4))["vehicle"]["charging_state"] in ("Starting", "Charging")

    # Inside re.alto's 10-minute cooldown a second command is refused before sending.
    since = await user.sim.last_seq()
    with pytest.raises(WebSocketError) as refused:
        await user.ws.call("call_service", domain="switch", service="turn_off", target={"entity_id": switch})
    assert "next command" in refused.value.message, refused.value.message
    assert [r for r in await user.sim.requests(since) if r["path"].startswith(commands)] == []

    # A charging window, sent even inside the cooldown when asked to.
    start = (datetime.now(UTC) + timedelta(hours=2)).replace(microsecond=0)
    end = start + timedelta(hours=3)
    since = await user.sim.last_seq()
    await user.api.call_service(
        DOMAIN,
        "schedule_charging",
        {
            "device_id": car.device_id,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "ignore_cooldown": True,
        },
    )
    [request] = await user.sent(since, "POST", f"{commands}/schedule")
    assert request["query"] == {"ignoreCooldown": "true"}
    assert [(c["type"], datetime.fromisoformat(c["triggerTime"])) for c in request["body"]] == [
        ("StartCharging", start),
        ("StopCharging", end),
    ]
    pending = [c for c in await user.sim.realto_commands(ID4) if c["status"] == "Pending"]
    assert len(pending) == 2

    since = await user.sim.last_seq()
    await user.api.call_service(DOMAIN, "cancel_scheduled_charging", {"device_id": car.device_id})
    cancels = await user.sent(since, "PATCH", "/cancel", count=2)
    assert sorted(r["path"] for r in cancels) == sorted(f"{commands}/{c['id']}/cancel" for c in pending)
    statuses = {c["id"]: c["status"] for c in await user.sim.realto_commands(ID4)}
    assert [statuses[c["id"]] for c in pending] == ["Canceled", "Canceled"]


# -------------------------------------------------------------------------- voice
async def test_voice_turns_charging_on_and_off(user: User) -> None:
    switch = user.cars["Model 3"].entities["switch.charging"]
    if await user.state(switch) == "on":
        await user.api.call_service("switch", "turn_off", {"entity_id": switch})
        await user.wait_state(switch, "off")

    for sentence, command, wanted in (
        ("turn on Model 3 charging", "charge_start", "on"),
        ("turn off Model 3 charging", "charge_stop", "off"),
    ):
        since = await user.sim.last_seq()
        result = await user.ws.call("conversation/process", text=sentence, language="en")
        response = result["response"]
        assert response["response_type"] == "action_done", response
        assert [t["id"] for t in response["data"]["success"]] == [switch], response
        [request] = await user.sent(since, "POST", _command(VIN, command))
        assert (request["body"], request["status"]) == ({}, 200)
        await user.wait_state(switch, wanted)


# ------------------------------------------------------------------------ browser
async def test_browser_logs_in_and_shows_the_device_page(stack: Stack, user: User) -> None:
    executable = chromium_path()
    if executable is None:
        pytest.skip(
            "Chromium is not installed: scripts/test installs Debian's chromium package when it "
            "runs as root with apt-get; here it could not, so the browser check did not run."
        )
    device = user.cars["Model 3"].device_id
    with tempfile.TemporaryDirectory(prefix="e2e-chromium-") as profile:
        browser = Browser(executable, Path(profile), Path(profile) / "chromium.log")
        try:
            async with aiohttp.ClientSession() as session:
                await browser.connect(session)
                await browser.navigate(f"{stack.hass.url}/")

                async def login_form() -> None:
                    assert await browser.has("input[name=username]"), await browser.location()

                await eventually(login_form, timeout=60, what="the login page")
                assert URL(await browser.location()).path == "/auth/authorize"
                await browser.type_into("input[name=username]", DEMO_USER)
                await browser.type_into("input[name=password]", DEMO_PASSWORD)
                await browser.press_enter()

                async def logged_in() -> None:
                    # "Keep me logged in" (ticked by default) keeps the tokens here.
                    assert await browser.evaluate("!!localStorage.getItem('hassTokens')"), (
                        await browser.location()
                    )

                await eventually(logged_in, timeout=60, what="logging in")
                await browser.navigate(f"{stack.hass.url}/config/devices/device/{device}")

                charging_state_sensor = user.cars["Model 3"].entities["sensor.charging_state"]

                async def rendered() -> list[str]:
                    # The page renders card by card: wait until it is all there.
                    texts = await browser.texts()
                    assert "Model 3" in texts, texts[:60]
                    assert "Controls" in texts, texts[:60]
                    assert "Sensors" in texts, texts[:60]
                    # The controls are in the Controls card, which comes before Sensors.
                    controls_card = texts[texts.index("Controls") : texts.index("Sensors")]
                    for control in (
                        "Charging",
                        "Charge limit",
                        "Charging current",
                        "Scheduled charging",
                        "Open charge port",
                    ):
                        assert control in controls_card, (control, controls_card)
                    # The rows show the car's live values, as the state API has them.
                    state = (await user.api.state(charging_state_sensor))["state"]
                    assert "Charging state" in texts, texts
                    shown = texts[texts.index("Charging state") + 1]
                    assert shown == _translated("charging_state", state), (state, shown)
                    return texts

                await eventually(rendered, timeout=60, what="the device page with the car's controls")
                png = await browser.screenshot(ARTIFACTS / "model-3-device-page.png")
                assert png.startswith(b"\x89PNG\r\n\x1a\n")
        finally:
            await browser.close()


def _translated(sensor: str, state: str) -> str:
    """How the frontend shows a sensor's state: its English translation, else "Unknown"."""
    translations = json.loads((INTEGRATION / "translations" / "en.json").read_text())
    if state in ("unknown", "unavailable"):
        return state.capitalize()
    return str(translations["entity"]["sensor"][sensor]["state"][state])


async def test_no_secret_in_home_assistant_log(stack: Stack) -> None:
    log = (stack.hass.config_dir / "home-assistant.log").read_text(errors="replace")
    assert "ev_charge_control" in log  # the integration logged at debug level
    for secret in (DEMO_TESLA_TOKEN, DEMO_REALTO_SECRET, stack.tokens.access_token):
        assert secret not in log


# ------------------------------------------------------------------------ restart
@contextlib.contextmanager
def own_stack(base: Path) -> Iterator[tuple[Simulator, HomeAssistant]]:
    """A simulator and Home Assistant of the test's own, stopped when it ends."""
    pytest_socket.enable_socket()
    sim = Simulator(free_port(), base / "simulator.log")
    config = base / "config"
    port = free_port()
    prepare_config(config, port=port, name="Restart", comment="restart test", extra=LOGGER)
    hass = HomeAssistant(config, port, env={ENV_TESLA_AUTH_URL: sim.url})
    try:
        yield sim, hass
    finally:
        hass.stop()
        sim.stop()


def _refreshes(log: list[dict[str, Any]]) -> list[tuple[str, int]]:
    """(refresh token used, status) of every refresh-token grant in the log."""
    found = []
    for record in log:
        if record["path"] == "/oauth2/v3/token":
            body = parse_qs(record["body"]) if isinstance(record["body"], str) else record["body"]
            grant = body.get("grant_type")
            if grant in ("refresh_token", ["refresh_token"]):
                token = body["refresh_token"]
                found.append((token[0] if isinstance(token, list) else token, record["status"]))
    return found


async def test_restart_keeps_the_rotated_refresh_token(tmp_path: Path) -> None:
    with own_stack(tmp_path) as (sim, hass):
        hass.start()
        async with aiohttp.ClientSession() as session:
            await sim.wait_ready(session)
            await hass.wait_ready(session)
            tokens = await onboard(
                session, hass.url, name=DEMO_NAME, username=DEMO_USER, password=DEMO_PASSWORD
            )
            api = Api(session, hass.url, tokens.access_token)
            admin = SimulatorAdmin(session, sim.url)
            await api.wait_running()
            async with await api.websocket() as ws:
                await ws.call(
                    "application_credentials/create",
                    domain=DOMAIN,
                    client_id="e2e-client",
                    client_secret="e2e-client-secret",
                    name="Simulator",
                )

            # Sign in with Tesla, as the dialog does: the browser goes to the authorize
            # page and comes back to Home Assistant's callback.
            result = await api.flow_start(DOMAIN)
            result = await api.flow_step(
                result["flow_id"], {"next_step_id": "tesla_oauth"}, headers=frontend_base(hass.url)
            )
            assert result["type"] == "external", result
            authorize = URL(result["url"])
            assert str(authorize.with_query(None)) == f"{sim.url}/oauth2/v3/authorize"
            assert authorize.query["redirect_uri"] == f"{hass.url}/auth/external/callback"
            callback = await follow_oauth(session, str(authorize))
            assert callback.query["code"]
            result = await api.flow_step(result["flow_id"], {})
            assert (result["type"], result["step_id"]) == ("form", "oauth_api"), result
            result = await api.flow_step(result["flow_id"], {})  # no proxy
            assert result["step_id"] == "vehicles", result
            result = await api.flow_step(result["flow_id"], {"vehicles": [VIN, VIN2]})
            assert result["type"] == "create_entry", result
            entry_id = result["result"]["entry_id"]
            await _wait_loaded(api, entry_id)
            async with await api.websocket() as ws:
                limit = (await cars(ws))["Road Runner"].entities["number.charge_limit"]

            # The access token expires at Tesla: the next request gets 401, and Home
            # Assistant refreshes; Tesla hands out a new refresh token and spends the old.
            assert (await admin.post("/sim/tokens/expire", {}))["expired"] >= 1
            since = await admin.last_seq()
            await _set_limit_through_a_refresh(api, admin, since, limit, 70)
            [(first_refresh_token, status)] = _refreshes(await admin.requests(since))
            assert status == 200

        # Stop gracefully (Home Assistant writes its config entries on the way out), start again.
        assert hass.stop() == 0
        hass.start()
        async with aiohttp.ClientSession() as session:
            await hass.wait_ready(session)
            tokens = await login(session, hass.url, username=DEMO_USER, password=DEMO_PASSWORD)
            api = Api(session, hass.url, tokens.access_token)
            admin = SimulatorAdmin(session, sim.url)
            await api.wait_running()
            await _wait_loaded(api, entry_id)
            since = await admin.last_seq()
            # The stored tokens work: expire the access token again, and the refresh
            # must use the rotated refresh token (the first one is spent: reusing it
            # would be refused, and Home Assistant would ask to sign in again).
            assert (await admin.post("/sim/tokens/expire", {}))["expired"] >= 1
            await _set_limit_through_a_refresh(api, admin, since, limit, 75)
            [(second_refresh_token, status)] = _refreshes(await admin.requests(since))
            assert status == 200
            assert second_refresh_token != first_refresh_token
            async with await api.websocket() as ws:
                flows = await ws.call("config_entries/flow/progress")
            assert [f for f in flows if f["handler"] == DOMAIN] == []  # no reauthentication
            entry = next(e for e in await api.entries() if e["entry_id"] == entry_id)
            assert entry["state"] == "loaded"


async def _set_limit_through_a_refresh(
    api: Api, admin: SimulatorAdmin, since: int, limit: str, percent: int
) -> None:
    """Set the charge limit with an expired access token: 401, refresh, then the command."""
    await api.call_service("number", "set_value", {"entity_id": limit, "value": percent})
    path = _command(VIN2, "set_charge_limit")

    async def sent() -> None:
        log = await admin.requests(since)
        statuses = [r["status"] for r in log if r["path"] == path]
        assert statuses == [401, 200], statuses
        refresh = [r for r in log if r["path"] == "/oauth2/v3/token"]
        command = [r for r in log if r["path"] == path]
        assert refresh
        assert refresh[0]["seq"] < command[1]["seq"]
        assert command[1]["body"] == {"percent": percent}

    await eventually(sent, timeout=90, what="the command going through a token refresh")

    async def shown() -> None:
        state = (await api.state(limit))["state"]
        assert state not in ("unknown", "unavailable"), state
        assert float(state) == percent, state

    await eventually(shown, timeout=60, what=f"{limit} showing {percent}")


async def _wait_loaded(api: Api, entry_id: str) -> None:
    async def loaded() -> None:
        entry = next(e for e in await api.entries() if e["entry_id"] == entry_id)
        assert entry["state"] == "loaded", entry

    await eventually(loaded, timeout=60, what="the entry loading")
