"""An asyncio client for the re.alto energy platform's EV endpoints: the requests.

It lists entities, reads their last reading, and sends, follows, lists and cancels
commands.  Every request carries the bearer token ``auth.py`` keeps (a 401 renews it
and replays the request once), is counted in ``costs``, and has its failures read into
the package's exceptions by ``errors.py``.  Commands are asynchronous on the platform:
a 201 means "accepted"; poll ``command()`` until ``is_final`` and confirm with
``last_reading()``.

The platform enforces a 10-minute cooldown between commands to one vehicle.  The
client remembers when it last sent one to each entity, so that a refusal without a
time still says when the next command is allowed, and raises ``CooldownActive`` for
every form the refusal takes (``cooldown.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, override
from urllib.parse import quote

import aiohttp

from ..costs import CostCategory, CostLedger
from ..errors import CommunicationError, InvalidArgument, MalformedResponse
from ..transport import exchange
from .auth import ClientCredentialsToken
from .const import (
    AUTH_PATH,
    BASE_URL,
    CANCEL_PATH,
    DEFAULT_PAGE_SIZE,
    DEFAULT_TIMEOUT,
    ENTITIES_PATH,
    MAX_PAGES,
    CommandType,
)
from .cooldown import CooldownFailedCommands, cooldown_error, cooldown_until
from .errors import parse_json, raise_for_status
from .models import Command, CommandBatch, Entity, Reading, ScheduledCommand, format_datetime
from .validation import (
    check_aware_datetime,
    check_bool,
    check_cancel_path,
    check_command_type,
    check_command_value,
    check_id,
    check_page_size,
)

# re.alto publishes no per-request prices: requests are counted, the cost stays 0.
PRICES_USD: Mapping[CostCategory, float] = dict.fromkeys(CostCategory, 0.0)


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
        self.cancel_path = check_cancel_path(cancel_path)
        self._session = session
        self.base_url = base_url
        self._timeout = aiohttp.ClientTimeout(total=request_timeout)
        self.costs = CostLedger(prices=PRICES_USD)
        self._auth = ClientCredentialsToken(client_id, client_secret, self._post_credentials)
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
        await self._auth.authenticate()

    @property
    def principal(self) -> str | None:
        """Who the credentials belong to: the ``sub`` claim of the current JWT, if any."""
        return self._auth.principal

    async def _post_credentials(self, body: Mapping[str, str]) -> tuple[int, str, Mapping[str, str]]:
        # The sign-in is a request like any other for the cost ledger, and free.
        return await self._http("POST", AUTH_PATH, CostCategory.FREE, None, None, body, None)

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
        token = await self._auth.valid_token()
        status, text, headers = await self._http(method, path, category, token, params, body, entity_id)
        if status == 401:
            # Renew once and replay once; a second 401 is the caller's to handle.
            token = await self._auth.renew(token)
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
        return parse_json(text, operation, status)

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
        query = {**params, "pageSize": str(check_page_size(page_size))}
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
        return f"{ENTITIES_PATH}/{quote(check_id('entity_id', entity_id), safe='')}{suffix}"

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
        kind = check_command_type("command_type", command_type)
        body = {"type": kind.value, "value": check_command_value("value", value)}
        ignore = check_bool("ignore_cooldown", ignore_cooldown)
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
            self._last_command_at[entity_id] = datetime.now(UTC)
            raise MalformedResponse("trigger_command: the answer has no command id")
        self._check_cooldown(entity_id, [result])
        self._last_command_at[entity_id] = result.trigger_time or datetime.now(UTC)
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
            moment = check_aware_datetime(f"commands[{index}].trigger_time", item.trigger_time)
            items.append(
                {
                    "triggerTime": format_datetime(moment),
                    "type": check_command_type(f"commands[{index}].type", item.type).value,
                    "value": check_command_value(f"commands[{index}].value", item.value),
                }
            )
        ignore = check_bool("ignore_cooldown", ignore_cooldown)
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
            error = cooldown_error(command)
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
        path = self._entity_path(entity_id, f"/commands/{quote(check_id('command_id', command_id), safe='')}")
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
        params = {"start": format_datetime(check_aware_datetime("start", start))}
        if end is not None:
            if check_aware_datetime("end", end) < start:
                raise InvalidArgument("end", "must not be before start")
            params["end"] = format_datetime(end)
        items = await self._pages(path, params, page_size, entity_id=entity_id, operation="list_commands")
        return [Command.from_dict(item, entity_id) for item in items]

    async def cancel_command(self, entity_id: str, command_id: str) -> Command:
        """Cancel a command that is still ``Pending``; later ones raise ``CommandRefused``."""
        check_id("entity_id", entity_id)
        check_id("command_id", command_id)
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


def _expect_object(data: Any, operation: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise MalformedResponse(f"{operation}: expected an object")
    return data
