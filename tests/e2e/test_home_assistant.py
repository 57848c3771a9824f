"""End to end: the simulator and a real Home Assistant process, used as people use them.

The module starts ``python -m simulator`` with the demo scenario (a Model 3 on 2025
firmware that takes signed commands only, plugged in at home and asleep; a 2016 Model S
on the road that takes plain ones; a re.alto ID.4) and ``hass -c`` on a temporary config
folder, each on a free loopback port.  Set-up is a new user's: application credentials,
sign in with Tesla, sign commands here with Home Assistant's own address as the
application's domain, pair the key on the simulator's stand-in for the Tesla app, pick
the cars; then re.alto.  Everything goes through Home Assistant's public REST and
WebSocket APIs, as its frontend, an automation or a voice assistant would; the
simulator's request log shows what reached the vehicle APIs, signed or not.
"""

from __future__ import annotations

import base64
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
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
import pytest
import pytest_socket
from yarl import URL

from .browser import Browser, chromium_path
from .demo_plan import PRICE_ENTITY, show_plan
from .harness import (
    DEMO_NAME,
    DEMO_PASSWORD,
    DEMO_REALTO_CLIENT,
    DEMO_REALTO_SECRET,
    DEMO_TESLA_APP_ID,
    DEMO_TESLA_APP_SECRET,
    DEMO_TESLA_EMAIL,
    DEMO_TESLA_TOKEN,
    DEMO_USER,
    DOMAIN,
    ENV_TESLA_AUTH_URL,
    INTEGRATION,
    KEY_FILE,
    PUBLIC_KEY_PATH,
    ROOT,
    Api,
    Car,
    HomeAssistant,
    Simulator,
    SimulatorAdmin,
    TeslaSetUp,
    Tokens,
    WebSocket,
    WebSocketError,
    add_realto_account,
    add_tesla_account,
    cars,
    ensure_tesla_application,
    eventually,
    free_port,
    login,
    loopback_domain,
    onboard,
    prepare_config,
    run,
)

# Each test bounds its own waits; this is the backstop for a test and its fixtures
# (the first test also starts Home Assistant and sets it up).
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

VIN = "LRW3E7EK4NC000001"  # Model 3: 2025 firmware, signed commands only; plugged in, asleep
VIN2 = "5YJSA1E41GF000002"  # Road Runner: a 2016 Model S, plain commands; on a 45-minute drive
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
# What the integration names the schedules it writes on the car.
SCHEDULE_NAME = "Home Assistant"


@dataclass
class SetUpSeen:
    """What the config flows showed the new user, step by step."""

    domain: str  # the application's domain: this Home Assistant's own address
    tesla: TeslaSetUp
    tesla_token: list[dict[str, Any]]
    realto: list[dict[str, Any]]


@dataclass
class Stack:
    """The running processes, the owner's login, and what the config flows showed."""

    sim: Simulator
    hass: HomeAssistant
    tokens: Tokens
    seen: SetUpSeen


