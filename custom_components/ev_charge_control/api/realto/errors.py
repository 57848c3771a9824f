"""re.alto's error answers, read into the package's exceptions (``api/errors.py``).

The platform's error bodies come in several shapes (ASP.NET problem details, a list of
``{code, message}``, a bare string or none at all), so the message is gathered from
whatever is there.  A refusal that speaks of the cooldown, or a 409/429 to a request
that creates commands, is the cooldown (``CooldownActive``) whatever its status.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
import json
from typing import Any

from ..errors import (
    ApiError,
    BadRequest,
    CommandRefused,
    CooldownActive,
    Forbidden,
    InvalidToken,
    MalformedResponse,
    NotFound,
    RateLimited,
    ServerError,
)
from .cooldown import cooldown_until, mentions_cooldown


def raise_for_status(
    status: int,
    text: str,
    headers: Mapping[str, str],
    *,
    operation: str = "request",
    command: bool = False,
    last_command_at: datetime | None = None,
) -> None:
    """Map an HTTP error answer to this package's exceptions (the one place that does).

    ``command`` is true for the requests that create commands (trigger, schedule): there
    a 409 or 429 is the platform's cooldown.
    """
    if status < 400:
        return
    message = error_message(status, text, headers)
    cooldown = mentions_cooldown(message, text)
    if cooldown or (command and status in (409, 429)):
        allowed_at = cooldown_until([message, text], headers, last_command_at)
        raise CooldownActive(message, allowed_at=allowed_at, status=status)
    if status == 400:
        raise BadRequest(message, status=status)
    if status == 401:
        raise InvalidToken(message, status=status)
    if status == 403:
        raise Forbidden(message, status=status)
    if status == 404:
        raise NotFound(message, status=status)
    if status == 409:
        refused = CommandRefused(operation, message)
        refused.status = status
        raise refused
    if status == 429:
        raise RateLimited(message, retry_after=_retry_after_seconds(headers), status=status)
    if status >= 500:
        raise ServerError(message, status=status)
    raise ApiError(message, status=status)


def error_message(status: int, text: str, headers: Mapping[str, str]) -> str:
    """The message of an error answer: its body's texts, else its raw text, else the
    ``WWW-Authenticate`` challenge, else just the status."""
    parts = _error_parts(_error_body(text))
    if parts:
        return "; ".join(parts)
    if text.strip():
        return text.strip()[:200]
    challenge = headers.get("WWW-Authenticate")
    return challenge or f"HTTP {status}"


def parse_json(text: str, operation: str, status: int) -> Any:
    """A success answer's JSON; anything else is a ``MalformedResponse``."""
    try:
        return json.loads(text)
    except ValueError as err:
        raise MalformedResponse(f"{operation}: the answer is not JSON", status=status) from err


def _error_body(text: str) -> Any:
    # An error answer need not be JSON (a proxy's HTML page, plain text): then it has
    # no parts, and its text is the message.
    try:
        return json.loads(text) if text.strip() else None
    except ValueError:
        return None


def _error_parts(body: Any) -> list[str]:
    """Every human-readable piece of an error body, in whatever variant it comes."""
    parts: list[str] = []
    if not isinstance(body, Mapping):
        return parts
    for key in ("title", "detail", "message", "description", "error", "error_description"):
        value = body.get(key)
        if isinstance(value, str) and value:
            parts.append(value)
        elif isinstance(value, Mapping):
            parts.extend(_error_parts(value))
    errors = body.get("errors")
    if isinstance(errors, Mapping):  # ASP.NET validation problem: {field: [messages]}
        for key, messages in errors.items():
            items = messages if isinstance(messages, list) else [messages]
            text = "; ".join(str(m) for m in items if m)
            parts.append(f"{key}: {text}" if text else str(key))
    elif isinstance(errors, list):  # [{code, message}] or plain strings
        for item in errors:
            if isinstance(item, Mapping):
                code = item.get("code")
                texts = [str(item[k]) for k in ("title", "message", "description") if item.get(k)]
                detail = "; ".join(texts)
                parts.append(f"{code}: {detail}" if code and detail else str(code or detail))
            elif item:
                parts.append(str(item))
    code = body.get("code")
    if isinstance(code, str) and code and not any(code in part for part in parts):
        parts.append(code)
    return list(dict.fromkeys(p for p in parts if p))


def _retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    value = headers.get("Retry-After", "").strip()
    if value.isdigit():
        return float(value)
    if value:
        try:
            return max((parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds(), 0.0)
        except (TypeError, ValueError):
            return None
    return None
