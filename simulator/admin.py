"""The admin API under ``/sim/``: look inside the world and change it.

Tests, the benchmark and the demo use it to read the request log and billing counters,
move the clock, put cars to sleep, plug them in and inject faults.  Every route is
documented in ``simulator/README.md``.
"""

from __future__ import annotations

import copy
import json
import math
from typing import Any

from aiohttp import web

from . import admin_signing
from .tesla.api import REGIONS, base_url_for
from .tesla.schedules import firmware_version
from .tesla.vehicle import SimVehicle
from .world import ACTIONS, World, apply_action

SIGNING_VALUES = ("off", "allowed", "required")


def _json_error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def _bad_request(message: str) -> web.HTTPBadRequest:
    """A 400 to raise from helpers, shaped like every other admin error."""
    return web.HTTPBadRequest(text=json.dumps({"error": message}), content_type="application/json")


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        data = await request.json()
    except ValueError as err:
        raise _bad_request(f"body is not JSON: {err}") from None
    if not isinstance(data, dict):
        raise _bad_request("expected a JSON object")
    return data


def _number(body: dict[str, Any], key: str, default: float) -> float:
    """A finite JSON number >= 0 from ``body`` (booleans and strings are not numbers)."""
    value = body.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _bad_request(f"{key} must be a number")
    if value < 0:
        raise _bad_request(f"{key} must be >= 0")
    return float(value)


def _change_vehicle(vehicle: SimVehicle, body: dict[str, Any]) -> None:
    """Apply an admin change; everything is checked first, so a bad request changes nothing."""
    settings = copy.copy(vehicle.settings)
    signing = body.pop("command_signing", vehicle.command_signing)
    name = body.pop("display_name", vehicle.display_name)
    firmware = body.pop("firmware", vehicle.firmware)
    if not isinstance(firmware, str):
        raise TypeError("firmware must be a string like '2024.26.3 4c5ad9d1b3a0'")
    firmware_version(firmware)
    new_settings = body.pop("settings", {})
    if not isinstance(new_settings, dict):
        raise TypeError("settings must be an object")
    settings.update(new_settings)
    if signing not in SIGNING_VALUES:
        raise ValueError(f"command_signing must be one of {', '.join(SIGNING_VALUES)}")
    if not isinstance(name, str):
        raise TypeError("display_name must be a string")
    location = _location(body.pop("location", None))
    if "action" in body:
        # The last check: an action fails before it changes the car.
        apply_action(vehicle, str(body.pop("action")), body)
    elif body:
        raise ValueError(f"unknown fields {sorted(body)}; actions: {', '.join(ACTIONS)}")
    vehicle.settings, vehicle.command_signing, vehicle.display_name = settings, signing, name
    vehicle.firmware = firmware
    if location is not None:
        vehicle.move_to(*location)