async def _set_up(sim: Simulator, hass: HomeAssistant) -> tuple[Tokens, SetUpSeen]:
    """Onboard, then add the accounts through the config flows, keeping every answer."""
    async with aiohttp.ClientSession() as session:
        await sim.wait_ready(session)
        await hass.wait_ready(session)
        tokens = await onboard(session, hass.url, name=DEMO_NAME, username=DEMO_USER, password=DEMO_PASSWORD)
        api = Api(session, hass.url, tokens.access_token)
        await api.wait_running()
        async with await api.websocket() as ws:
            assert await ensure_tesla_application(ws, DEMO_TESLA_APP_ID, DEMO_TESLA_APP_SECRET)
        domain = loopback_domain(hass.url)
        tesla = await add_tesla_account(api, domain, vehicles=[VIN, VIN2], submit_before_pairing=True)
        # The same account again, by access token: a wrong token is refused on the form,
        # and the right one is recognised as the account already there.
        token = [await api.flow_start(DOMAIN)]
        token.append(await api.flow_step(token[-1]["flow_id"], {"next_step_id": "tesla_token"}))
        for value in ("not-the-token", DEMO_TESLA_TOKEN):
            token.append(
                await api.flow_step(token[-1]["flow_id"], {"api_url": sim.url, "access_token": value})
            )
        realto = await add_realto_account(api, sim.url)
        return tokens, SetUpSeen(domain, tesla, token, realto)


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
        tokens, seen = run(_set_up(sim, hass))
        yield Stack(sim, hass, tokens, seen)
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

    async def signed(
        self, since: int, vin: str, command: str, *, timeout: float = 90, count: int = 1
    ) -> list[dict[str, Any]]:
        """The signed commands ``command`` (at least ``count``) the car took since ``since``:
        ``signed_command`` requests whose message the car verified and ran (fault 0)."""

        async def check() -> list[dict[str, Any]]:
            found = [
                r
                for r in await self.signed_log(since, vin)
                if r["signed"] == "command" and r["command"] == command and r["signed_fault"] == 0
            ]
            assert len(found) >= count, f"{len(found)} x signed {command}"
            return found

        return await eventually(check, timeout=timeout, what=f"a signed {command} reaching {vin}")

    async def signed_log(self, since: int, vin: str) -> list[dict[str, Any]]:
        """Every ``signed_command`` request to ``vin`` since ``since``."""
        return [r for r in await self.sim.requests(since) if r["path"] == _signed_path(vin)]

    async def no_plain_command(self, since: int, vin: str) -> None:
        """Nothing went to ``vin`` as a plain REST command: the car would refuse it."""
        plain = [r["path"] for r in await self.sim.requests(since) if r["path"].startswith(_command(vin, ""))]
        assert plain == [], plain

    async def tesla(self, vin: str) -> dict[str, Any]:
        return dict((await self.sim.vehicle(vin))["charge_state"])

    async def schedules(self, vin: str, endpoints: str = "charge_schedule_data") -> dict[str, Any]:
        """What the car reports of its schedules, asked as Tesla's API is asked (with the
        demo account's fixed token, as the Tesla app would be signed in)."""
        url = f"{self.sim.url}/api/1/vehicles/{vin}/vehicle_data"
        headers = {"Authorization": f"Bearer {DEMO_TESLA_TOKEN}"}
        async with self.sim.session.get(url, params={"endpoints": endpoints}, headers=headers) as response:
            assert response.status == 200, f"vehicle_data: {response.status} {await response.text()}"
            return dict((await response.json())["response"])


@pytest.fixture
async def user(stack: Stack) -> AsyncIterator[User]:
    async with aiohttp.ClientSession() as session:
        api = Api(session, stack.hass.url, stack.tokens.access_token)
        async with await api.websocket() as ws:
            yield User(api, ws, SimulatorAdmin(session, stack.sim.url), await cars(ws))


def _command(vin: str, name: str) -> str:
    return f"/api/1/vehicles/{vin}/command/{name}"


def _signed_path(vin: str) -> str:
    return f"/api/1/vehicles/{vin}/signed_command"


