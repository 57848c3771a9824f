"""The admin API under ``/sim/``: look inside the world and change it.

Tests, the benchmark and the demo use it to read the request log and billing counters,
move the clock, put cars to sleep, plug them in and inject faults.  Every route is
documented in ``simulator/README.md``.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .tesla.api import base_url_for
from .world import ACTIONS, World, apply_action


def _json_error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    data = await request.json()
    if not isinstance(data, dict):
        raise web.HTTPBadRequest(text="expected a JSON object")
    return data


def vehicle_detail(world: World, vin: str) -> dict[str, Any]:
    vehicle = world.vehicles[vin]
    return {
        "vin": vin,
        "display_name": vehicle.display_name,
        "state": vehicle.state,
        "waking": vehicle.waking_until is not None,
        "driving": vehicle.drive is not None,
        "command_signing": vehicle.command_signing,
        "battery_level_exact": vehicle.battery_level,
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
        world.clock.advance(float(body.get("seconds", 0)))
        return web.json_response({"now": world.sync()})

    @routes.get("/sim/requests")
    async def requests(request: web.Request) -> web.Response:
        since = int(request.query.get("since", 0))
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
            if "settings" in body:
                vehicle.settings.update(body.pop("settings"))
            if "command_signing" in body:
                vehicle.command_signing = str(body.pop("command_signing"))
            if "display_name" in body:
                vehicle.display_name = str(body.pop("display_name"))
            if "action" in body:
                apply_action(vehicle, str(body.pop("action")), body)
            elif body:
                return _json_error(400, f"unknown fields {sorted(body)}; actions: {ACTIONS}")
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

    @routes.delete("/sim/faults/{fault_id}")
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
            kwargs["scopes"] = tuple(body["scopes"])
        if "expires_in" in body:
            kwargs["lifetime"] = float(body["expires_in"])
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
            account.region = str(body["region"])
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
