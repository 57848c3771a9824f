"""Admin routes for the re.alto simulator, under ``/sim/realto/`` (see README.md)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from aiohttp import web

from ..world import World
from .platform import METRICS, RealtoPlatform

ENTITY_FIELDS = (
    "name",
    "online",
    "reporting",
    "reading_interval",
    "reading_latency",
    "omit",
    "location",
    "location_matches",
)


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        data = await request.json()
    except ValueError as err:
        raise web.HTTPBadRequest(text=f"expected JSON: {err}") from err
    if not isinstance(data, dict):
        raise web.HTTPBadRequest(text="expected a JSON object")
    return data


def _entity_changes(body: dict[str, Any]) -> dict[str, Any]:
    """The entity settings in ``body`` (popped), converted and checked."""
    changes: dict[str, Any] = {}
    for key in ENTITY_FIELDS:
        if key not in body:
            continue
        value = body.pop(key)
        if key == "omit":
            changes[key] = {str(v) for v in value}
            unknown = changes[key] - set(METRICS)
            if unknown:
                raise ValueError(f"cannot omit {sorted(unknown)}; metrics are {list(METRICS)}")
        elif key in ("online", "reporting"):
            changes[key] = bool(value)
        elif key == "location_matches":
            if value is not None and (
                not isinstance(value, list) or not all(isinstance(v, str) for v in value)
            ):
                raise ValueError("location_matches must be a list of place names, or null")
            changes[key] = value
        elif key in ("reading_interval", "reading_latency"):
            changes[key] = float(value)
            if changes[key] < (1.0 if key == "reading_interval" else 0.0):
                raise ValueError(f"{key} is too small")
        else:
            changes[key] = value
    return changes


def _settings(realto: RealtoPlatform, body: dict[str, Any]) -> tuple[str, float, int]:
    shape = str(body.get("schedule_response", realto.schedule_response))
    lifetime = float(body.get("token_lifetime", realto.token_lifetime))
    page_size = int(body.get("max_page_size", realto.max_page_size))
    if lifetime < 0 or page_size < 1:
        raise ValueError("token_lifetime must be >= 0 and max_page_size >= 1")
    realto.set_schedule_response(shape)
    return shape, lifetime, page_size


def add_routes(app: web.Application, world: World) -> None:
    routes = web.RouteTableDef()

    def platform() -> RealtoPlatform:
        world.sync()
        realto: RealtoPlatform = world.realto
        return realto

    @routes.get("/sim/realto")
    async def describe(request: web.Request) -> web.Response:
        return web.json_response(platform().describe())

    @routes.get("/sim/realto/entities/{entity_id}")
    async def get_entity(request: web.Request) -> web.Response:
        realto = platform()
        entity = realto.entities.get(request.match_info["entity_id"])
        if entity is None:
            return _error(404, "no such entity")
        return web.json_response(entity.detail(realto.now()))

    @routes.post("/sim/realto/entities/{entity_id}")
    async def change_entity(request: web.Request) -> web.Response:
        """Change settings and/or apply an action: ``{"action": "plug_in"}``,
        ``{"action": "battery_level", "level": 30}``, ``{"online": false}``,
        ``{"reading": true}`` (take a reading now)..."""
        realto = platform()
        entity = realto.entities.get(request.match_info["entity_id"])
        if entity is None:
            return _error(404, "no such entity")
        body = await _body(request)
        try:
            # Check everything first, so a bad request changes nothing.
            changes = _entity_changes(body)
            take_reading = bool(body.pop("reading", False))
            action = body.pop("action", None)
            if action is None and body:
                return _error(400, f"unknown fields {sorted(body)}")
            if (take_reading or action is not None) and entity.vehicle is None:
                return _error(400, "this entity has no vehicle")
            if action is not None:
                realto.apply(entity, str(action), body)
        except (KeyError, ValueError, TypeError) as err:
            return _error(400, f"bad request: {err}")
        for key, value in changes.items():
            setattr(entity, key, value)
        if take_reading:
            realto.take_reading(entity, realto.now())
        return web.json_response(entity.detail(realto.now()))

    @routes.get("/sim/realto/commands")
    async def commands(request: web.Request) -> web.Response:
        realto = platform()
        wanted = request.query.get("entity")
        chosen = [c for c in realto.commands.values() if wanted is None or c.entity_id == wanted]
        return web.json_response([c.detail() for c in sorted(chosen, key=lambda c: c.seq)])

    @routes.post("/sim/realto/cooldown")
    async def cooldown(request: web.Request) -> web.Response:
        """``{"mode": "reject"|"fail"|"defer", "status": 400|409|429, "seconds": 600}``."""
        realto = platform()
        try:
            realto.set_cooldown(await _body(request))
        except (KeyError, ValueError, TypeError) as err:
            return _error(400, str(err))
        return web.json_response(realto.describe()["cooldown"])

    @routes.post("/sim/realto/lifecycle")
    async def lifecycle(request: web.Request) -> web.Response:
        """``{"trigger_delay": s, "send_delay": s, "confirm_delay": s}``."""
        realto = platform()
        try:
            realto.set_lifecycle(await _body(request))
        except (KeyError, ValueError, TypeError) as err:
            return _error(400, str(err))
        return web.json_response(realto.describe()["lifecycle"])

    @routes.post("/sim/realto/settings")
    async def settings(request: web.Request) -> web.Response:
        """``{"schedule_response": "batch"|"legacy", "token_lifetime": s, "max_page_size": n}``."""
        realto = platform()
        body = await _body(request)
        unknown = set(body) - {"schedule_response", "token_lifetime", "max_page_size"}
        if unknown:
            return _error(400, f"unknown fields {sorted(unknown)}")
        try:
            _, lifetime, page_size = _settings(realto, body)
        except (ValueError, TypeError) as err:
            return _error(400, str(err))
        realto.token_lifetime = lifetime
        realto.max_page_size = page_size
        state = realto.describe()
        return web.json_response(
            {k: state[k] for k in ("schedule_response", "token_lifetime", "max_page_size")}
        )

    @routes.get("/sim/realto/failures")
    async def list_failures(request: web.Request) -> web.Response:
        return web.json_response(platform().describe()["failures"])

    @routes.post("/sim/realto/failures")
    async def add_failure(request: web.Request) -> web.Response:
        """Fail the next command(s): ``{"stage": "confirm", "title": ..., "description": ...,
        "entity": id, "type": "StartCharging", "count": 1}`` (all optional)."""
        realto = platform()
        try:
            rule = realto.add_failure(await _body(request))
        except (TypeError, ValueError) as err:
            return _error(400, str(err))
        return web.json_response(asdict(rule))

    @routes.delete("/sim/realto/failures")
    async def clear_failures(request: web.Request) -> web.Response:
        platform().failures.clear()
        return web.json_response([])

    @routes.post("/sim/realto/tokens/expire")
    async def expire_tokens(request: web.Request) -> web.Response:
        """Expire every access token, or ``{"token": "..."}`` only."""
        body = await _body(request)
        return web.json_response({"expired": platform().expire_tokens(body.get("token"))})

    app.router.add_routes(routes)