def _location(value: Any) -> tuple[float, float] | None:
    """``{"latitude": .., "longitude": ..}`` as numbers in range, checked before anything changes."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise TypeError("location must be an object with latitude and longitude")
    numbers = [value.get("latitude"), value.get("longitude")]
    if any(isinstance(n, bool) or not isinstance(n, (int, float)) or not math.isfinite(n) for n in numbers):
        raise TypeError("location needs a latitude and a longitude, as numbers")
    latitude, longitude = float(numbers[0]), float(numbers[1])
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise ValueError("latitude must be within -90..90 and longitude within -180..180")
    return latitude, longitude


def vehicle_detail(world: World, vin: str) -> dict[str, Any]:
    vehicle = world.vehicles[vin]
    return {
        "vin": vin,
        "display_name": vehicle.display_name,
        "state": vehicle.state,
        "waking": vehicle.waking_until is not None,
        "driving": vehicle.drive is not None,
        "command_signing": vehicle.command_signing,
        "firmware": vehicle.firmware,
        "battery_level_exact": vehicle.battery_level,
        "location": (
            {"latitude": vehicle.latitude, "longitude": vehicle.longitude}
            if vehicle.latitude is not None and vehicle.longitude is not None
            else None
        ),
        "energy_total": vehicle.energy_total,
        "last_activity": vehicle.last_activity,
        "settings": vars(vehicle.settings),
        "charge_state": vehicle.charge_state(),
        "events": vehicle.events[-50:],
    }


def add_routes(app: web.Application, world: World) -> None:
    routes = web.RouteTableDef()

    @routes.get("/sim/state")
    async def state(request: web.Request) -> web.Response:
        now = world.sync()
        return web.json_response(
            {
                "now": now,
                "accounts": [
                    {"id": a.account_id, "email": a.email, "region": a.region, "vins": a.vins}
                    for a in world.accounts.values()
                ],
                "vehicles": {vin: vehicle_detail(world, vin) for vin in world.vehicles},
                "realto": world.realto.describe() if world.realto is not None else None,
            }
        )

    @routes.post("/sim/clock/advance")
    async def advance(request: web.Request) -> web.Response:
        body = await _body(request)
        world.clock.advance(_number(body, "seconds", 0))
        return web.json_response({"now": world.sync()})

    @routes.get("/sim/requests")
    async def requests(request: web.Request) -> web.Response:
        try:
            since = int(request.query.get("since", 0))
        except ValueError:
            return _json_error(400, "since must be a sequence number")
        api = request.query.get("api")
        records = [r for r in world.recorder.since(since) if api is None or r["api"] == api]
        return web.json_response({"last_seq": world.recorder.last_seq, "requests": records})

    @routes.delete("/sim/requests")
    async def clear_requests(request: web.Request) -> web.Response:
        world.recorder.clear()
        return web.json_response({"last_seq": world.recorder.last_seq})

    @routes.get("/sim/billing")
    async def billing(request: web.Request) -> web.Response:
        return web.json_response(world.recorder.billing())

    @routes.get("/sim/vehicles/{vin}")
    async def get_vehicle(request: web.Request) -> web.Response:
        vin = request.match_info["vin"]
        if vin not in world.vehicles:
            return _json_error(404, f"no vehicle {vin}")
        world.sync()
        return web.json_response(vehicle_detail(world, vin))

    @routes.post("/sim/vehicles/{vin}")
    async def change_vehicle(request: web.Request) -> web.Response:
        vin = request.match_info["vin"]
        vehicle = world.vehicles.get(vin)
        if vehicle is None:
            return _json_error(404, f"no vehicle {vin}")
        body = await _body(request)
        world.sync()
        try:
            _change_vehicle(vehicle, body)
        except (KeyError, ValueError, TypeError) as err:
            return _json_error(400, f"bad request: {err}")
        return web.json_response(vehicle_detail(world, vin))

    @routes.get("/sim/faults")
    async def list_faults(request: web.Request) -> web.Response:
        return web.json_response([f.as_dict() for f in world.faults.faults])

    @routes.post("/sim/faults")
    async def add_fault(request: web.Request) -> web.Response:
        try:
            fault = world.faults.add(await _body(request))
        except (TypeError, ValueError) as err:
            return _json_error(400, str(err))
        return web.json_response(fault.as_dict())

    @routes.delete("/sim/faults")
    async def clear_faults(request: web.Request) -> web.Response:
        world.faults.remove()
        return web.json_response([])

    @routes.delete(r"/sim/faults/{fault_id:\d+}")
    async def remove_fault(request: web.Request) -> web.Response:
        world.faults.remove(int(request.match_info["fault_id"]))
        return web.json_response([f.as_dict() for f in world.faults.faults])

    @routes.post("/sim/accounts/{account_id}/tokens")
    async def issue_tokens(request: web.Request) -> web.Response:
        account = world.accounts.get(request.match_info["account_id"])
        if account is None:
            return _json_error(404, "no such account")
        body = await _body(request)
        kwargs: dict[str, Any] = {}
        if "scopes" in body:
            scopes = body["scopes"]
            if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
                return _json_error(400, "scopes must be a list of strings")
            kwargs["scopes"] = tuple(scopes)
        if "expires_in" in body:
            kwargs["lifetime"] = _number(body, "expires_in", 0)
        if "client_id" in body:
            if not isinstance(body["client_id"], str) or not body["client_id"]:
                return _json_error(400, "client_id must be a non-empty string")
            kwargs["client_id"] = body["client_id"]
        # The audience is the account's regional base URL, as the token endpoint's is.
        audience = base_url_for(request, account.region)
        return web.json_response(world.tokens.issue(account, world.now(), audience=audience, **kwargs))

    @routes.post("/sim/accounts/{account_id}")
    async def change_account(request: web.Request) -> web.Response:
        account = world.accounts.get(request.match_info["account_id"])
        if account is None:
            return _json_error(404, "no such account")
        body = await _body(request)
        if "region" in body:
            if body["region"] not in REGIONS:
                return _json_error(400, f"region must be one of {', '.join(REGIONS)}")
            account.region = body["region"]
        return web.json_response({"id": account.account_id, "region": account.region})

    @routes.post("/sim/tokens/expire")
    async def expire_tokens(request: web.Request) -> web.Response:
        body = await _body(request)
        count = world.tokens.expire_access(world.now(), body.get("token"))
        return web.json_response({"expired": count})

    @routes.post("/sim/tokens/revoke")
    async def revoke_tokens(request: web.Request) -> web.Response:
        body = await _body(request)
        return web.json_response({"revoked": world.tokens.revoke_refresh(body.get("token"))})

    app.router.add_routes(routes)
    admin_signing.add_routes(app, world)
