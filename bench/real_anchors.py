"""Home Assistant's own ``tesla_fleet`` and ``teslemetry``, unmodified, through the bench days.

The re-implemented anchors (``bench/anchors.py``) stay as a cross-check; these run the
real code of Home Assistant 2025.4.4 in the same harness as ours (frozen Home Assistant
clock and the simulator's ``FakeClock`` moved together, ``HomeAssistantStepper``):

* **Libraries**: the versions their manifests pin, ``tesla-fleet-api==1.0.17`` and
  ``teslemetry-stream==0.6.12``, which ``scripts/bench`` installs into a folder of their
  own (``$BENCH_REAL_DEPS``) put first on ``sys.path`` here; the test .venv keeps
  tesla-fleet-api 1.1.3.  (1.1.3 would also run them: between the two, nothing on the
  paths they call changed, except that 1.0.17's Teslemetry ``metadata()`` moves the
  client to ``https://{region}.teslemetry.com``; teslemetry-stream is not in .venv.)
* **Hosts**: Home Assistant's shared client session is replaced, for the test's
  ``hass`` only, by one whose resolver sends Tesla's and Teslemetry's hosts to the
  simulator, over TLS with a throwaway certificate for those names that the session
  trusts.  Nothing in their code is patched.
* **Entries**: tesla_fleet's OAuth entry holds a simulator token (an unsigned JWT with
  the account's region and scopes, as Tesla's) valid for the whole day, so no refresh
  is needed; teslemetry's entry holds the same token as its access token.
* **Teslemetry's own service** (not Tesla's API) is served beside the simulator here:
  ``/api/metadata`` (region, scopes, the car with firmware 2024.20, so its entities
  are the polling ones: the simulator has no Fleet Telemetry stream), the stream's
  ``/api/config/{vin}``, and ``/sse/`` answering an empty stream, so the real stream
  client reconnects with its own back-off (1, 2, 4, ... s), about 17 times a day.
  Its Fleet API calls go to the simulator unchanged.  Not simulated: Teslemetry's
  server wakes a sleeping car itself before a command (its entities do not), so here a
  command to a sleeping car gets the 408 Tesla's API gives.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
import os
from pathlib import Path
import socket
import ssl
import sys
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.test_utils import TestServer
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.application_credentials import ClientCredential, async_import_client_credential
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.aiohttp_client import DATA_CLIENTSESSION, _make_key
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from simulator import FakeClock, World, build_world, create_app
from tests import tls

from .harness import HomeAssistantStepper, _walk, sleep_after
from .metrics import Tap, day_result
from .scenario import CHARGE_LIMIT, CHARGING, CHARGING_AMPS, BenchDay, Request

ROOT = Path(__file__).resolve().parent.parent
DEPS = Path(os.environ.get("BENCH_REAL_DEPS") or ROOT / ".venv" / "bench-real-anchors")
LIBRARIES = {"tesla_fleet_api": "1.0.17", "teslemetry_stream": "0.6.12"}
INTEGRATIONS = {"tesla_fleet_real": "tesla_fleet", "teslemetry_real": "teslemetry"}
"""Policy name in the results → Home Assistant integration."""
HOSTS = (
    "fleet-api.prd.na.vn.cloud.tesla.com",
    "fleet-api.prd.eu.vn.cloud.tesla.com",
    "auth.tesla.com",
    "fleet-auth.prd.vn.cloud.tesla.com",
    "api.teslemetry.com",
    "na.teslemetry.com",
    "eu.teslemetry.com",
)
TESLEMETRY_FIRMWARE = "2024.20.1"
"""Below 2024.26: Teslemetry's polling entities, not its streaming ones."""
_KEYS = {
    CHARGING_AMPS: ("number", ("charge_state_charge_current_request",)),
    CHARGE_LIMIT: ("number", ("charge_state_charge_limit_soc",)),
    CHARGING: ("switch", ("charge_state_user_charge_enable_request", "charge_state_charging_state")),
}
AUTH_DOMAIN = "tesla_fleet_bench"


