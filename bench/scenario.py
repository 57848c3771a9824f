"""Benchmark days: a simulator scenario file plus what its automation asks for.

A bench scenario is an ordinary simulator scenario (``simulator/scenarios/bench_*.yaml``)
with one extra top-level key, ``bench:``, that the simulator ignores.  It names the car,
the length of the run, and the automation's requests: a list of ``requests`` at fixed
times, or a ``solar`` block from which one request a minute is derived.  The requests
are computed once, before any policy runs, so every policy is asked exactly the same.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import math
from pathlib import Path
import random
from typing import Any
from zoneinfo import ZoneInfo

from simulator.scenario import SCENARIOS, load_spec, scenario_start

CHARGE_LIMIT = "charge_limit"
CHARGING_AMPS = "charging_amps"
CHARGING = "charging"
ENTITIES = (CHARGE_LIMIT, CHARGING_AMPS, CHARGING)


@dataclass(frozen=True, slots=True)
class Request:
    """One thing the automation asks for: a value for one of the car's controls."""

    t: float
    """Epoch seconds."""
    entity: str
    """``charge_limit``, ``charging_amps`` or ``charging``."""
    value: int | bool


@dataclass
class SolarTrace:
    """The solar surplus the automation followed, minute by minute (for the chart)."""

    t: list[float] = field(default_factory=list)
    surplus_w: list[float] = field(default_factory=list)


@dataclass
class BenchDay:
    """A day to run every policy through."""

    key: str
    name: str
    spec: dict[str, Any]
    start: float
    minutes: int
    vins: list[str]
    requests: list[Request]
    solar: SolarTrace | None = None

    @property
    def end(self) -> float:
        return self.start + self.minutes * 60

    def spec_for(
        self, *, data_keeps_awake: bool | None, command_signing: str | None = None
    ) -> dict[str, Any]:
        """The scenario with ``data_keeps_awake`` forced for every car (None: as written),
        and every car's ``command_signing`` (``"required"``: signed commands only) if given."""
        spec = copy.deepcopy(self.spec)
        spec.pop("bench", None)
        vehicles = [v for a in spec.get("tesla", {}).get("accounts", []) for v in a.get("vehicles", [])]
        if data_keeps_awake is not None:
            defaults = spec.setdefault("defaults", {})
            defaults.setdefault("settings", {})["data_keeps_awake"] = data_keeps_awake
            for vehicle in vehicles:
                vehicle.get("settings", {}).pop("data_keeps_awake", None)
        if command_signing is not None:
            for vehicle in vehicles:
                vehicle["command_signing"] = command_signing
        return spec

    @property
    def account_id(self) -> str:
        """The scenario's (first) Tesla account."""
        return str(self.spec["tesla"]["accounts"][0]["id"])


def _tz(spec: dict[str, Any]) -> ZoneInfo:
    return ZoneInfo(spec.get("timezone", spec.get("defaults", {}).get("timezone", "UTC")))


def _at(text: str | float, start: float, tz: ZoneInfo) -> float:
    """``"HH:MM"`` or ``"HH:MM:SS"`` on the first day (local time), or seconds after the start."""
    if isinstance(text, (int, float)):
        return start + float(text)
    parts = [int(p) for p in str(text).split(":")]
    hours, minutes, seconds = ([*parts, 0, 0])[:3]
    midnight = datetime.fromtimestamp(start, tz).replace(hour=0, minute=0, second=0, microsecond=0)
    return (midnight + timedelta(hours=hours, minutes=minutes, seconds=seconds)).timestamp()


def load_day(name: str) -> BenchDay:
    """``name`` is a file in ``simulator/scenarios`` (without ``.yaml``) or a path."""
    path = Path(name) if name.endswith((".yaml", ".yml", ".json")) else SCENARIOS / f"{name}.yaml"
    spec = load_spec(path)
    bench = spec.get("bench") or {}
    start = scenario_start(spec)
    if start is None:
        raise ValueError(f"{path}: a bench scenario needs a start time")
    tz = _tz(spec)
    vins = [
        vehicle["vin"]
        for account in spec.get("tesla", {}).get("accounts", [])
        for vehicle in account.get("vehicles", [])
    ]
    requests = [
        Request(_at(item["at"], start, tz), item["entity"], item["value"])
        for item in bench.get("requests", [])
    ]
    for request in requests:
        if request.entity not in ENTITIES:
            raise ValueError(f"{path}: unknown entity {request.entity!r}")
    minutes = int(bench.get("minutes", 1440))
    solar = None
    if "solar" in bench:
        solar_requests, solar = solar_automation(bench["solar"], start, minutes, tz)
        requests += solar_requests
    requests.sort(key=lambda r: r.t)
    return BenchDay(
        key=path.stem.removeprefix("bench_"),
        name=str(bench.get("name", path.stem)),
        spec=spec,
        start=start,
        minutes=minutes,
        vins=[bench["vehicle"]] if "vehicle" in bench else vins,
        requests=requests,
        solar=solar,
    )


def solar_automation(
    params: dict[str, Any], start: float, minutes: int, tz: ZoneInfo
) -> tuple[list[Request], SolarTrace]:
    """The solar-following automation: a current every ``every`` seconds, start/stop on surplus."""
    rng = random.Random(params.get("seed", 0))  # noqa: S311 - reproducible noise, not a secret
    rise = _at(params.get("sunrise", "06:00"), start, tz)
    sunset = _at(params.get("sunset", "20:00"), start, tz)
    peak = float(params.get("peak_w", 6000))
    base = float(params.get("base_load_w", 400))
    noise = float(params.get("noise_w", 100))
    volts = float(params.get("volts", 230))
    low, high = int(params.get("min_amps", 5)), int(params.get("max_amps", 16))
    start_w, stop_w = float(params.get("start_w", 1400)), float(params.get("stop_w", 1000))
    every = int(params.get("every", 60))
    clouds = [
        (_at(c["from"], start, tz), _at(c["to"], start, tz), float(c["factor"]))
        for c in params.get("clouds", [])
    ]
    loads = [
        (_at(c["from"], start, tz), _at(c["to"], start, tz), float(c["watts"]))
        for c in params.get("loads", [])
    ]
    requests: list[Request] = []
    trace = SolarTrace()
    wanted: bool | None = None
    for step in range(0, minutes * 60, every):
        t = start + step
        pv = 0.0
        if rise < t < sunset:
            pv = peak * math.sin(math.pi * (t - rise) / (sunset - rise)) ** 1.5
            for begin, end, factor in clouds:
                if begin <= t < end:
                    pv *= factor
        load = base + sum(watts for begin, end, watts in loads if begin <= t < end)
        surplus = max(0.0, pv - load + rng.gauss(0.0, noise))
        trace.t.append(t)
        trace.surplus_w.append(round(surplus))
        if wanted is None:
            wanted = surplus >= start_w
        elif not wanted and surplus >= start_w:
            wanted = True
            requests.append(Request(t, CHARGING, True))
        elif wanted and surplus < stop_w:
            wanted = False
            requests.append(Request(t, CHARGING, False))
        amps = min(max(int(surplus // volts), low), high)
        # The current first, then (a few seconds later) a start or stop, as an
        # automation's action sequence would run them.
        requests.append(Request(t, CHARGING_AMPS, amps))
    # Start/stop requests go out 3 s after the current so the two do not overlap.
    return [Request(r.t + 3, r.entity, r.value) if r.entity == CHARGING else r for r in requests], trace


def iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%H:%M:%S")