# ---------------------------------------------------------------------- set-up
async def test_a_new_user_signs_in_with_tesla_signs_here_and_pairs(stack: Stack, user: User) -> None:
    """The "Tesla account" set-up, as the dialog showed it, to the Model 3 knowing the key."""
    sim, seen, domain = stack.sim, stack.seen, stack.seen.domain
    steps = seen.tesla.steps
    assert [(s["type"], s.get("step_id")) for s in steps] == [
        ("menu", "user"),
        ("external", "auth"),
        ("menu", "commands"),
        ("form", "signing_domain"),
        ("form", "signing_pair"),
        ("form", "signing_pair"),
        ("form", "vehicles"),
        ("create_entry", None),
    ]
    menu, sign_in, commands, domain_form, pair_form, not_yet, vehicles, created = steps
    assert menu["menu_options"] == ["tesla_oauth", "tesla_token", "realto"]
    # Sign in with Tesla: the browser went to the simulator and came back to Home Assistant.
    authorize = URL(sign_in["url"])
    assert str(authorize.with_query(None)) == f"{sim.url}/oauth2/v3/authorize"
    assert authorize.query["redirect_uri"] == f"{stack.hass.url}/auth/external/callback"
    assert authorize.query["client_id"] == DEMO_TESLA_APP_ID
    assert commands["menu_options"] == ["signing_domain", "oauth_api", "plain_commands"]

    # "Sign them here": the form shows the key Home Assistant serves, and where.
    assert [f["name"] for f in domain_form["data_schema"]] == ["domain"]
    placeholders = domain_form["description_placeholders"]
    assert placeholders["key_path"] == PUBLIC_KEY_PATH
    async with user.sim.session.get(f"{stack.hass.url}{PUBLIC_KEY_PATH}") as response:
        served = (await response.text()).strip()
    assert placeholders["public_key"] == served
    assert served.startswith("-----BEGIN PUBLIC KEY-----")

    # Tesla (the simulator) fetched the key from Home Assistant and registered the domain.
    registration = (await user.sim.partner())["registrations"]["na"][domain]
    assert registration["client_id"] == DEMO_TESLA_APP_ID
    assert registration["public_key"] == _point_hex(served.encode())

    # Pairing: the link opens the Tesla app's page for this domain; only the Model 3 needs it.
    pairing_url = f"{sim.url}/_ak/{domain}"
    assert pair_form["description_placeholders"]["pairing_url"] == pairing_url
    assert pair_form["description_placeholders"]["cars"] == "Model 3"
    [qr_code] = [f for f in pair_form["data_schema"] if f["name"] == "qr_code"]
    assert qr_code["selector"]["qr_code"]["data"] == pairing_url
    # Submitted before pairing: Tesla says the car lacks the key, and the form says which.
    assert not_yet["errors"] == {"base": "not_paired"}
    assert not_yet["description_placeholders"]["unpaired"] == "Model 3"
    pairing = seen.tesla.pairing
    assert pairing is not None
    assert pairing.url == pairing_url
    assert "Add key to Model 3" in pairing.page
    assert "Add key to Road Runner" in pairing.page  # the app lists every car...
    assert pairing.added == {VIN: "Model 3"}  # ...the owner added the key to the one that needs it
    signing = await user.sim.signing(VIN)
    assert signing["paired_keys"] == [registration["public_key"]]

    options = vehicles["data_schema"][0]["selector"]["select"]["options"]
    assert {o["value"]: o["label"] for o in options} == {
        VIN: f"Model 3 ({VIN})",
        VIN2: f"Road Runner ({VIN2})",
    }
    assert (created["type"], created["title"]) == ("create_entry", DEMO_TESLA_EMAIL)

    # The same account by access token: a wrong token is refused where it was typed, the
    # right one is recognised as the account already set up.
    _, form, refused, again = seen.tesla_token
    assert [field["name"] for field in form["data_schema"]] == ["api_url", "access_token"]
    assert (refused["step_id"], refused["errors"]) == ("tesla_token", {"base": "invalid_auth"})
    assert (again["type"], again["reason"]) == ("abort", "already_configured")

    _, form, created = seen.realto
    assert (form["type"], form["step_id"]) == ("form", "realto")
    assert [field["name"] for field in form["data_schema"]] == ["api_url", "client_id", "client_secret"]
    # One EV on the account: no picker, the entry at once.
    assert (created["type"], created["title"]) == ("create_entry", f"re.alto ({DEMO_REALTO_CLIENT})")

    entries = await user.api.entries()
    assert sorted((e["title"], e["state"]) for e in entries) == [
        (DEMO_TESLA_EMAIL, "loaded"),
        (f"re.alto ({DEMO_REALTO_CLIENT})", "loaded"),
    ]
    # Set up with the key paired: no repair asks for pairing or signing.
    issues = (await user.ws.call("repairs/list_issues"))["issues"]
    assert [i["issue_id"] for i in issues if i["domain"] == DOMAIN] == []
    log = await user.sim.requests()
    vehicle_lists = [r["status"] for r in log if r["path"] == "/api/1/vehicles" and r["method"] == "GET"]
    assert 401 in vehicle_lists  # the wrong token
    await user.no_plain_command(0, VIN)
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
async def test_charging_switch_wakes_the_model_3_then_signs_start_and_stop(user: User) -> None:
    """The car that requires signing charges when the new user turns charging on."""
    switch = user.cars["Model 3"].entities["switch.charging"]
    await user.sim.post(f"/sim/vehicles/{VIN}", {"action": "state", "state": "asleep"})
    since = await user.sim.last_seq()

    await user.api.call_service("switch", "turn_on", {"entity_id": switch})
    [start] = await user.signed(since, VIN, "charge_start")
    assert (start["status"], start["domain"], start["params"]) == (200, "infotainment", {})
    log = await user.sim.requests(since)
    wakes = [r for r in log if r["path"] == f"/api/1/vehicles/{VIN}/wake_up"]
    assert wakes
    assert wakes[0]["seq"] < start["seq"]
    # A handshake opens the session (unless an earlier test did), then the one command.
    assert [(r["signed"], r["command"]) for r in await user.signed_log(since, VIN)] in (
        [("handshake", None), ("command", "charge_start")],
        [("command", "charge_start")],
    )
    await user.wait_state(switch, "on")
    assert (await user.tesla(VIN))["charging_state"] in ("Starting", "Charging")

    since = await user.sim.last_seq()
    await user.api.call_service("switch", "turn_off", {"entity_id": switch})
    [stop] = await user.signed(since, VIN, "charge_stop")
    assert stop["status"] == 200
    await user.wait_state(switch, "off")
    assert (await user.tesla(VIN))["charging_state"] == "Stopped"
    assert [r["signed"] for r in await user.signed_log(since, VIN)] == ["command"]  # the same session
    await user.no_plain_command(0, VIN)


