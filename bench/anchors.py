"""The anchors: small pollers that behave like the integrations users have today.

They are written for the benchmark from the descriptions in
``../shared/reference/anchors.md`` (not from their code) and talk HTTP to the same
simulator as our integration.  Each keeps a *view* of the car, updated only by its
``vehicle_data`` polls (the real integrations echo a command's value in that one
entity, but their coordinator data, and every other entity, wait for the next poll).

* ``tesla_fleet``: Home Assistant's Tesla Fleet.  Every 10 minutes a free state check
  of each car, then ``vehicle_data`` if it is online.  Commands wake the car first if
  the last poll said it was asleep; a 408 on the command is an error (no retry).
* ``hacs_tesla``: alandtse/tesla with teslajsonpy, default options.  A 10-second tick;
  the vehicle list at most every 60 s; ``vehicle_data`` for an online car when 660 s
  have passed (60 s while driving), charging or not.  Commands wake the car if the list
  said asleep, except charge stop, and amps or limit equal to the cached value; a 408
  on a command that may wake wakes and retries once.  Below 5 A the current is sent
  twice.
* ``naive``: a one-minute ``vehicle_data`` poller that never checks the state first;
  it wakes the car for a command when its last poll got a 408.

None of them coalesce or skip: every automation request is a command, unplugged or not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import aiohttp

from .metrics import Tap
from .scenario import CHARGE_LIMIT, CHARGING, CHARGING_AMPS

ALL_ENDPOINTS = "charge_state;climate_state;drive_state;location_data;vehicle_config;vehicle_state"


class Api:
    """Just enough of the Fleet API for the anchors."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str, token: str) -> None:
        self._session = session
        self._base = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"}

    async def _call(self, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
        async with self._session.request(
            method, f"{self._base}{path}", headers=self._headers, **kwargs
        ) as response:
            try:
                body = await response.json(content_type=None)
            except ValueError:
                body = None
            return response.status, body

    async def list(self) -> dict[str, str]:
        status, body = await self._call("GET", "/api/1/vehicles")
        return {v["vin"]: v["state"] for v in body["response"]} if status == 200 else {}

    async def state(self, vin: str) -> str | None:
        status, body = await self._call("GET", f"/api/1/vehicles/{vin}")
        return str(body["response"]["state"]) if status == 200 else None

    async def vehicle_data(self, vin: str, endpoints: str = ALL_ENDPOINTS) -> tuple[int, dict[str, Any]]:
        status, body = await self._call(
            "GET", f"/api/1/vehicles/{vin}/vehicle_data", params={"endpoints": endpoints}
        )
        return status, (body or {}).get("response") or {}

    async def wake_up(self, vin: str) -> str | None:
        status, body = await self._call("POST", f"/api/1/vehicles/{vin}/wake_up")
        return str(body["response"]["state"]) if status == 200 else None

    async def command(self, vin: str, name: str, params: dict[str, Any] | None = None) -> int:
        status, _body = await self._call("POST", f"/api/1/vehicles/{vin}/command/{name}", json=params or {})
        return status


def command_for(entity: str, value: int | bool) -> tuple[str, dict[str, Any]]:
    if entity == CHARGING:
        return ("charge_start" if value else "charge_stop"), {}
    if entity == CHARGING_AMPS:
        return "set_charging_amps", {"charging_amps": int(value)}
    if entity == CHARGE_LIMIT:
        return "set_charge_limit", {"percent": int(value)}
    raise ValueError(entity)


@dataclass
class Anchor:
    """A polling policy and how it sends commands."""

    api: Api
    vins: list[str]
    tap: Tap
    next_run: float = 0.0
    errors: dict[str, int] = field(default_factory=dict)
    charge: dict[str, dict[str, Any]] = field(default_factory=dict)
    """The last ``charge_state`` per car (the view)."""

    name = "anchor"

    def _seen(self, vin: str, now: float, data: dict[str, Any]) -> None:
        charge = data.get("charge_state") or {}
        self.charge[vin] = charge
        self.tap.view(
            vin,
            now,
            charge.get("charge_current_request"),
            charge.get("charge_limit_soc"),
            charge.get("charging_state") in ("Starting", "Charging"),
        )

    def _error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1

    async def setup(self, now: float) -> None:
        raise NotImplementedError

    async def run(self, now: float) -> None:
        raise NotImplementedError

    async def request(self, vin: str, entity: str, value: int | bool, now: float) -> None:
        raise NotImplementedError


class TeslaFleet(Anchor):
    name = "tesla_fleet"
    INTERVAL = 600.0

    def __init__(self, api: Api, vins: list[str], tap: Tap) -> None:
        super().__init__(api, vins, tap)
        self.state: dict[str, str | None] = {}

    async def _poll(self, vin: str, now: float) -> None:
        self.state[vin] = await self.api.state(vin)  # "a free API call"
        if self.state[vin] != "online":
            return
        status, data = await self.api.vehicle_data(vin)
        if status == 200:
            self._seen(vin, now, data)
        elif status == 408:
            self.state[vin] = "asleep"

    async def setup(self, now: float) -> None:
        await self.api.list()
        for vin in self.vins:
            await self._poll(vin, now)
        self.next_run = now + self.INTERVAL

    async def run(self, now: float) -> None:
        for vin in self.vins:
            await self._poll(vin, now)
        self.next_run = now + self.INTERVAL

    async def request(self, vin: str, entity: str, value: int | bool, now: float) -> None:
        if self.state.get(vin) != "online":
            # wake_up_vehicle(): wake_up() first, then vehicle() until online (about 30 s
            # at most); the simulator's wakes are instant, so one answer settles it.
            state = await self.api.wake_up(vin)
            if state != "online":
                state = await self.api.state(vin)
            if state != "online":
                self._error("wake_failed")
                return
            self.state[vin] = "online"
        name, params = command_for(entity, value)
        status = await self.api.command(vin, name, params)
        if status == 408:
            self._error("command_408")  # core#182023: the cached state said online


class HacsTesla(Anchor):
    name = "hacs_tesla"
    TICK = 10.0
    ONLINE_INTERVAL = 60.0
    SCAN_INTERVAL = 660.0
    DRIVING_INTERVAL = 60.0

    def __init__(self, api: Api, vins: list[str], tap: Tap) -> None:
        super().__init__(api, vins, tap)
        self.online: dict[str, bool] = {}
        self.last_list = float("-inf")
        self.last_update: dict[str, float] = {}
        self.driving: dict[str, bool] = {}
        self.cache: dict[str, dict[str, Any]] = {}

    async def setup(self, now: float) -> None:
        # "Wake cars on start" is off by default; a restart does not wake anything.
        await self.run(now)

    async def run(self, now: float) -> None:
        if now - self.last_list >= self.ONLINE_INTERVAL:
            states = await self.api.list()
            self.online = {vin: states.get(vin) == "online" for vin in self.vins}
            self.last_list = now
        for vin in self.vins:
            if not self.online.get(vin):
                continue
            interval = self.DRIVING_INTERVAL if self.driving.get(vin) else self.SCAN_INTERVAL
            if vin in self.last_update and now - self.last_update[vin] <= interval:
                continue
            status, data = await self.api.vehicle_data(vin)
            if status == 200:
                self.last_update[vin] = now
                self._seen(vin, now, data)
                self.cache[vin] = dict(data.get("charge_state") or {})
                self.driving[vin] = (data.get("drive_state") or {}).get("shift_state") in ("D", "R")
        self.next_run = now + self.TICK

    async def _wake(self, vin: str) -> bool:
        state = await self.api.wake_up(vin)
        if state != "online":
            state = await self.api.state(vin)
        self.online[vin] = state == "online"
        return self.online[vin]

    async def _send(self, vin: str, name: str, params: dict[str, Any], *, wake: bool) -> int:
        if wake and not self.online.get(vin) and not await self._wake(vin):
            self._error("wake_failed")
            return 0
        status = await self.api.command(vin, name, params)
        if status == 408 and wake:
            # teslajsonpy: an invalid answer means it fell asleep; wake and retry.
            if not await self._wake(vin):
                return status
            status = await self.api.command(vin, name, params)
        if status == 408:
            self._error("command_408")
        return status

    async def request(self, vin: str, entity: str, value: int | bool, now: float) -> None:
        name, params = command_for(entity, value)
        cached = self.cache.setdefault(vin, {})
        if entity == CHARGING:
            # stop_charge passes wake_if_asleep=False ("if asleep it's not charging").
            await self._send(vin, name, params, wake=bool(value))
            return
        key = "charge_current_request" if entity == CHARGING_AMPS else "charge_limit_soc"
        # Only wake the car if the value differs from the cached one.
        wake = cached.get(key) != int(value)
        status = await self._send(vin, name, params, wake=wake)
        if entity == CHARGING_AMPS and int(value) < 5:
            status = await self._send(vin, name, params, wake=wake)
        if status == 200:
            cached[key] = int(value)


class Naive(Anchor):
    name = "naive"
    INTERVAL = 60.0

    def __init__(self, api: Api, vins: list[str], tap: Tap) -> None:
        super().__init__(api, vins, tap)
        self.asleep: dict[str, bool] = {}

    async def setup(self, now: float) -> None:
        await self.run(now)

    async def run(self, now: float) -> None:
        for vin in self.vins:
            status, data = await self.api.vehicle_data(vin)
            self.asleep[vin] = status == 408
            if status == 200:
                self._seen(vin, now, data)
        self.next_run = now + self.INTERVAL

    async def request(self, vin: str, entity: str, value: int | bool, now: float) -> None:
        name, params = command_for(entity, value)
        if self.asleep.get(vin):
            await self.api.wake_up(vin)
            self.asleep[vin] = False
        status = await self.api.command(vin, name, params)
        if status == 408:
            await self.api.wake_up(vin)
            status = await self.api.command(vin, name, params)
        if status == 408:
            self._error("command_408")


ANCHORS: dict[str, type[Anchor]] = {cls.name: cls for cls in (TeslaFleet, HacsTesla, Naive)}