def use_manifest_libraries() -> str | None:
    """Put the pinned libraries first on ``sys.path``; None if they work, else why not."""
    missing = [f"{n}-{v}" for n, v in LIBRARIES.items() if not (DEPS / f"{n}-{v}.dist-info").is_dir()]
    if missing:
        return f"{', '.join(missing)} not in {DEPS} (scripts/bench installs them)"
    if str(DEPS) not in sys.path:
        if "tesla_fleet_api" in sys.modules:
            return "tesla_fleet_api was imported before the pinned version could be put first"
        sys.path.insert(0, str(DEPS))
    import tesla_fleet_api  # noqa: PLC0415 - only after the path is set

    if tesla_fleet_api.__version__ != LIBRARIES["tesla_fleet_api"]:
        return f"tesla_fleet_api {tesla_fleet_api.__version__} loaded, not {LIBRARIES['tesla_fleet_api']}"
    return None


# ------------------------------------------------------------------ hosts and TLS
def write_certificate(directory: Path) -> Path:
    """A self-signed CA certificate for ``HOSTS``, with its key, in one file."""
    cert, key = tls.write_certificate(directory, HOSTS)
    pem = directory / "bench-tesla-hosts.pem"
    pem.write_bytes(cert.read_bytes() + key.read_bytes())
    return pem


class SimulatorResolver(AbstractResolver):
    """Resolves Tesla's and Teslemetry's hosts to the simulator's address and port."""

    def __init__(self, port: int) -> None:
        self._port = port

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if host not in HOSTS and host not in ("127.0.0.1", "localhost"):
            raise OSError(f"bench: {host} is not redirected to the simulator")
        return [
            ResolveResult(
                hostname=host, host="127.0.0.1", port=self._port, family=socket.AF_INET, proto=0,
                flags=socket.AI_NUMERICHOST,
            )
        ]  # fmt: skip

    async def close(self) -> None:
        return None


def _teslemetry_routes(app: web.Application, world: World, day: BenchDay, scopes: list[str]) -> None:
    """Teslemetry's own service endpoints (its Fleet API calls go to the simulator)."""

    async def metadata(request: web.Request) -> web.Response:
        account = world.accounts[day.account_id]
        vehicles = {
            vin: {"proxy": False, "access": True, "polling": True, "firmware": TESLEMETRY_FIRMWARE}
            for vin in account.vins
        }
        return web.json_response(
            {"uid": day.account_id, "region": account.region.upper(), "scopes": scopes, "vehicles": vehicles}
        )

    async def config(request: web.Request) -> web.Response:
        if request.method == "GET":
            return web.json_response({"fields": {}, "prefer_typed": True})
        return web.json_response({"response": {"updated_vehicles": 1}})

    async def sse(request: web.Request) -> web.Response:
        return web.Response(text="", content_type="text/event-stream")

    app.router.add_get("/api/metadata", metadata)
    app.router.add_get("/api/config/{vin}", config)
    app.router.add_patch("/api/config/{vin}", config)
    app.router.add_get("/sse/{vin:.*}", sse)


async def _end_streams(vehicles: list[Any]) -> None:
    """End what teslemetry leaves running after its unload (not Home Assistant's tasks).

    Its stream's listen task keeps reconnecting, and teslemetry-stream 0.6.12 keeps
    ``TeslemetryStream.vehicles`` in a dict shared by every instance, so the next
    entry for the same car would get a stream vehicle bound to this run's closed
    session ("Session is closed"): emptied here, as a new process would start.
    """
    from teslemetry_stream import TeslemetryStream  # noqa: PLC0415 - the pinned one

    for item in vehicles:
        item.remove_listener()
        item.stream.active = False
        item.stream.close()
    listening = [t for t in asyncio.all_tasks() if "TeslemetryStream.listen" in repr(t.get_coro())]
    for task in listening:
        task.cancel()
    await asyncio.gather(*listening, return_exceptions=True)
    TeslemetryStream.vehicles.clear()