async def test_numbers_set_the_charge_limit_and_current(user: User) -> None:
    entities = user.cars["Model 3"].entities
    since = await user.sim.last_seq()
    await user.api.call_service(
        "number", "set_value", {"entity_id": entities["number.charge_limit"], "value": 85}
    )
    [request] = await user.signed(since, VIN, "set_charge_limit")
    assert request["params"] == {"percent": 85}
    await user.wait_number(entities["number.charge_limit"], 85)
    assert (await user.tesla(VIN))["charge_limit_soc"] == 85

    since = await user.sim.last_seq()
    await user.api.call_service(
        "number", "set_value", {"entity_id": entities["number.charging_amps"], "value": 12}
    )
    [request] = await user.signed(since, VIN, "set_charging_amps")
    assert request["params"] == {"charging_amps": 12}
    await user.wait_number(entities["number.charging_amps"], 12)
    assert (await user.tesla(VIN))["charge_current_request"] == 12
    await user.no_plain_command(0, VIN)


async def test_buttons_open_the_port_and_set_max_and_standard_range(user: User) -> None:
    entities = user.cars["Model 3"].entities
    limit = entities["number.charge_limit"]

    since = await user.sim.last_seq()
    await user.api.call_service("button", "press", {"entity_id": entities["button.open_charge_port"]})
    await user.signed(since, VIN, "charge_port_door_open")
    await user.wait_state(entities["binary_sensor.charge_port_open"], "on")
    assert (await user.tesla(VIN))["charge_port_door_open"] is True

    for button, command, soc_field in (
        ("button.max_range", "charge_max_range", "charge_limit_soc_max"),
        ("button.standard_range", "charge_standard", "charge_limit_soc_std"),
    ):
        since = await user.sim.last_seq()
        await user.api.call_service("button", "press", {"entity_id": entities[button]})
        await user.signed(since, VIN, command)
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
    # The car verified the signed command and answered with its refusal.
    [request] = [r for r in await user.signed_log(since, VIN) if r["command"] == "charge_port_door_close"]
    assert (request["status"], request["signed_fault"]) == (200, 0)
    assert "cable" in refused.value.message.lower(), refused.value.message
    assert await user.state(entities["binary_sensor.charge_port_open"]) == "on"
    await user.no_plain_command(0, VIN)


