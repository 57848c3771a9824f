"""The aiohttp application: API routes, the admin API and the recording middleware."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import json
import re

from aiohttp import web
from yarl import URL

from . import admin
from .faults import DISTURBANCES, disturb, hang
from .tesla import api as tesla_api, app_routes as tesla_app
from .world import World

REALTO_PREFIX = "/api/v1/"
# The names this machine answers to; any port. A page in the developer's browser that
# rebinds its own name to 127.0.0.1 still sends its own name as the Host.
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_VEHICLE_IN_PATH = re.compile(r"/(?:vehicles|entities)/([^/]+)")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _api_of(path: str) -> str:
    if path.startswith("/sim/"):
        return "admin"
    return "realto" if path.startswith(REALTO_PREFIX) else "tesla"


def _category_of(api: str, path: str) -> str:
    if api == "realto":
        from .realto.api import category_of

        return category_of(path)
    return tesla_api.category_of(tesla_api.strip_region(path)[1])


@web.middleware
async def simulate(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Bring the world up to the clock, apply faults, and log the request."""
    world = request.app[tesla_api.WORLD]
    path = request.path
    api = _api_of(path)
    if api == "admin":
        refused = _admin_refusal(request)
        return refused if refused is not None else await handler(request)
    world.sync()
    body: object = None
    if request.can_read_body:
        raw = await request.read()
        if request.content_type in ("application/json", "text/json") or raw[:1] in (b"{", b"["):
            try:
                body = json.loads(raw)
                request["json_body"] = body
            except ValueError:
                body = raw.decode(errors="replace")
                request["json_error"] = True
        else:
            body = raw.decode(errors="replace")
    category = _category_of(api, path)
    match = _VEHICLE_IN_PATH.search(path)
    # Faults and the log name cars by VIN, whether the path has the VIN or the id.
    path_vin = world.vin_for(match.group(1)) if match else None
    fault = world.faults.take(api, request.method, path, category, path_vin)
    response: web.StreamResponse
    try:
        if fault is not None and fault.kind not in DISTURBANCES:
            response = fault.response(tesla_api.base_url_for(request, "eu"), request.path_qs)
        else:
            if fault is not None and fault.kind != "drop_reply":
                await disturb(fault, request)
            response = await handler(request)
            if fault is not None and fault.kind == "drop_reply":
                # The request was carried out (a command ran), but its answer never comes.
                await hang(request, fault.seconds)
    except web.HTTPException as exc:
        _record(world, request, api, category, path_vin, body, exc.status)
        raise
    except asyncio.CancelledError:
        # A hung or dropped connection: no answer, so status 0 (and never billed).
        _record(world, request, api, category, path_vin, body, 0)
        raise
    _record(world, request, api, category, path_vin, body, response.status)
    return response


def _admin_refusal(request: web.Request) -> web.Response | None:
    """Why an admin request is refused, if it is: another Host, or a POST not in JSON.

    A web page can make a browser POST ``text/plain`` or a form anywhere (no CORS
    preflight for those), and a rebound DNS name reaches 127.0.0.1 under its own Host.
    """
    if not _local_host(request.headers.get("Host")):
        return web.json_response(
            {"error": "the admin API answers to 127.0.0.1, localhost or [::1] only"}, status=403
        )
    if request.method == "POST" and request.content_type != "application/json":
        return web.json_response({"error": "admin POSTs take Content-Type: application/json"}, status=415)
    return None


def _local_host(host: str | None) -> bool:
    if not host:
        return False
    try:
        name = URL(f"http://{host}").host
    except ValueError:
        return False
    return name in LOCAL_HOSTS


def _record(
    world: World,
    request: web.Request,
    api: str,
    category: str,
    path_vin: str | None,
    body: object,
    status: int,
) -> None:
    vin = request.get("vin") or path_vin
    world.recorder.record(
        t=world.now(),
        api=api,
        method=request.method,
        path=request.path,
        query=dict(request.query),
        body=body,
        status=status,
        category=category,
        vin=vin,
        extra=request.get("log_extra"),
    )


def create_app(world: World, mode: str = "fleet") -> web.Application:
    """An application serving ``world``; ``mode`` is ``fleet`` or ``proxy``."""
    app = web.Application(middlewares=[simulate])
    app[tesla_api.WORLD] = world
    app[tesla_api.MODE] = mode
    tesla_api.add_routes(app, world, mode)
    admin.add_routes(app, world)
    tesla_app.add_routes(app, world)
    if world.realto is not None and mode == "fleet":  # re.alto is not behind a Tesla proxy
        from .realto.api import add_routes as add_realto_routes

        add_realto_routes(app, world)
    return app
