"""re.alto's platform API over HTTP, under ``/api/v1/`` (a client's base URL is
``<simulator>/api``).

Shapes follow ``reference/realto-api.md``; errors use ASP.NET's problem+json shape,
the 401 is an empty body with a ``WWW-Authenticate`` challenge as ASP.NET's JwtBearer
sends it.  The admin routes live in ``admin.py`` and are added with these.
"""

from __future__ import annotations

import base64
import binascii
import math
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from ..world import World
from . import admin
from .platform import (
    COMMAND_TYPES,
    COOLDOWN_ERROR_TITLE,
    EV_COMMANDS,
    EV_TYPES,
    CooldownHit,
    RealtoPlatform,
    SimCommand,
    SimEntity,
    iso,
    parse_time,
)

PREFIX = "/api/v1"
CONTRIBUTOR_LEVELS = ("Contributor", "Administer", "Owner")
_PROBLEM_TYPES = {
    400: "https://tools.ietf.org/html/rfc9110#section-15.5.1",
    401: "https://tools.ietf.org/html/rfc9110#section-15.5.2",
    403: "https://tools.ietf.org/html/rfc9110#section-15.5.4",
    404: "https://tools.ietf.org/html/rfc9110#section-15.5.5",
    409: "https://tools.ietf.org/html/rfc9110#section-15.5.10",
    429: "https://datatracker.ietf.org/doc/html/rfc6585#section-4",
}


def category_of(path: str) -> str:
    """The request log's category for a re.alto path (no bills: for filtering only)."""
    if path.rstrip("/").endswith("/authentication"):
        return "auth"
    if "/readings" in path:
        return "data"
    if "/commands" in path:
        return "command"
    return "free"


def problem(
    status: int, title: str, detail: str | None = None, *, headers: dict[str, str] | None = None, **extra: Any
) -> web.Response:
    """An RFC 9457 problem answer, as ASP.NET Core writes them."""
    body: dict[str, Any] = {
        "type": _PROBLEM_TYPES.get(status, "about:blank"),
        "title": title,
        "status": status,
    }
    if detail is not None:
        body["detail"] = detail
    body.update(extra)
    body["traceId"] = "00-sim-realto-00"
    return web.json_response(body, status=status, headers=headers, content_type="application/problem+json")


def _validation(field_name: str, message: str) -> web.Response:
    return problem(400, "One or more validation errors occurred.", errors={field_name: [message]})