async def test_scheduled_charging_on_2025_firmware_writes_charge_schedules(user: User) -> None:
    """The switch and both actions write the Model 3's schedules (firmware 2024.26+)."""
    car = user.cars["Model 3"]
    switch = car.entities["switch.scheduled_charging"]

    since = await user.sim.last_seq()
    await user.api.call_service(
        DOMAIN, "set_scheduled_charging", {"device_id": car.device_id, "enable": True, "time": "01:30"}
    )
    await user.signed(since, VIN, "add_charge_schedule")
    [ours] = await _our_schedules(user, "charge_schedules")
    assert (ours["start_enabled"], ours["start_time"], ours["enabled"]) == (True, 90, True)
    assert (ours["days_of_week"], ours["end_enabled"], ours["one_time"]) == (127, False, False)
    # Tesla ties a schedule to a place: Home Assistant's home (configuration.yaml).
    assert (round(ours["latitude"], 3), round(ours["longitude"], 3)) == (52.373, 4.892)
    await user.wait_state(switch, "on")

    since = await user.sim.last_seq()
    await user.api.call_service("switch", "turn_off", {"entity_id": switch})
    await user.signed(since, VIN, "add_charge_schedule")
    [ours] = await _our_schedules(user, "charge_schedules")
    assert (ours["enabled"], ours["start_time"]) == (False, 90)  # kept, turned off
    await user.wait_state(switch, "off")

    since = await user.sim.last_seq()
    await user.api.call_service("switch", "turn_on", {"entity_id": switch})
    await user.signed(since, VIN, "add_charge_schedule")
    [ours] = await _our_schedules(user, "charge_schedules")
    assert (ours["enabled"], ours["start_time"]) == (True, 90)  # the car's time is kept
    await user.wait_state(switch, "on")

    since = await user.sim.last_seq()
    await user.api.call_service(
        DOMAIN,
        "set_scheduled_departure",
        {**_departure(car.device_id), "off_peak_start_time": "00:30"},
    )
    await user.signed(since, VIN, "add_precondition_schedule")
    await user.signed(since, VIN, "add_charge_schedule")
    [precondition] = await _our_schedules(user, "precondition_schedules")
    assert (precondition["precondition_time"], precondition["days_of_week"]) == (450, 127)
    assert precondition["enabled"] is True
    window = [s for s in await _our_schedules(user, "charge_schedules") if s["end_enabled"]]
    assert [(s["start_time"], s["end_time"], s["days_of_week"], s["enabled"]) for s in window] == [
        (30, 360, 62, True)  # off-peak hours on weekdays
    ]
    # Never the deprecated commands, which such a car answers "done" to and ignores.
    commands = {r["command"] for r in await user.signed_log(0, VIN)}
    assert not commands & {"set_scheduled_charging", "set_scheduled_departure"}, commands
    await user.no_plain_command(0, VIN)


async def _our_schedules(user: User, kind: str) -> list[dict[str, Any]]:
    """The Model 3's charge or precondition schedules that Home Assistant wrote."""
    endpoint = "charge_schedule_data" if kind == "charge_schedules" else "preconditioning_schedule_data"
    data = (await user.schedules(VIN, endpoint))[endpoint][kind]
    return [s for s in data if s["name"] == SCHEDULE_NAME]


