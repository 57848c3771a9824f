"""What a run records, and the numbers the report is made of.

Everything is read from the simulator, the same way for every policy:

* the request log (each request's simulated time, category and status) and the
  billing counters;
* a tap on each simulated car's ``command`` method, which notes the car's state just
  before every command that reached it (was it plugged in, which current did it have);
* a sample of each car every simulated minute (asleep? charging? driving? battery);
* the policy's *view*: what the integration believed the car's current, limit and
  charging state were, each time that belief changed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
import itertools
import statistics
from typing import Any

from simulator import World
from simulator.recorder import PRICES_USD
from simulator.tesla.vehicle import CHARGING_STATES, SimVehicle

from .scenario import CHARGE_LIMIT, CHARGING, CHARGING_AMPS, BenchDay, Request

# A wake counts as asked for when a command to the same car follows it this soon.
WAKE_TO_COMMAND = 120.0
# A command counts as confirmed when the view shows it this soon (the target).
CONFIRM_TARGET = 30.0
_COMMAND_FIELD = {
    "set_charging_amps": (CHARGING_AMPS, "charging_amps"),
    "set_charge_limit": (CHARGE_LIMIT, "percent"),
}


@dataclass(slots=True)
class Sample:
    t: float
    state: str
    charging_state: str
    plugged: bool
    driving: bool
    battery: float
    amps: int
    limit: int


@dataclass(slots=True)
class ExecutedCommand:
    """A command that reached an online car, with the car's state just before it."""

    t: float
    vin: str
    name: str
    params: dict[str, Any]
    result: bool
    reason: str
    plugged: bool
    amps_before: int
    limit_before: int
    charging_before: bool


@dataclass(slots=True)
class ViewEntry:
    t: float
    charging_amps: int | None
    charge_limit: int | None
    charging: bool | None


