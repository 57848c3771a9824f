"""The owner's Tesla app, as far as tests need it: changes made to the car directly.

``POST /sim/vehicles/{vin}/app`` with ``{"command": "<name>", ...parameters}`` runs one
of the car's commands (``add_charge_schedule`` with an existing ``id`` edits that
schedule, ``remove_charge_schedule``, ``set_scheduled_charging``...) the way the phone
does: not through the Fleet API, so it needs no token or signature, is not billed and
is not among the API's requests (an integration sees the change only by reading the
car).  Parameters are checked as on the REST path.  The answer is the car's:
``{"result": bool, "reason": str}``.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from ..world import World
from .commands import COMMANDS, Invalid, validate


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        data = await request.json() if request.can_read_body else {}
    except ValueError as err:
        raise web.HTTPBadRequest(
            text=json.dumps({"error": f"body is not JSON: {err}"}), content_type="application/json"
        ) from None
    if not isinstance(data, dict):
        raise web.HTTPBadRequest(
            text=json.dumps({"error": "expected a JSON object"}), content_type="application/json"
        )
    return data


def add_routes(app: web.Application, world: World) -> None:
    routes = web.RouteTableDef()

    @routes.post("/sim/vehicles/{vin}/app")
    async def app_command(request: web.Request) -> web.Response:
        vehicle = world.vehicles.get(request.match_info["vin"])
        if vehicle is None:
            return _error(404, f"no vehicle {request.match_info['vin']}")
        body = await _body(request)
        name = body.pop("command", None)
        if name not in COMMANDS:
            return _error(400, f"command must be one of {', '.join(COMMANDS)}")
        params = validate(str(name), body)
        if isinstance(params, Invalid):
            return _error(400, params.reason)
        unknown = set(body) - set(COMMANDS[str(name)])
        if unknown:
            return _error(400, f"unknown parameters {sorted(unknown)} for {name}")
        if vehicle.forced_offline:
            # The phone cannot reach it either.
            return _error(409, "the car is offline")
        world.sync()
        # The phone wakes a sleeping car for the change; here its sleep is left as it
        # is, so a test sees only the change itself (invented, see the README).
        result, reason = vehicle.command(str(name), params)
        return web.json_response({"result": result, "reason": reason})

    app.router.add_routes(routes)