async def test_scheduled_charging_on_the_model_s_uses_the_older_commands(user: User) -> None:
    """The 2016 Model S has no charge schedules: the same controls send the older commands."""
    car = user.cars["Road Runner"]
    switch = car.entities["switch.scheduled_charging"]

    since = await user.sim.last_seq()
    await user.api.call_service(
        DOMAIN, "set_scheduled_charging", {"device_id": car.device_id, "enable": True, "time": "01:30"}
    )
    [request] = await user.sent(since, "POST", _command(VIN2, "set_scheduled_charging"))
    assert (request["body"], request["status"]) == ({"enable": True, "time": 90}, 200)
    await user.wait_state(switch, "on")
    assert (await user.tesla(VIN2))["scheduled_charging_mode"] == "StartAt"

    since = await user.sim.last_seq()
    await user.api.call_service("switch", "turn_off", {"entity_id": switch})
    [request] = await user.sent(since, "POST", _command(VIN2, "set_scheduled_charging"))
    assert request["body"]["enable"] is False
    await user.wait_state(switch, "off")

    since = await user.sim.last_seq()
    await user.api.call_service("switch", "turn_on", {"entity_id": switch})
    [request] = await user.sent(since, "POST", _command(VIN2, "set_scheduled_charging"))
    assert request["body"] == {"enable": True, "time": 90}  # the car's time is kept
    await user.wait_state(switch, "on")

    since = await user.sim.last_seq()
    await user.api.call_service(
        DOMAIN,
        "set_scheduled_departure",
        _departure(car.device_id),
    )
    [request] = await user.sent(since, "POST", _command(VIN2, "set_scheduled_departure"))
    assert request["body"] == {
        "enable": True,
        "departure_time": 450,
        "preconditioning_enabled": True,
        "preconditioning_weekdays_only": False,
        "off_peak_charging_enabled": True,
        "off_peak_charging_weekdays_only": True,
        "end_off_peak_time": 360,
    }
    state = await user.tesla(VIN2)
    assert state["scheduled_departure_time_minutes"] == 450
    assert state["off_peak_charging_enabled"] is True
    assert await user.signed_log(0, VIN2) == []  # this car takes plain commands


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
        [request] = await user.signed(since, VIN, command)
        assert request["status"] == 200
        await user.wait_state(switch, wanted)
    await user.no_plain_command(0, VIN)


# --------------------------------------------------------------------- the demo
async def test_the_demos_charging_plan_shows_on_the_model_3(user: User) -> None:
    """What scripts/develop sets up last (demo_plan.py): a simulated Nord Pool sensor, the
    Tesla entry's price option, and the planner on for the Model 3; the plan reaches the
    car as a signed one-time charge schedule."""
    car = user.cars["Model 3"]
    since = await user.sim.last_seq()
    plan = await show_plan(user.api, user.sim, car, VIN)
    attributes = plan["attributes"]
    assert plan["state"] == "planned", attributes
    assert attributes["price_entity"] == PRICE_ENTITY
    assert attributes["windows"], attributes
    assert "cheapest slots" in attributes["explanation"], attributes["explanation"]
    assert attributes["written_to_car"] is True, attributes
    await user.signed(since, VIN, "add_charge_schedule")
    # Off again, as the later tests found the car: the plan's schedule leaves it.
    switch = car.entities["switch.ready_by"]
    await user.api.call_service("switch", "turn_off", {"entity_id": switch})
    await user.wait_state(car.entities["sensor.charging_plan"], "off")
    await user.signed(since, VIN, "remove_charge_schedule")


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


# ------------------------------------------------------------------- the key
async def test_home_assistant_serves_the_public_key_tesla_registered(stack: Stack) -> None:
    """Tesla's well-known path answers without a login, with the key Tesla holds."""
    async with aiohttp.ClientSession() as session:  # no login: Tesla has none
        async with session.get(f"{stack.hass.url}{PUBLIC_KEY_PATH}") as response:
            assert response.status == 200
            assert response.headers["Content-Type"] == "application/x-pem-file"
            served = await response.read()
        # Every other path still wants Home Assistant's login.
        async with session.get(f"{stack.hass.url}/api/config") as response:
            assert response.status == 401
        admin = SimulatorAdmin(session, stack.sim.url)
        registered = (await admin.partner())["registrations"]["na"][stack.seen.domain]["public_key"]
    assert served.startswith(b"-----BEGIN PUBLIC KEY-----")
    assert _point_hex(served) == registered
    # ...and it is the public half of the key in the installation's key file.
    private = _private_key(stack.hass.config_dir)
    assert _point_hex(private.public_key()) == registered