@dataclass
class Tap:
    """Hooks on one world, installed before the run starts."""

    world: World
    vins: list[str]
    samples: dict[str, list[Sample]] = field(default_factory=dict)
    commands: list[ExecutedCommand] = field(default_factory=list)
    views: dict[str, list[ViewEntry]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for vin in self.vins:
            self.samples[vin] = []
            self.views[vin] = []
            self._wrap(self.world.vehicles[vin])

    def _wrap(self, car: SimVehicle) -> None:
        original: Callable[[str, dict[str, Any]], tuple[bool, str]] = car.command

        def command(name: str, params: dict[str, Any]) -> tuple[bool, str]:
            before = (car.plugged, car.amps_request, car.limit, car.charging)
            result, reason = original(name, params)
            self.commands.append(ExecutedCommand(car.t, car.vin, name, dict(params), result, reason, *before))
            return result, reason

        car.command = command  # type: ignore[method-assign]

    def sample(self) -> None:
        now = self.world.sync()
        for vin in self.vins:
            car = self.world.vehicles[vin]
            self.samples[vin].append(
                Sample(
                    now,
                    car.state,
                    car.charging_state,
                    car.plugged,
                    car.drive is not None,
                    round(car.battery_level, 3),
                    car.amps_request,
                    car.limit,
                )
            )

    def view(self, vin: str, t: float, amps: int | None, limit: int | None, charging: bool | None) -> None:
        entries = self.views[vin]
        entry = ViewEntry(t, amps, limit, charging)
        if entries and (entries[-1].charging_amps, entries[-1].charge_limit, entries[-1].charging) == (
            amps,
            limit,
            charging,
        ):
            return
        entries.append(entry)


# --------------------------------------------------------------------------- results
def _data_fetches(log: list[dict[str, Any]], vin: str) -> list[float]:
    return [
        r["t"] for r in log if r["vin"] == vin and r["path"].endswith("/vehicle_data") and r["status"] == 200
    ]


def _charging_intervals(
    samples: list[Sample], starts: list[float], ends: list[float]
) -> list[tuple[float, float]]:
    """When the car was charging (Starting/Charging), refined with known event times."""
    intervals: list[tuple[float, float]] = []
    begin: float | None = None
    previous: Sample | None = None
    for sample in samples:
        charging = sample.charging_state in CHARGING_STATES
        if charging and begin is None:
            low = previous.t if previous else sample.t
            known = [t for t in starts if low < t <= sample.t]
            begin = max(known) if known else low
        elif not charging and begin is not None:
            low = previous.t if previous else sample.t
            known = [t for t in ends if low < t <= sample.t]
            intervals.append((begin, min(known) if known else sample.t))
            begin = None
        previous = sample
    if begin is not None and previous is not None:
        intervals.append((begin, previous.t))
    return intervals


def _max_age(intervals: list[tuple[float, float]], fetches: list[float]) -> float:
    """The largest ``now - max(last fetch, session start)`` over the charging time."""
    worst = 0.0
    for begin, end in intervals:
        last = begin
        for fetched in fetches:
            if begin < fetched < end:
                worst = max(worst, fetched - last)
                last = fetched
        worst = max(worst, end - last)
    return worst


def _could_sleep(samples: list[Sample], activity: list[float], sleep_after: float) -> int:
    """Minutes in which an ideal policy would have let the car sleep."""
    minutes = 0
    for sample in samples:
        if sample.charging_state in CHARGING_STATES or sample.driving:
            continue
        if any(sample.t - sleep_after < t <= sample.t for t in activity):
            continue
        minutes += 1
    return minutes


def _own_activity(samples: list[Sample]) -> list[float]:
    """Times the car did something by itself: plugged/unplugged, drove, started or ended charging."""
    times: list[float] = []
    for before, after in itertools.pairwise(samples):
        if (
            before.plugged != after.plugged
            or before.driving != after.driving
            or (before.charging_state in CHARGING_STATES) != (after.charging_state in CHARGING_STATES)
        ):
            times.append(after.t)
    return times


def _confirmations(commands: list[ExecutedCommand], view: list[ViewEntry]) -> tuple[list[float], int]:
    """Seconds from each accepted command to a view that shows its value; and how many never did.

    A command overtaken by a later one for the same control before its value was shown
    is left out (there was nothing left to confirm).
    """
    delays: list[float] = []
    never = 0
    for index, command in enumerate(commands):
        if not command.result:
            continue
        if command.name in _COMMAND_FIELD:
            key, param = _COMMAND_FIELD[command.name]
            wanted: Any = int(command.params[param])
        elif command.name in ("charge_start", "charge_stop"):
            key, wanted = CHARGING, command.name == "charge_start"
        else:
            continue
        later = [c.t for c in commands[index + 1 :] if c.name == command.name and c.result]
        horizon = later[0] if later else float("inf")
        shown = None
        for entry in view:
            if entry.t < command.t - 1e-6:
                continue
            if entry.t > horizon:
                break
            value = {
                CHARGING_AMPS: entry.charging_amps,
                CHARGE_LIMIT: entry.charge_limit,
                CHARGING: entry.charging,
            }[key]
            if value == wanted:
                shown = entry.t - command.t
                break
        if shown is not None:
            delays.append(max(shown, 0.0))
        elif horizon == float("inf"):
            never += 1
    return delays, never


def _effective_requests(requests: list[Request], samples: list[Sample]) -> list[float]:
    """Times of the requests that asked the car for a change it could make.

    A request for what the car already has, or for a current while it is unplugged,
    needs nothing from the car; an ideal policy would let the car sleep through it.
    """
    times: list[float] = []
    for request in requests:
        before = next((s for s in reversed(samples) if s.t <= request.t), None)
        if before is None:
            continue
        if request.entity == CHARGING_AMPS:
            change = before.plugged and before.amps != request.value
        elif request.entity == CHARGE_LIMIT:
            change = before.limit != request.value
        elif request.value:
            change = (
                before.plugged
                and before.charging_state not in CHARGING_STATES
                and before.battery < before.limit
            )
        else:
            change = before.charging_state in CHARGING_STATES
        if change:
            times.append(request.t)
    return times


def _lost_requests(requests: list[Request], samples: list[Sample]) -> list[Request]:
    """Requests the car did not end up following within a minute, though it could have."""
    lost: list[Request] = []
    for request in requests:
        before = next((s for s in reversed(samples) if s.t <= request.t), None)
        after = next((s for s in samples if s.t > request.t + 5), None)
        if after is None or before is None:
            continue
        if request.entity == CHARGING_AMPS:
            ok = not before.plugged or not after.plugged or after.amps == request.value
        elif request.entity == CHARGE_LIMIT:
            ok = after.limit == request.value
        elif request.value:
            could = after.plugged and after.battery < after.limit and after.charging_state != "NoPower"
            ok = after.charging_state in CHARGING_STATES or not could
        else:
            ok = after.charging_state not in CHARGING_STATES
        if not ok:
            lost.append(request)
    return lost


def _amps_analysis(requests: list[Request], commands: list[ExecutedCommand]) -> dict[str, int]:
    """The solar target: one command per distinct settled value, none repeated, none unplugged."""
    asked = [r for r in requests if r.entity == CHARGING_AMPS]
    distinct = sum(1 for a, b in zip([None, *asked], asked, strict=False) if a is None or a.value != b.value)
    sent = [c for c in commands if c.name == "set_charging_amps"]
    values = [int(c.params["charging_amps"]) for c in sent]
    return {
        "requests": len(asked),
        "distinct_values": distinct,
        "commands": len(sent),
        "repeats": sum(1 for a, b in itertools.pairwise(values) if a == b),
        "already_set": sum(1 for c, v in zip(sent, values, strict=True) if c.amps_before == v),
        "while_unplugged": sum(1 for c in sent if not c.plugged),
    }


def day_result(
    policy: str,
    day: BenchDay,
    keep_awake: bool,
    tap: Tap,
    *,
    sleep_after: float,
    request_errors: dict[str, int] | None = None,
) -> dict[str, Any]:
    """Everything the report needs about one policy on one day, as plain JSON."""
    log = tap.world.recorder.since(0)
    log = [r for r in log if r["api"] == "tesla"]
    billing = tap.world.recorder.billing()
    vin = day.vins[0]
    counts = billing["by_vehicle"].get(vin, {}).get("requests", dict.fromkeys(PRICES_USD, 0))
    free = sum(1 for r in log if r["category"] == "free" and r["billed"])
    counts = {**counts, "free": free}
    wakes = [r["t"] for r in log if r["path"].endswith("/wake_up") and r["vin"] == vin]
    rest_commands = [r for r in log if "/command/" in r["path"] and r["vin"] == vin]
    signed = [r for r in log if r["path"].endswith("/signed_command") and r["vin"] == vin]
    handshakes = [r for r in signed if r.get("signed") == "handshake"]
    signed_commands = [r for r in signed if r.get("signed") == "command"]
    command_times = [r["t"] for r in rest_commands + signed_commands]
    unasked = sum(1 for w in wakes if not any(w <= c <= w + WAKE_TO_COMMAND for c in command_times))
    samples = tap.samples[vin]
    commands = [c for c in tap.commands if c.vin == vin]
    starts = [c.t for c in commands if c.name == "charge_start" and c.result]
    starts += [t for t, kind in tap.world.vehicles[vin].events if kind == "scheduled_start"]
    starts += [s.t for a, s in itertools.pairwise(samples) if s.plugged and not a.plugged]
    ends = [c.t for c in commands if c.name == "charge_stop" and c.result]
    ends += [t for t, kind in tap.world.vehicles[vin].events if kind == "complete"]
    intervals = _charging_intervals(samples, starts, ends)
    fetches = _data_fetches(log, vin)
    delays, never = _confirmations(commands, tap.views[vin])
    lost = _lost_requests(day.requests, samples)
    activity = sorted(_own_activity(samples) + _effective_requests(day.requests, samples))
    asleep = sum(1 for s in samples if s.state == "asleep")
    start_battery = samples[0].battery if samples else 0.0
    minute_cost: list[float] = []
    index = 0
    total = 0.0
    for sample in samples:
        while index < len(log) and log[index]["t"] <= sample.t:
            record = log[index]
            if record["billed"] and record["vin"] == vin:
                total += PRICES_USD.get(record["category"], 0.0)
            index += 1
        minute_cost.append(round(total, 6))
    return {
        "policy": policy,
        "day": day.key,
        "day_name": day.name,
        "keep_awake": keep_awake,
        "requests": counts,
        "cost_usd": round(sum(PRICES_USD[k] * n for k, n in counts.items() if k in PRICES_USD), 6),
        "wakes": len(wakes),
        "wakes_unasked": unasked,
        "asleep_minutes": asleep,
        "could_sleep_minutes": _could_sleep(samples, activity, sleep_after),
        "max_charge_age_s": round(_max_age(intervals, fetches), 1),
        "charging_minutes": round(sum(e - b for b, e in intervals) / 60, 1),
        "confirm_max_s": round(max(delays), 1) if delays else None,
        "confirm_median_s": round(statistics.median(delays), 1) if delays else None,
        "confirm_within_target": sum(1 for d in delays if d <= CONFIRM_TARGET),
        "confirmed": len(delays),
        "never_confirmed": never,
        "automation_requests": len(day.requests),
        "commands_sent": len(rest_commands) + len(signed_commands),
        "signed": {
            # Every signed_command request is billed as a command, handshakes included.
            "handshakes": len(handshakes),
            "handshakes_by_domain": dict(Counter(str(r.get("domain")) for r in handshakes)),
            "handshake_times": [round(r["t"] - day.start, 1) for r in handshakes],
            "commands": len(signed_commands),
            "command_times": [round(r["t"] - day.start, 1) for r in signed_commands],
            "faults": sum(1 for r in signed if r.get("signed_fault") or r["status"] != 200),
            "rest_commands": len(rest_commands),
        },
        "commands_executed": len(commands),
        "lost_requests": len(lost),
        "lost": [[round(r.t - day.start), r.entity, r.value] for r in lost],
        "data_fetches": [round(t - day.start, 1) for t in fetches],
        "request_errors": request_errors or {},
        "amps": _amps_analysis(day.requests, commands),
        "battery_start": start_battery,
        "battery_end": samples[-1].battery if samples else 0.0,
        "series": {
            "t": [round(s.t - day.start) for s in samples],
            "battery": [s.battery for s in samples],
            "asleep": [int(s.state == "asleep") for s in samples],
            "charging": [int(s.charging_state in CHARGING_STATES) for s in samples],
            "cost": minute_cost,
        },
        "executed": [asdict(c) for c in commands][:2000],
    }


def restart_effect(result: dict[str, Any], at: float) -> dict[str, Any]:
    """Handshakes and signed commands before and after a restart ``at`` seconds into the day."""
    signed = result["signed"]
    return {
        "at_s": round(at, 1),
        "handshakes_before": sum(1 for t in signed["handshake_times"] if t < at),
        "handshakes_after": sum(1 for t in signed["handshake_times"] if t >= at),
        "commands_before": sum(1 for t in signed["command_times"] if t < at),
        "commands_after": sum(1 for t in signed["command_times"] if t >= at),
    }
