"""An asyncio client for the re.alto energy platform's EV endpoints.

It authenticates with the client id and secret re.alto issues (``POST
/v1/authentication``), keeps the bearer token until shortly before it lapses, renews it
once when the platform answers 401, and maps every failure to the package's error
taxonomy.  Commands are asynchronous on the platform: a 201 means "accepted"; poll
``command()`` until ``is_final`` and confirm with ``last_reading()``.

The platform enforces a 10-minute cooldown between commands to one vehicle.  How it
reports a command sent inside it is undocumented, so every plausible form (409/429, a
400 that mentions the cooldown, a 201 whose command is Failed with a cooldown error)
raises ``CooldownActive`` with the moment the next command is allowed.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
import json
import re
import time
from typing import Any, override
from urllib.parse import quote

import aiohttp

from ..costs import CostCategory, CostLedger
from ..errors import (
    ApiError,
    BadRequest,
    CommandRefused,
    CommunicationError,
    CooldownActive,
    Forbidden,
    InvalidArgument,
    InvalidToken,
    MalformedResponse,
    NotFound,
    RateLimited,
    ServerError,
)
from ..transport import exchange
from .const import (
    AUTH_PATH,
    BASE_URL,
    CANCEL_PATH,
    COOLDOWN_SECONDS,
    COOLDOWN_WORDS,
    DEFAULT_PAGE_SIZE,
    DEFAULT_TIMEOUT,
    DEFAULT_TOKEN_LIFETIME,
    ENTITIES_PATH,
    MAX_PAGES,
    TOKEN_REFRESH_MARGIN,
    CommandStatus,
    CommandType,
)
from .models import (
    Command,
    CommandBatch,
    CommandError,
    Entity,
    Reading,
    ScheduledCommand,
    format_datetime,
    parse_datetime,
)

# re.alto publishes no per-request prices: requests are counted, the cost stays 0.
PRICES_USD: Mapping[CostCategory, float] = dict.fromkeys(CostCategory, 0.0)

_ISO_TIME = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?"
# "Retry after <time>", "cooldown until <time>"...; not "created at <time>", which
# would be the previous command's time.
_RETRY_AT = re.compile(
    rf"(?:after|until|retry at|allowed at|available at|not before)\s*:?\s*({_ISO_TIME})", re.IGNORECASE
)
_ANY_TIME = re.compile(_ISO_TIME)


# ----------------------------------------------------------------- validation
def _check_id(name: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidArgument(name, "must be a non-empty string")
    return value


def _check_aware(name: str, value: object) -> datetime:
    if not isinstance(value, datetime):
        raise InvalidArgument(name, f"must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidArgument(name, "must be timezone-aware (the platform works in UTC)")
    return value


def _check_bool(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise InvalidArgument(name, f"must be true or false, got {type(value).__name__}")
    return value


def _check_type(name: str, value: object) -> CommandType:
    if isinstance(value, str):
        try:
            return CommandType(value)
        except ValueError:
            pass
    allowed = ", ".join(t.value for t in CommandType)
    raise InvalidArgument(name, f"unknown command type {value!r}; expected one of {allowed}")


def _check_value(name: str, value: object) -> str | None:
    if value is not None and not isinstance(value, str):
        raise InvalidArgument(name, f"must be a string or None, got {type(value).__name__}")
    return value


def _check_page_size(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 1000:
        raise InvalidArgument("page_size", f"must be an integer from 1 to 1000, got {value!r}")
    return value


# ------------------------------------------------------------- error mapping
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


def _error_message(status: int, body: Any, text: str, headers: Mapping[str, str]) -> str:
    parts = _error_parts(body)
    if parts:
        return "; ".join(parts)
    if text.strip():
        return text.strip()[:200]
    challenge = headers.get("WWW-Authenticate")
    return challenge or f"HTTP {status}"


def mentions_cooldown(*texts: str | None) -> bool:
    """Whether a message speaks of the cooldown (not merely of the ignoreCooldown flag)."""
    lowered = " ".join(t for t in texts if t).lower().replace("ignorecooldown", "")
    return any(word in lowered for word in COOLDOWN_WORDS)


def _utcnow() -> datetime:
    return datetime.now(UTC)


def cooldown_until(
    texts: Sequence[str | None],
    headers: Mapping[str, str] | None = None,
    last_command_at: datetime | None = None,
) -> datetime:
    """When the next command is allowed, from what the platform said.

    In order: a time in the message ("Retry after 2024-05-01T10:10:00Z", else the only
    time it mentions), the
    ``Retry-After`` header (seconds or a date), 10 minutes after the last command this
    client sent to the entity, and failing all that 10 minutes from now.
    """
    joined = " ".join(t for t in texts if t)
    match = _RETRY_AT.search(joined) or _ANY_TIME.search(joined)
    if match is not None:
        moment = parse_datetime(match.group(match.lastindex or 0))
        if moment is not None:
            return moment
    now = _utcnow()
    value = (headers or {}).get("Retry-After", "").strip()
    if value:
        if value.isdigit():
            return now + timedelta(seconds=int(value))
        moment = parse_datetime(value)
        if moment is None:
            try:
                moment = parsedate_to_datetime(value).astimezone(UTC)
            except (TypeError, ValueError):
                moment = None
        if moment is not None:
            return moment
    cooldown = timedelta(seconds=COOLDOWN_SECONDS)
    if last_command_at is not None and last_command_at + cooldown > now:
        return last_command_at + cooldown
    return now + cooldown


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
    try:
        body: Any = json.loads(text) if text.strip() else None
    except ValueError:
        body = None
    message = _error_message(status, body, text, headers)
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


def _retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    value = headers.get("Retry-After", "").strip()
    if value.isdigit():
        return float(value)
    if value:
        try:
            return max((parsedate_to_datetime(value) - _utcnow()).total_seconds(), 0.0)
        except (TypeError, ValueError):
            return None
    return None


def _cooldown_error(command: Command) -> CommandError | None:
    """The error of a command the cooldown failed, else ``None``."""
    error = command.error
    failed = command.status == CommandStatus.FAILED and error is not None
    if failed and error is not None and mentions_cooldown(error.title, error.description):
        return error
    return None


class CooldownFailedCommands(CooldownActive):
    """The platform created the commands, and failed one or more for the cooldown.

    ``commands`` is every command of its answer, the failed ones and those it kept, so
    the caller can cancel exactly what it does not want (by id, never by time: another
    window's commands may share a trigger time).
    """

    def __init__(self, message: str, *, allowed_at: datetime | None, commands: Sequence[Command]) -> None:
        super().__init__(message, allowed_at=allowed_at)
        self.commands = tuple(commands)


class RealtoClient:
    """The re.alto platform for one set of client credentials."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        client_id: str,
        client_secret: str,
        *,
        base_url: str = BASE_URL,
        request_timeout: float = DEFAULT_TIMEOUT,
        cancel_path: str = CANCEL_PATH,
    ) -> None:
        try:
            probe = cancel_path.format(entity_id="e", command_id="c")
        except (KeyError, IndexError, ValueError) as err:
            raise InvalidArgument("cancel_path", f"bad template: {err}") from err
        if "{entity_id}" not in cancel_path or "{command_id}" not in cancel_path or not probe.startswith("/"):
            raise InvalidArgument("cancel_path", "must start with / and contain {entity_id} and {command_id}")
        self._session = session
        self._client_id = client_id
        self._client_secret = client_secret
        self.base_url = base_url
        self.cancel_path = cancel_path
        self._timeout = aiohttp.ClientTimeout(total=request_timeout)
        self.costs = CostLedger(prices=PRICES_USD)
        self._token: str | None = None
        self._token_valid_until = 0.0  # time.monotonic()
        self._token_lock = asyncio.Lock()
        self._last_command_at: dict[str, datetime] = {}

    @property
    def base_url(self) -> str:
        return self._base_url

    @base_url.setter
    def base_url(self, value: str) -> None:
        self._base_url = value.rstrip("/")

    @override
    def __repr__(self) -> str:
        # Where it talks to, never the client secret or the token it holds.
        return f"RealtoClient(base_url={self._base_url!r})"

    # ------------------------------------------------------------ tokens
    async def authenticate(self) -> None:
        """Get a fresh token now; raises ``InvalidToken`` if the credentials are refused."""
        async with self._token_lock:
            await self._fetch_token()

    @property
    def principal(self) -> str | None:
        """Who the credentials belong to: the ``sub`` claim of the current JWT, if any.

        re.alto's tokens are JWTs ("which can be decoded"); the subject is the principal
        the platform knows the caller as, a stable identity for one account.
        """
        if self._token is None:
            return None
        parts = self._token.split(".")
        if len(parts) != 3:
            return None
        try:
            claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        except (binascii.Error, ValueError):
            return None
        subject = claims.get("sub") if isinstance(claims, dict) else None
        return subject if isinstance(subject, str) and subject else None

    async def _fetch_token(self) -> str:
        body = {"clientId": self._client_id, "clientSecret": self._client_secret}
        status, text, headers = await self._http("POST", AUTH_PATH, CostCategory.FREE, None, None, body, None)
        if status in (400, 401, 403):
            # Wrong id or secret; the platform's body is not documented.
            message = _error_message(status, _json_or_none(text), text, headers)
            raise InvalidToken(f"re.alto refused the client credentials: {message}", status=status)
        raise_for_status(status, text, headers, operation="authentication")
        data = _parse_json(text, AUTH_PATH, status)
        token = data.get("access_token") if isinstance(data, Mapping) else None
        if not isinstance(token, str) or not token:
            raise MalformedResponse("authentication: the answer has no access_token", status=status)
        expires_in = data.get("expires_in")
        lifetime = (
            float(expires_in)
            if isinstance(expires_in, (int, float)) and not isinstance(expires_in, bool)
            else DEFAULT_TOKEN_LIFETIME
        )
        self._token = token
        # A token with less than the margin left is used for the request at hand only.
        self._token_valid_until = time.monotonic() + lifetime - TOKEN_REFRESH_MARGIN
        return token

    def _cached_token(self) -> str | None:
        if self._token is not None and time.monotonic() < self._token_valid_until:
            return self._token
        return None

    async def _valid_token(self) -> str:
        token = self._cached_token()
        if token is not None:
            return token
        async with self._token_lock:
            return self._cached_token() or await self._fetch_token()

    async def _renew(self, rejected: str) -> str:
        """A new token after ``rejected`` got a 401; concurrent callers share one renewal."""
        async with self._token_lock:
            if self._token is not None and self._token != rejected:
                return self._token
            return await self._fetch_token()

    # -------------------------------------------------------------- HTTP
    async def _http(
        self,
        method: str,
        path: str,
        category: CostCategory,
        token: str | None,
        params: Mapping[str, str] | None,
        body: Any,
        entity_id: str | None,
    ) -> tuple[int, str, Mapping[str, str]]:
        headers = {"Accept": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        try:
            answer = await exchange(
                self._session,
                method,
                f"{self._base_url}{path}",
                timeout=self._timeout,
                what=self._base_url,
                headers=headers,
                params=params,
                json=body,
            )
        except CommunicationError:
            self.costs.record(category, billed=False, vehicle=entity_id)
            raise
        self.costs.record(category, billed=True, vehicle=entity_id)
        return answer.status, answer.text, answer.headers

    async def _request(
        self,
        method: str,
        path: str,
        category: CostCategory,
        *,
        entity_id: str | None = None,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        operation: str = "request",
        command: bool = False,
        none_on_404: bool = False,
        allow_empty: bool = False,
    ) -> Any:
        """Send one authenticated request and return its JSON (``None`` for no content,
        when ``allow_empty``; ``none_on_404`` also answers ``None`` to a 404)."""
        token = await self._valid_token()
        status, text, headers = await self._http(method, path, category, token, params, body, entity_id)
        if status == 401:
            # Renew once and replay once; a second 401 is the caller's to handle.
            token = await self._renew(token)
            status, text, headers = await self._http(method, path, category, token, params, body, entity_id)
        if none_on_404 and status == 404:
            return None
        raise_for_status(
            status,
            text,
            headers,
            operation=operation,
            command=command,
            last_command_at=self._last_command_at.get(entity_id) if entity_id else None,
        )
        if status == 204 or not text.strip():
            if allow_empty:
                return None
            raise MalformedResponse(f"{operation}: the answer is empty", status=status)
        return _parse_json(text, operation, status)

    async def _pages(
        self,
        path: str,
        params: Mapping[str, str],
        page_size: int,
        *,
        entity_id: str | None,
        operation: str,
    ) -> list[Mapping[str, Any]]:
        """Every item of a paged list, following ``meta.continuationToken``."""
        items: list[Mapping[str, Any]] = []
        query = {**params, "pageSize": str(_check_page_size(page_size))}
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            data = await self._request(
                "GET", path, CostCategory.FREE, entity_id=entity_id, params=query, operation=operation
            )
            if isinstance(data, list):  # a bare array: one page with everything
                page: Any = data
                meta: Any = {}
            elif isinstance(data, Mapping):
                page, meta = data.get("data"), data.get("meta")
            else:
                raise MalformedResponse(f"{operation}: expected a page of results")
            if page is not None and not isinstance(page, list):
                raise MalformedResponse(f"{operation}: 'data' is not a list")
            items.extend(item for item in page or [] if isinstance(item, Mapping))
            token = meta.get("continuationToken") if isinstance(meta, Mapping) else None
            if not isinstance(token, str) or not token or token in seen:
                return items
            seen.add(token)
            query = {**query, "continuationToken": token}
        raise MalformedResponse(f"{operation}: still paging after {MAX_PAGES} pages")

    @staticmethod
    def _entity_path(entity_id: str, suffix: str = "") -> str:
        return f"{ENTITIES_PATH}/{quote(_check_id('entity_id', entity_id), safe='')}{suffix}"

    # ---------------------------------------------------------- entities
    async def list_entities(
        self, *, entity_type: str | None = "EV", page_size: int = DEFAULT_PAGE_SIZE
    ) -> list[Entity]:
        """The entities these credentials can see, of ``entity_type`` (``None``: all)."""
        if entity_type is not None and not isinstance(entity_type, str):
            raise InvalidArgument("entity_type", "must be a string or None")
        items = await self._pages(ENTITIES_PATH, {}, page_size, entity_id=None, operation="list_entities")
        entities = [Entity.from_dict(item) for item in items]
        if entity_type is None:
            return entities
        wanted = entity_type.lower()
        return [e for e in entities if (e.type or "").lower() == wanted]

    async def entity(self, entity_id: str) -> Entity:
        path = self._entity_path(entity_id)
        data = await self._request("GET", path, CostCategory.FREE, entity_id=entity_id, operation="entity")
        return Entity.from_dict(_expect_object(data, "entity"))

    async def last_reading(self, entity_id: str) -> Reading | None:
        """The newest reading, or ``None`` when the entity has none yet (404 or no content)."""
        path = self._entity_path(entity_id, "/readings/last")
        data = await self._request(
            "GET",
            path,
            CostCategory.DATA,
            entity_id=entity_id,
            operation="last_reading",
            none_on_404=True,
            allow_empty=True,
        )
        if data is None:
            return None
        return Reading.from_dict(_expect_object(data, "last_reading"))

    # ---------------------------------------------------------- commands
    async def trigger_command(
        self,
        entity_id: str,
        command_type: CommandType | str,
        *,
        value: str | None = None,
        ignore_cooldown: bool = False,
    ) -> Command:
        """Send a command for immediate execution; returns it (typically ``Pending``).

        Raises ``CooldownActive`` if the entity's cooldown refuses it.
        """
        path = self._entity_path(entity_id, "/commands")
        kind = _check_type("command_type", command_type)
        body = {"type": kind.value, "value": _check_value("value", value)}
        ignore = _check_bool("ignore_cooldown", ignore_cooldown)
        data = await self._request(
            "POST",
            path,
            CostCategory.COMMAND,
            entity_id=entity_id,
            params={"ignoreCooldown": "true" if ignore else "false"},
            body=body,
            operation="trigger_command",
            command=True,
        )
        result = Command.from_dict(_expect_object(data, "trigger_command"), entity_id)
        if not result.id:
            # Accepted, but without an id the command cannot be followed or canceled:
            # the caller may look it up with list_commands.
            self._last_command_at[entity_id] = _utcnow()
            raise MalformedResponse("trigger_command: the answer has no command id")
        self._check_cooldown(entity_id, [result])
        self._last_command_at[entity_id] = result.trigger_time or _utcnow()
        return result

    async def schedule_commands(
        self,
        entity_id: str,
        commands: Sequence[ScheduledCommand],
        *,
        ignore_cooldown: bool = False,
    ) -> CommandBatch:
        """Schedule commands at their trigger times (e.g. start at 10:00, stop at 12:00).

        Raises ``CooldownActive`` if the cooldown refuses the batch, and
        ``CooldownFailedCommands`` if it fails any of its commands: the batch's other
        commands then stay scheduled, and the error holds them all (to cancel by id).
        """
        path = self._entity_path(entity_id, "/commands/schedule")
        if not isinstance(commands, Sequence) or not commands:
            raise InvalidArgument("commands", "must be a non-empty list of ScheduledCommand")
        items: list[dict[str, Any]] = []
        for index, item in enumerate(commands):
            if not isinstance(item, ScheduledCommand):
                raise InvalidArgument(f"commands[{index}]", "must be a ScheduledCommand")
            moment = _check_aware(f"commands[{index}].trigger_time", item.trigger_time)
            items.append(
                {
                    "triggerTime": format_datetime(moment),
                    "type": _check_type(f"commands[{index}].type", item.type).value,
                    "value": _check_value(f"commands[{index}].value", item.value),
                }
            )
        ignore = _check_bool("ignore_cooldown", ignore_cooldown)
        data = await self._request(
            "POST",
            path,
            CostCategory.COMMAND,
            entity_id=entity_id,
            params={"ignoreCooldown": "true" if ignore else "false"},
            body=items,
            operation="schedule_commands",
            command=True,
        )
        batch = CommandBatch.from_dict(_expect_object(data, "schedule_commands"), entity_id)
        self._check_cooldown(entity_id, list(batch.commands))
        return batch

    def _check_cooldown(self, entity_id: str, commands: Sequence[Command]) -> None:
        """Raise ``CooldownActive`` for a command accepted but Failed by the cooldown."""
        for command in commands:
            error = _cooldown_error(command)
            if error is not None:
                allowed_at = cooldown_until(
                    [error.description, error.title], None, self._last_command_at.get(entity_id)
                )
                others = len(commands) - 1
                note = f" ({others} other command(s) of the batch stay scheduled)" if others else ""
                raise CooldownFailedCommands(
                    f"command {command.id} failed: {error}{note}", allowed_at=allowed_at, commands=commands
                )

    async def command(self, entity_id: str, command_id: str) -> Command:
        path = self._entity_path(
            entity_id, f"/commands/{quote(_check_id('command_id', command_id), safe='')}"
        )
        data = await self._request("GET", path, CostCategory.FREE, entity_id=entity_id, operation="command")
        return Command.from_dict(_expect_object(data, "command"), entity_id)

    async def list_commands(
        self,
        entity_id: str,
        start: datetime,
        end: datetime | None = None,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> list[Command]:
        """Commands whose trigger time lies from ``start`` (to ``end``), every page."""
        path = self._entity_path(entity_id, "/commands")
        params = {"start": format_datetime(_check_aware("start", start))}
        if end is not None:
            if _check_aware("end", end) < start:
                raise InvalidArgument("end", "must not be before start")
            params["end"] = format_datetime(end)
        items = await self._pages(path, params, page_size, entity_id=entity_id, operation="list_commands")
        return [Command.from_dict(item, entity_id) for item in items]

    async def cancel_command(self, entity_id: str, command_id: str) -> Command:
        """Cancel a command that is still ``Pending``; later ones raise ``CommandRefused``."""
        _check_id("entity_id", entity_id)
        _check_id("command_id", command_id)
        path = self.cancel_path.format(
            entity_id=quote(entity_id, safe=""), command_id=quote(command_id, safe="")
        )
        data = await self._request(
            "PATCH",
            path,
            CostCategory.COMMAND,
            entity_id=entity_id,
            operation="cancel_command",
            allow_empty=True,
        )
        if data is None:  # a 204 or an empty 200: read the command's new state
            return await self.command(entity_id, command_id)
        return Command.from_dict(_expect_object(data, "cancel_command"), entity_id)


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text) if text.strip() else None
    except ValueError:
        return None


def _parse_json(text: str, operation: str, status: int) -> Any:
    try:
        return json.loads(text)
    except ValueError as err:
        raise MalformedResponse(f"{operation}: the answer is not JSON", status=status) from err


def _expect_object(data: Any, operation: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise MalformedResponse(f"{operation}: expected an object")
    return data