def _point_hex(key: bytes | ec.EllipticCurvePublicKey) -> str:
    """An EC public key (PEM, or loaded) as Tesla writes it: the 65-byte point in hex."""
    public = serialization.load_pem_public_key(key) if isinstance(key, bytes) else key
    assert isinstance(public, ec.EllipticCurvePublicKey)
    return public.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    ).hex()


def _private_key(config_dir: Path) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key((config_dir / KEY_FILE).read_bytes(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key


async def test_no_private_key_or_token_anywhere(stack: Stack) -> None:
    """Neither the private key nor a token shows in logs, stores, downloads or flows.

    Failures name the place and the secret, never the secret's value, so a leak does not
    leak again into the test output.
    """
    config = stack.hass.config_dir
    places: dict[str, bytes] = {
        # Home Assistant's log, its console, every store and file it wrote...
        **{
            str(path.relative_to(config)): path.read_bytes()
            for path in sorted(config.rglob("*"))
            if path.is_file() and not path.is_symlink() and path != config / KEY_FILE
        },
        "the simulator's log": stack.sim.child.log_path.read_bytes(),
        # ...what the config flows showed the user...
        "the config flows": json.dumps(
            [stack.seen.tesla.steps, stack.seen.tesla_token, stack.seen.realto], default=str
        ).encode(),
        # ...and the artefacts the tests leave (the browser's screenshot).
        **{str(path): path.read_bytes() for path in sorted(ARTIFACTS.glob("*")) if path.is_file()},
    }
    async with aiohttp.ClientSession() as session:
        api = Api(session, stack.hass.url, stack.tokens.access_token)
        for entry in await api.entries():
            path = f"/api/diagnostics/config_entry/{entry['entry_id']}"
            async with session.get(f"{api.url}{path}", headers=api.headers) as response:
                assert response.status == 200, path
                download = await response.read()
            assert json.loads(download)["data"]["entry"], path
            places[f"diagnostics of {entry['title']}"] = download

    private = _private_secrets(config)
    # Signed in with Tesla: Home Assistant holds the pair (and stores it a moment later).
    tesla_tokens = await eventually(
        lambda: _stored_tesla_tokens(config), timeout=30, what="Home Assistant storing the Tesla tokens"
    )
    tokens = [
        *tesla_tokens,
        DEMO_TESLA_TOKEN,
        DEMO_REALTO_SECRET,
        DEMO_TESLA_APP_SECRET,
        stack.tokens.access_token,
        stack.tokens.refresh_token,
    ]
    leaks = [
        (place, "the private key")
        for place, data in places.items()
        if any(needle in data for needle in private)
    ]
    # Home Assistant keeps tokens and secrets in its stores by design, and the simulator
    # prints its demo credentials when it starts; nowhere else.
    leaks += [
        (place, f"secret #{number}")
        for place, data in places.items()
        if not place.startswith(".storage/") and place != "the simulator's log"
        for number, secret in enumerate(tokens)
        if secret.encode() in data
    ]
    assert leaks == []
    assert b"ev_charge_control" in places["home-assistant.log"]  # it logged, at debug level


def _private_secrets(config_dir: Path) -> list[bytes]:
    """Every form the private key could leak in: the key file's base64 lines (those that
    hold private bytes: a line of the public point alone may show, as the public key does),
    the whole body, and the private scalar as hex, raw bytes and base64."""
    pem = (config_dir / KEY_FILE).read_text()
    lines = [line for line in pem.splitlines() if line and not line.startswith("-----")]
    key = _private_key(config_dir)
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    public_body = "".join(line for line in public.splitlines() if not line.startswith("-----"))
    private_lines = [line for line in lines if len(line) >= 16 and line.rstrip("=") not in public_body]
    assert private_lines  # the key's own bytes are there to look for
    scalar = key.private_numbers().private_value.to_bytes(32, "big")
    needles = [
        "".join(lines),
        *private_lines,
        scalar.hex(),
        scalar.hex().upper(),
        base64.b64encode(scalar).decode().rstrip("="),
        base64.urlsafe_b64encode(scalar).decode().rstrip("="),
    ]
    return [needle.encode() for needle in needles] + [scalar]


async def _stored_tesla_tokens(config_dir: Path) -> list[str]:
    """The access and refresh token Home Assistant holds for the Tesla account."""
    path = config_dir / ".storage" / "core.config_entries"
    assert path.is_file(), "no config entries stored yet"
    entries = json.loads(path.read_text())["data"]["entries"]
    tokens = [
        str(entry["data"]["token"][name])
        for entry in entries
        if entry["domain"] == DOMAIN and "token" in entry["data"]
        for name in ("access_token", "refresh_token")
    ]
    assert tokens, "no Tesla entry with tokens stored yet"
    return tokens


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


async def test_restart_keeps_the_rotated_refresh_token_and_the_signing_session(tmp_path: Path) -> None:
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
                await ensure_tesla_application(ws, DEMO_TESLA_APP_ID, DEMO_TESLA_APP_SECRET)
            # Signed in with Tesla, commands signed here, the Model 3 paired.
            done = await add_tesla_account(api, loopback_domain(hass.url), vehicles=[VIN, VIN2])
            assert done.result["type"] == "create_entry", done.result
            assert done.pairing is not None
            assert done.pairing.added == {VIN: "Model 3"}
            entry_id = done.result["result"]["entry_id"]
            await _wait_loaded(api, entry_id)
            async with await api.websocket() as ws:
                found = await cars(ws)
            model3_limit = found["Model 3"].entities["number.charge_limit"]
            limit = found["Road Runner"].entities["number.charge_limit"]
            key_file = (hass.config_dir / KEY_FILE).read_bytes()

            # A signed command opens a session with the car: a handshake, then the command.
            await admin.post(f"/sim/vehicles/{VIN}", {"action": "state", "state": "online"})
            since = await admin.last_seq()
            await _set_signed_limit(api, admin, since, model3_limit, 70)
            assert [r["signed"] for r in await _signed_since(admin, since)] == ["handshake", "command"]

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
                issues = (await ws.call("repairs/list_issues"))["issues"]
            assert [f for f in flows if f["handler"] == DOMAIN] == []  # no reauthentication
            assert [i["issue_id"] for i in issues if i["domain"] == DOMAIN] == []  # still paired
            entry = next(e for e in await api.entries() if e["entry_id"] == entry_id)
            assert entry["state"] == "loaded"

            # The same key, and the car's session kept: the command goes without a handshake.
            assert (hass.config_dir / KEY_FILE).read_bytes() == key_file
            since = await admin.last_seq()
            await _set_signed_limit(api, admin, since, model3_limit, 75)
            assert [r["signed"] for r in await _signed_since(admin, since)] == ["command"]


async def _signed_since(admin: SimulatorAdmin, since: int) -> list[dict[str, Any]]:
    return [r for r in await admin.requests(since) if r["path"] == _signed_path(VIN)]


async def _set_signed_limit(api: Api, admin: SimulatorAdmin, since: int, limit: str, percent: int) -> None:
    """Set the Model 3's charge limit: a signed command the car verifies and runs."""
    await api.call_service("number", "set_value", {"entity_id": limit, "value": percent})

    async def ran() -> None:
        commands = [r for r in await _signed_since(admin, since) if r["signed"] == "command"]
        assert [(r["command"], r["params"], r["signed_fault"]) for r in commands] == [
            ("set_charge_limit", {"percent": percent}, 0)
        ], commands

    await eventually(ran, timeout=60, what="the signed command reaching the car")
    assert (await admin.vehicle(VIN))["charge_state"]["charge_limit_soc"] == percent


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


def _departure(device_id: str) -> dict[str, Any]:
    """Leave at 07:30, preconditioned, charging off-peak on weekdays until 06:00."""
    return {
        "device_id": device_id,
        "enable": True,
        "departure_time": "07:30",
        "preconditioning_enabled": True,
        "preconditioning_weekdays_only": False,
        "off_peak_charging_enabled": True,
        "off_peak_charging_weekdays_only": True,
        "end_off_peak_time": "06:00",
    }