# ------------------------------------------------------------------------- the day
async def run_real(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    tmp_path: Path,
    policy: str,
    day: BenchDay,
    keep_awake: bool,
) -> dict[str, Any]:
    """One of Home Assistant's own integrations through the day, as ``run_ours`` runs ours."""
    domain = INTEGRATIONS[policy]
    freezer.move_to(datetime.fromtimestamp(day.start, UTC))
    clock = FakeClock(start=day.start)
    world = build_world(day.spec_for(data_keeps_awake=keep_awake), clock)
    tap = Tap(world, day.vins)
    account = world.accounts[day.account_id]
    issued = world.tokens.issue(account, clock.now(), lifetime=3 * 86400)
    scopes = list(world.tokens.access[str(issued["access_token"])].scopes)
    app = create_app(world)
    _teslemetry_routes(app, world, day, scopes)
    pem = write_certificate(tmp_path)
    server_ssl = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ssl.load_cert_chain(pem)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server(ssl=server_ssl)
    assert server.port is not None
    client_ssl = ssl.create_default_context(cafile=str(pem))
    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(resolver=SimulatorResolver(server.port), ssl=client_ssl)
    )
    # Home Assistant's shared session (async_get_clientsession) for this hass only.
    hass.data.setdefault(DATA_CLIENTSESSION, {})[_make_key()] = session

    if domain == "tesla_fleet":
        assert await async_setup_component(hass, "application_credentials", {})
        await async_import_client_credential(
            hass, domain, ClientCredential("bench-client-id", "bench-client-secret"), AUTH_DOMAIN
        )
        data: dict[str, Any] = {
            "auth_implementation": AUTH_DOMAIN,
            "token": {**issued, "expires_at": clock.now() + float(issued["expires_in"])},
        }
        entry = MockConfigEntry(domain=domain, title="bench", unique_id=day.account_id, data=data)
    else:
        entry = MockConfigEntry(
            domain=domain,
            title="bench",
            unique_id=day.account_id,
            version=1,
            minor_version=2,
            data={"access_token": issued["access_token"]},
        )
    entry.add_to_hass(hass)
    stepper = HomeAssistantStepper(hass, freezer, clock)
    assert await hass.config_entries.async_setup(entry.entry_id), f"{domain} did not set up"
    await stepper.settle()
    vin = day.vins[0]
    vehicle = next(v for v in entry.runtime_data.vehicles if v.vin == vin)
    coordinator = vehicle.coordinator

    def record_view() -> None:
        data = coordinator.data or {}
        tap.view(
            vin,
            clock.now(),
            data.get("charge_state_charge_current_request"),
            data.get("charge_state_charge_limit_soc"),
            data.get("charge_state_charging_state") in ("Starting", "Charging"),
        )

    # Their setup's first poll happened before the listener: it is the view at the start.
    record_view()
    unsubscribe = coordinator.async_add_listener(record_view)
    registry = er.async_get(hass)
    entity_ids: dict[str, str] = {}
    for entity, (platform, keys) in _KEYS.items():
        found = [
            e.entity_id
            for e in er.async_entries_for_config_entry(registry, entry.entry_id)
            if e.domain == platform and e.unique_id in {f"{vin}-{k}" for k in keys}
        ]
        assert len(found) == 1, (entity, found)
        entity_ids[entity] = found[0]
    errors: dict[str, int] = {}

    async def call(request: Request) -> None:
        entity_id = entity_ids[request.entity]
        if request.entity == CHARGING:
            service, data = ("turn_on" if request.value else "turn_off"), {ATTR_ENTITY_ID: entity_id}
            platform = "switch"
        else:
            service, data = "set_value", {ATTR_ENTITY_ID: entity_id, "value": request.value}
            platform = "number"
        try:
            await hass.services.async_call(platform, service, data, blocking=True)
        except HomeAssistantError as err:
            kind = f"failed:{err.translation_key or type(err.__cause__).__name__}"
            errors[kind] = errors.get(kind, 0) + 1

    def issue(request: Request) -> None:
        # Their numbers and switch send at once (no coalescing): tracked, so settling waits.
        hass.async_create_task(call(request))

    await _walk(day, clock, stepper.advance_to, tap, issue, stepper.settle)
    await stepper.settle()
    unsubscribe()
    result = day_result(policy, day, keep_awake, tap, sleep_after=sleep_after(day), request_errors=errors)
    result["steps"] = stepper.steps
    result["library"] = LIBRARIES
    vehicles = list(entry.runtime_data.vehicles)
    await hass.config_entries.async_unload(entry.entry_id)
    await stepper.settle()
    if domain == "teslemetry":
        await _end_streams(vehicles)
    await session.close()
    for _ in range(3):  # let the server see the connections close
        await asyncio.sleep(0)
    await server.close()
    return result
