"""JSON answers and bodies shared by the simulator's admin routes."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web


def json_error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def json_object_body(request: web.Request) -> dict[str, Any]:
    """The request's JSON object (``{}`` without a body); 400 for anything else."""
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
