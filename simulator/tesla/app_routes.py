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

from aiohttp import web

from ..http_json import json_error, json_object_body
from ..world import World
from .commands import COMMANDS, Invalid, validate


def add_routes(app: web.Application, world: World) -> None:
    routes = web.RouteTableDef()

    @routes.post("/sim/vehicles/{vin}/app")
    async def app_command(request: web.Request) -> web.Response:
        vehicle = world.vehicles.get(request.match_info["vin"])
        if vehicle is None:
            return json_error(404, f"no vehicle {request.match_info['vin']}")
        body = await json_object_body(request)
        name = body.pop("command", None)
        if name not in COMMANDS:
            return json_error(400, f"command must be one of {', '.join(COMMANDS)}")
        params = validate(str(name), body)
        if isinstance(params, Invalid):
            return json_error(400, params.reason)
        unknown = set(body) - set(COMMANDS[str(name)])
        if unknown:
            return json_error(400, f"unknown parameters {sorted(unknown)} for {name}")
        if vehicle.forced_offline:
            # The phone cannot reach it either.
            return json_error(409, "the car is offline")
        world.sync()
        # The phone wakes a sleeping car for the change; here its sleep is left as it
        # is, so a test sees only the change itself (invented, see the README).
        result, reason = vehicle.command(str(name), params)
        return web.json_response({"result": result, "reason": reason})

    app.router.add_routes(routes)