class RealtoApi:
    """Request handlers for the platform in ``world.realto``."""

    def __init__(self, world: World) -> None:
        self.world = world

    @property
    def platform(self) -> RealtoPlatform:
        platform: RealtoPlatform = self.world.realto
        return platform

    # ------------------------------------------------------------ plumbing
    def _client(self, request: web.Request) -> str | web.Response:
        header = request.headers.get("Authorization", "")
        token = header[7:].strip() if header.startswith("Bearer ") else ""
        entry = self.platform.tokens.get(token) if token else None
        if entry is None:
            challenge = 'Bearer error="invalid_token"' if token else "Bearer"
            return web.Response(status=401, headers={"WWW-Authenticate": challenge})
        if entry.expires_at <= self.platform.now():
            challenge = (
                'Bearer error="invalid_token", '
                f"error_description=\"The token expired at '{iso(entry.expires_at)}'\""
            )
            return web.Response(status=401, headers={"WWW-Authenticate": challenge})
        return entry.client_id

    def _entity(self, request: web.Request, *, contribute: bool = False) -> SimEntity | web.Response:
        client = self._client(request)
        if isinstance(client, web.Response):
            return client
        entity_id = request.match_info["entity_id"]
        entity = self.platform.entities.get(entity_id)
        level = entity.level_for(client) if entity is not None else None
        if entity is None or level is None:
            return problem(404, "Not Found", f"Entity '{entity_id}' was not found.")
        request["vin"] = entity.vin
        if contribute and level not in CONTRIBUTOR_LEVELS:
            return problem(403, "Forbidden", f"Contributor permission on entity '{entity_id}' is required.")
        return entity

    def _page(self, request: web.Request, items: list[dict[str, Any]]) -> web.Response:
        """One page of ``items`` in the documented ``{data, links, meta}`` envelope."""
        raw_size = request.query.get("pageSize", "25")
        try:
            size = int(raw_size)
        except ValueError:
            return _validation("pageSize", f"The value '{raw_size}' is not valid.")
        if size < 1:
            return _validation("pageSize", "The page size must be at least 1.")
        size = min(size, self.platform.max_page_size)
        offset = 0
        token = request.query.get("continuationToken")
        if token:
            try:
                padded = token + "=" * (-len(token) % 4)
                offset = int(base64.urlsafe_b64decode(padded.encode()).decode().removeprefix("offset:"))
            except (ValueError, binascii.Error, UnicodeDecodeError):
                return _validation("continuationToken", "The continuation token is not valid.")
        chunk = items[offset : offset + size]
        next_token = None
        next_link = None
        if offset + size < len(items):
            next_token = base64.urlsafe_b64encode(f"offset:{offset + size}".encode()).decode().rstrip("=")
            query = {**request.query, "continuationToken": next_token}
            next_link = f"{request.path}?{urlencode(query)}"
        return web.json_response(
            {
                "data": chunk,
                "links": {"next": next_link},
                "meta": {"continuationToken": next_token, "pageSize": size},
            }
        )

    @staticmethod
    def _window(request: web.Request, default_end: float | None) -> tuple[float, float | None] | web.Response:
        raw_start = request.query.get("start")
        if not raw_start:
            return _validation("start", "The start field is required.")
        start = parse_time(raw_start)
        if start is None:
            return _validation("start", f"The value '{raw_start}' is not valid.")
        raw_end = request.query.get("end")
        end = parse_time(raw_end) if raw_end else default_end
        if raw_end and end is None:
            return _validation("end", f"The value '{raw_end}' is not valid.")
        return start, end

    @staticmethod
    def _ignore_cooldown(request: web.Request) -> bool | web.Response:
        raw = request.query.get("ignoreCooldown", "false").lower()
        if raw not in ("true", "false"):
            return _validation("ignoreCooldown", f"The value '{raw}' is not valid.")
        return raw == "true"

    @staticmethod
    def _body(request: web.Request) -> Any:
        if request.get("json_error"):
            return _validation("$", "The JSON value could not be converted.")
        return request.get("json_body")

    def _check_type(self, entity: SimEntity, kind: Any, where: str) -> web.Response | None:
        if not isinstance(kind, str) or not kind:
            return _validation(f"{where}type", "The type field is required.")
        if kind not in COMMAND_TYPES:
            return _validation(f"{where}type", f"The value '{kind}' is not a valid command type.")
        if entity.entity_type not in EV_TYPES or kind not in EV_COMMANDS:
            return problem(
                400,
                "CommandNotSupported",
                f"Command '{kind}' is not supported by entity '{entity.entity_id}' ({entity.entity_type}).",
            )
        return None

    def _cooldown_refusal(self, hit: CooldownHit) -> web.Response:
        cooldown = self.platform.cooldown
        headers = None
        if cooldown.status == 429:
            headers = {"Retry-After": str(math.ceil(hit.remaining))}
        return problem(
            cooldown.status,
            "Command cooldown active",
            f"A command was sent to this entity less than {cooldown.seconds / 60:g} minutes ago.",
            headers=headers,
            errors=[{"code": COOLDOWN_ERROR_TITLE, "message": f"Retry after {iso(hit.allowed_at)}"}],
            remainingSeconds=math.ceil(hit.remaining),
        )

    # -------------------------------------------------------------- routes
    async def authenticate(self, request: web.Request) -> web.Response:
        body = self._body(request)
        if isinstance(body, web.Response):
            return body
        if not isinstance(body, dict):
            return _validation("$", "A request for a token is required.")
        client_id, secret = body.get("clientId"), body.get("clientSecret")
        if not isinstance(client_id, str) or self.platform.clients.get(client_id) != secret:
            return problem(401, "Unauthorized", "Invalid client credentials.")
        return web.json_response(self.platform.issue_token(client_id))

    async def list_entities(self, request: web.Request) -> web.Response:
        client = self._client(request)
        if isinstance(client, web.Response):
            return client
        now = self.platform.now()
        items = [e.as_json(now) for e in self.platform.entities.values() if e.level_for(client) is not None]
        return self._page(request, items)

    async def get_entity(self, request: web.Request) -> web.Response:
        entity = self._entity(request)
        if isinstance(entity, web.Response):
            return entity
        return web.json_response(entity.as_json(self.platform.now()))

    async def last_reading(self, request: web.Request) -> web.Response:
        entity = self._entity(request)
        if isinstance(entity, web.Response):
            return entity
        reading = entity.last_reading(self.platform.now())
        if reading is None:
            return problem(404, "Not Found", f"No readings found for entity '{entity.entity_id}'.")
        return web.json_response(reading.as_json())

    async def readings(self, request: web.Request) -> web.Response:
        entity = self._entity(request)
        if isinstance(entity, web.Response):
            return entity
        now = self.platform.now()
        window = self._window(request, now)
        if isinstance(window, web.Response):
            return window
        start, end = window
        items = [
            r.as_json()
            for r in entity.readings
            if r.received <= now and start <= r.measured and (end is None or r.measured <= end)
        ]
        return self._page(request, items)

    async def trigger(self, request: web.Request) -> web.Response:
        entity = self._entity(request, contribute=True)
        if isinstance(entity, web.Response):
            return entity
        ignore = self._ignore_cooldown(request)
        if isinstance(ignore, web.Response):
            return ignore
        body = self._body(request)
        if isinstance(body, web.Response):
            return body
        if not isinstance(body, dict):
            return _validation("$", "The Command to send is required.")
        kind, value = body.get("type"), body.get("value")
        refused = self._check_type(entity, kind, "")
        if refused is not None:
            return refused
        if value is not None and not isinstance(value, str):
            return _validation("value", "The value must be a string.")
        created = self.platform.create_commands(
            entity, [(self.platform.now(), str(kind), value)], ignore_cooldown=ignore
        )
        if isinstance(created, CooldownHit):
            return self._cooldown_refusal(created)
        return web.json_response(created[0].as_json(), status=201)

    async def schedule(self, request: web.Request) -> web.Response:
        entity = self._entity(request, contribute=True)
        if isinstance(entity, web.Response):
            return entity
        ignore = self._ignore_cooldown(request)
        if isinstance(ignore, web.Response):
            return ignore
        body = self._body(request)
        if isinstance(body, web.Response):
            return body
        if not isinstance(body, list) or not body:
            return _validation("$", "A non-empty list of commands is required.")
        items: list[tuple[float, str, str | None]] = []
        for index, item in enumerate(body):
            where = f"[{index}]."
            if not isinstance(item, dict):
                return _validation(f"[{index}]", "Each command must be an object.")
            trigger = parse_time(item.get("triggerTime"))
            if trigger is None:
                return _validation(f"{where}triggerTime", "The triggerTime field is required (date-time).")
            refused = self._check_type(entity, item.get("type"), where)
            if refused is not None:
                return refused
            value = item.get("value")
            if value is not None and not isinstance(value, str):
                return _validation(f"{where}value", "The value must be a string.")
            # A trigger time in the past fires at once (sim choice, see the README).
            items.append((max(trigger, self.platform.now()), str(item["type"]), value))
        batch_id = self.platform.new_id()
        created = self.platform.create_commands(entity, items, ignore_cooldown=ignore, batch_id=batch_id)
        if isinstance(created, CooldownHit):
            return self._cooldown_refusal(created)
        commands = [c.as_json() for c in created]
        if self.platform.schedule_response == "legacy":
            body_out: dict[str, Any] = {
                "data": commands,
                "links": {"next": None},
                "meta": {"continuationToken": None, "pageSize": len(commands)},
            }
        else:
            body_out = {"batchId": batch_id, "commands": commands}
        return web.json_response(body_out, status=201)

    def _command(self, request: web.Request, entity: SimEntity) -> SimCommand | web.Response:
        command_id = request.match_info["command_id"]
        command = self.platform.commands.get(command_id)
        if command is None or command.entity_id != entity.entity_id:
            return problem(404, "Not Found", f"Command '{command_id}' was not found.")
        return command

    async def get_command(self, request: web.Request) -> web.Response:
        entity = self._entity(request)
        if isinstance(entity, web.Response):
            return entity
        command = self._command(request, entity)
        if isinstance(command, web.Response):
            return command
        return web.json_response(command.as_json())

    async def list_commands(self, request: web.Request) -> web.Response:
        entity = self._entity(request)
        if isinstance(entity, web.Response):
            return entity
        window = self._window(request, None)
        if isinstance(window, web.Response):
            return window
        start, end = window
        chosen = sorted(
            (
                c
                for c in self.platform.commands.values()
                if c.entity_id == entity.entity_id
                and start <= c.trigger_time
                and (end is None or c.trigger_time <= end)
            ),
            key=lambda c: (c.trigger_time, c.seq),
        )
        return self._page(request, [c.as_json() for c in chosen])

    async def cancel(self, request: web.Request) -> web.Response:
        entity = self._entity(request, contribute=True)
        if isinstance(entity, web.Response):
            return entity
        command = self._command(request, entity)
        if isinstance(command, web.Response):
            return command
        if not self.platform.cancel(command):
            return problem(
                409,
                "Conflict",
                f"Command '{command.command_id}' is {command.status} and can no longer be canceled.",
                errors=[{"code": "CommandNotCancelable", "message": f"Status is {command.status}."}],
            )
        return web.json_response(command.as_json())


def add_routes(app: web.Application, world: World) -> None:
    """The re.alto API under ``/api/v1/`` and its admin routes under ``/sim/realto/``."""
    api = RealtoApi(world)
    entity = PREFIX + "/entities/{entity_id}"
    app.router.add_post(PREFIX + "/authentication", api.authenticate)
    app.router.add_get(PREFIX + "/entities", api.list_entities)
    app.router.add_get(entity, api.get_entity)
    app.router.add_get(entity + "/readings/last", api.last_reading)
    app.router.add_get(entity + "/readings", api.readings)
    app.router.add_post(entity + "/commands", api.trigger)
    app.router.add_get(entity + "/commands", api.list_commands)
    app.router.add_post(entity + "/commands/schedule", api.schedule)
    app.router.add_get(entity + "/commands/{command_id}", api.get_command)
    app.router.add_patch(entity + "/commands/{command_id}/cancel", api.cancel)
    admin.add_routes(app, world)
