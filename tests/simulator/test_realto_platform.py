"""The re.alto platform model on a FakeClock: lifecycle timing, readings that follow
the car, the cooldown, injected failures, the timeline and the scenario builder."""

from __future__ import annotations

from typing import Any

import pytest

from simulator import FakeClock, World, build_world
from simulator.realto.platform import CooldownHit, RealtoPlatform, SimEntity, build_platform, iso, parse_time

from ..helpers import ENTITY_ID, ENTITY_ID2, realto_entity_spec, realto_spec

START, STOP = "StartCharging", "StopCharging"


@pytest.fixture
def scenario() -> dict[str, Any]:
    return realto_spec()


def platform_of(world: World) -> RealtoPlatform:
    realto: RealtoPlatform = world.realto
    return realto


def trigger(
    realto: RealtoPlatform, kind: str = START, *, at: float | None = None, ignore: bool = False
) -> Any:
    entity = realto.entities[ENTITY_ID]
    when = realto.now() if at is None else at
    return realto.create_commands(entity, [(when, kind, None)], ignore_cooldown=ignore)


def step(world: World, clock: FakeClock, seconds: float) -> None:
    clock.advance(seconds)
    world.sync()


def entity(world: World, entity_id: str = ENTITY_ID) -> SimEntity:
    return platform_of(world).entities[entity_id]


# ----------------------------------------------------------------- lifecycle
def test_lifecycle_follows_the_configured_delays(world: World, clock: FakeClock):
    realto = platform_of(world)
    realto.set_lifecycle({"trigger_delay": 5, "send_delay": 7, "confirm_delay": 30})
    t0 = clock.now()
    [command] = trigger(realto)
    step(world, clock, 4.9)
    assert command.status == "Pending"
    step(world, clock, 0.1)
    assert command.status == "Triggered"
    step(world, clock, 6.9)
    assert command.status == "Triggered"
    step(world, clock, 0.1)
    assert command.status == "Sent"
    step(world, clock, 30)
    assert command.status == "Succeeded"
    assert command.history == [
        (t0, "Pending"),
        (t0 + 5, "Triggered"),
        (t0 + 12, "Sent"),
        (t0 + 42, "Succeeded"),
    ]
    assert command not in realto.active


def test_the_car_starts_when_the_command_succeeds(world: World, clock: FakeClock):
    realto = platform_of(world)
    [command] = trigger(realto)
    step(world, clock, 3600)  # one big jump: the car charged from t0 + 15 s
    car = entity(world).vehicle
    assert car is not None
    assert command.history[-1] == (clock.now() - 3600 + 15, "Succeeded")
    power_kw = 16 * 230 * 3 / 1000
    expected = 50 + power_kw * (3600 - 15 - 5) / 77 * 100 / 3600  # 5 s "Starting"
    assert car.battery_level == pytest.approx(expected)


def test_zero_delays_finish_on_the_next_sync(world: World, clock: FakeClock):
    realto = platform_of(world)
    realto.set_lifecycle({"trigger_delay": 0, "send_delay": 0, "confirm_delay": 0})
    [command] = trigger(realto)
    assert command.status == "Pending"  # what the 201 shows
    world.sync()
    assert command.status == "Succeeded"
    assert [s for _, s in command.history] == ["Pending", "Triggered", "Sent", "Succeeded"]


@pytest.mark.parametrize(
    ("change", "kind", "title"),
    [
        ({"action": "unplug"}, START, "VehicleNotPluggedIn"),
        ({"action": "battery_level", "level": 100}, START, "ChargeLimitReached"),
        ({"action": "pilot_current", "amps": 0}, START, "NoPowerAvailable"),
    ],
)
def test_the_car_refuses(world: World, clock: FakeClock, change: dict[str, Any], kind: str, title: str):
    realto = platform_of(world)
    params = dict(change)
    realto.apply(entity(world), params.pop("action"), params)
    [command] = trigger(realto, kind)
    step(world, clock, 15)
    assert command.status == "Failed"
    assert command.error is not None
    assert command.error["title"] == title


def test_already_there_is_success(world: World, clock: FakeClock):
    realto = platform_of(world)
    [stop] = trigger(realto, STOP)  # not charging: nothing to stop
    step(world, clock, 15)
    assert stop.status == "Succeeded"
    realto.apply(entity(world), "plug_in", {})  # starts charging by itself
    [start] = trigger(realto, START, ignore=True)
    step(world, clock, 15)
    assert start.status == "Succeeded"


def test_an_offline_vehicle_is_unreachable(world: World, clock: FakeClock):
    realto = platform_of(world)
    entity(world).online = False
    [command] = trigger(realto)
    step(world, clock, 15)
    assert command.status == "Failed"
    assert command.error == {
        "title": "VehicleUnreachable",
        "description": "The vehicle could not be reached by its manufacturer's cloud.",
    }
    assert [s for _, s in command.history] == ["Pending", "Triggered", "Failed"]
    assert command.dispatched


# ------------------------------------------------------------ injected failures
@pytest.mark.parametrize(
    ("stage", "statuses"),
    [
        ("create", ["Pending", "Failed"]),
        ("trigger", ["Pending", "Failed"]),
        ("send", ["Pending", "Triggered", "Failed"]),
        ("confirm", ["Pending", "Triggered", "Sent", "Failed"]),
    ],
)
def test_failure_stages(world: World, clock: FakeClock, stage: str, statuses: list[str]):
    realto = platform_of(world)
    realto.add_failure({"stage": stage, "title": "Boom", "description": "injected"})
    [command] = trigger(realto)
    step(world, clock, 60)
    assert [s for _, s in command.history] == statuses
    assert command.error == {"title": "Boom", "description": "injected"}
    assert not entity(world).vehicle.charging


def test_failures_match_entity_type_and_count(world: World, clock: FakeClock):
    realto = platform_of(world)
    realto.add_failure({"entity": "someone-else"})
    realto.add_failure({"type": STOP, "count": None})
    realto.add_failure({"type": START, "count": 1})
    [first] = trigger(realto, START)
    [second] = trigger(realto, START, ignore=True)
    [third] = trigger(realto, STOP, ignore=True)
    [fourth] = trigger(realto, STOP, ignore=True)
    step(world, clock, 60)
    assert [c.status for c in (first, second, third, fourth)] == ["Failed", "Succeeded", "Failed", "Failed"]
    assert [r.hits for r in realto.failures] == [0, 2, 1]


def test_add_failure_refuses_bad_specs(world: World):
    realto = platform_of(world)
    with pytest.raises(ValueError, match="stage must be one of"):
        realto.add_failure({"stage": "later"})
    with pytest.raises(ValueError, match="unknown failure fields: colour"):
        realto.add_failure({"colour": "red"})
    assert realto.failures == []


# ------------------------------------------------------------------ readings
def test_readings_sample_the_car_at_the_interval(world: World, clock: FakeClock):
    realto = platform_of(world)
    ev = entity(world)
    t0 = clock.now()
    trigger(realto)
    step(world, clock, 900)
    assert [r.measured - t0 for r in ev.readings] == [0, 300, 600, 900]
    socs = [r.data["stateOfCharge"]["value"] for r in ev.readings]
    assert socs[0] == 50.0
    assert socs == sorted(socs)
    assert socs[-1] > socs[1] > 50
    assert [r.data["isCharging"] for r in ev.readings] == [False, True, True, True]
    assert ev.readings[-1].data["range"]["value"] == pytest.approx(socs[-1] * 4.0, abs=0.1)


def test_offline_or_silent_entities_skip_samples(world: World, clock: FakeClock):
    ev = entity(world)
    t0 = clock.now()
    ev.reporting = False
    step(world, clock, 3000)
    assert len(ev.readings) == 0
    assert ev.next_reading_at == t0 + 3300  # the first sample time after now
    ev.reporting = True
    ev.online = False
    step(world, clock, 1000)
    assert len(ev.readings) == 0
    ev.online = True
    step(world, clock, 300)
    assert [r.measured for r in ev.readings] == [t0 + 4200]


def test_a_drive_moves_the_odometer(world: World, clock: FakeClock):
    realto = platform_of(world)
    realto.apply(entity(world), "drive", {"minutes": 30, "miles": 31.0685596})  # 50 km
    step(world, clock, 1800)
    last = entity(world).last_reading(clock.now())
    assert last is not None
    assert last.data["odometer"]["value"] == pytest.approx(12050.0, abs=0.1)
    assert last.data["isPluggedIn"] is False


def test_apply_needs_a_vehicle(clock: FakeClock):
    world = build_world(realto_spec({"id": "pv", "type": "PV"}), clock)
    with pytest.raises(ValueError, match="has no vehicle"):
        platform_of(world).apply(entity(world, "pv"), "plug_in", {})


# ------------------------------------------------------------------ cooldown
def test_cooldown_window_is_symmetric_and_cascades(world: World, clock: FakeClock):
    realto = platform_of(world)
    t = clock.now()
    assert realto.clear_of_cooldown(t, []) == t
    assert realto.clear_of_cooldown(t, [t - 600]) == t  # exactly ten minutes is fine
    assert realto.clear_of_cooldown(t, [t - 100]) == t + 500
    assert realto.clear_of_cooldown(t, [t + 300]) == t + 900  # a scheduled one ahead
    assert realto.clear_of_cooldown(t, [t - 100, t + 700]) == t + 1300
    realto.set_cooldown({"seconds": 0})
    assert realto.clear_of_cooldown(t, [t]) == t


def test_reject_creates_nothing(world: World, clock: FakeClock):
    realto = platform_of(world)
    trigger(realto)
    step(world, clock, 100)
    hit = trigger(realto, STOP)
    assert hit == CooldownHit(index=0, allowed_at=clock.now() + 500, remaining=500)
    assert len(realto.commands) == 1


def test_fail_and_defer_modes(world: World, clock: FakeClock):
    realto = platform_of(world)
    t0 = clock.now()
    trigger(realto)
    realto.set_cooldown({"mode": "fail"})
    [failed] = trigger(realto, STOP)
    assert failed.status == "Failed"
    assert failed.cooldown_failed
    assert failed.error["title"] == "CommandCooldownActive"
    assert failed.error["description"].endswith(f"Retry after {iso(t0 + 600)}")
    assert not failed.counts_for_cooldown
    realto.set_cooldown({"mode": "defer"})
    [deferred] = trigger(realto, STOP)
    assert (deferred.status, deferred.trigger_time) == ("Pending", t0 + 600)
    [later] = trigger(realto, START)  # deferred behind both
    assert later.trigger_time == t0 + 1200
    step(world, clock, 1300)
    assert (deferred.status, later.status) == ("Succeeded", "Succeeded")


def test_batch_items_count_against_each_other(world: World, clock: FakeClock):
    realto = platform_of(world)
    t = clock.now()
    hit = realto.create_commands(
        entity(world), [(t + 3600, START, None), (t + 3700, STOP, None)], ignore_cooldown=False
    )
    assert hit == CooldownHit(index=1, allowed_at=t + 4200, remaining=500)
    realto.set_cooldown({"mode": "defer"})
    created = realto.create_commands(
        entity(world), [(t + 3600, START, None), (t + 3700, STOP, None)], ignore_cooldown=False
    )
    assert [c.trigger_time for c in created] == [t + 3600, t + 4200]


def test_what_starts_a_cooldown(world: World, clock: FakeClock):
    realto = platform_of(world)
    t = clock.now()
    realto.add_failure({"stage": "create"})
    [refused] = trigger(realto)
    assert refused.status == "Failed"
    [canceled] = trigger(realto, at=t + 60)
    assert realto.cancel(canceled)
    assert not realto.cancel(canceled)
    assert realto._cooldown_times(ENTITY_ID) == []  # neither counts
    entity(world).online = False
    [unreachable] = trigger(realto)
    step(world, clock, 15)
    assert unreachable.status == "Failed"
    assert realto._cooldown_times(ENTITY_ID) == [t]  # it was dispatched: it counts


def test_set_cooldown_is_checked_and_all_or_nothing(world: World):
    realto = platform_of(world)
    for bad in (
        {"mode": "ignore"},
        {"status": 418},
        {"seconds": -1},
        {"speed": 2},
        {"mode": "fail", "status": 200},
    ):
        with pytest.raises((ValueError, KeyError)):
            realto.set_cooldown(bad)
    assert (realto.cooldown.mode, realto.cooldown.status, realto.cooldown.seconds) == ("reject", 409, 600.0)
    with pytest.raises(ValueError, match="schedule_response"):
        realto.set_schedule_response("pages")


# ------------------------------------------------------------------ timeline
def test_timeline_events_happen_at_their_time(clock: FakeClock):
    spec = realto_spec(
        realto_entity_spec(plugged_in=False),
        timeline=[
            {"at": 600, "entity": ENTITY_ID, "action": "plug_in", "charging": False},
            {"at": "2026-01-01T00:20:00Z", "entity": ENTITY_ID, "action": "battery_level", "level": 30},
        ],
    )
    world = build_world(spec, clock)
    ev = entity(world)
    step(world, clock, 900)
    assert [r.data["isPluggedIn"] for r in ev.readings] == [False, False, True, True]
    assert ev.vehicle is not None
    assert not ev.vehicle.charging
    step(world, clock, 300)
    assert ev.readings[-1].data["stateOfCharge"]["value"] == 30.0
    assert world.realto.timeline == []


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"at": 60, "entity": ENTITY_ID, "action": "fly"}, "unknown action"),
        ({"at": 60, "entity": "nobody", "action": "plug_in"}, "no entity"),
        ({"at": "teatime", "entity": ENTITY_ID, "action": "plug_in"}, "cannot read the time"),
    ],
)
def test_timeline_refuses_bad_events(clock: FakeClock, event: dict[str, Any], message: str):
    with pytest.raises(ValueError, match=message):
        build_world(realto_spec(timeline=[event]), clock)


# ------------------------------------------------------------------ builder
def test_builder_defaults_and_options(clock: FakeClock):
    realto = build_platform(
        {
            "seed": 7,
            "token_lifetime": 60,
            "max_page_size": 10,
            "schedule_response": "legacy",
            "cooldown": {"mode": "defer", "seconds": 300},
            "lifecycle": {"confirm_delay": 1},
            "reading_interval": 60,
            "failures": [{"title": "Nope"}],
            "clients": [{"id": "c", "secret": "s", "tokens": [{"access_token": "t", "expires_in": 5}]}],
            "entities": [
                {"charging": True, "plugged_in": True, "battery_level": 20, "location": {"latitude": 1}},
                {
                    "type": "ChargePole",
                    "battery_level": 100,
                    "charge_limit": 100,
                    "plugged_in": True,
                    "charging": True,
                },
                {"id": "meter", "type": "SmartMeter", "online": False},
            ],
        },
        clock,
    )
    first, pole, meter = realto.entities.values()
    assert first.vin is not None
    assert len(first.vin) == 17
    assert first.vehicle is not None
    assert first.vehicle.charging
    assert first.reading_interval == 60
    assert first.metrics()["location"] == {"latitude": 1}
    assert pole.vehicle is not None
    assert not pole.vehicle.charging  # full: it cannot start
    assert (meter.vehicle, meter.vin, meter.reporting, meter.online) == (None, None, False, False)
    assert realto.tokens["t"].expires_at == clock.now() + 5
    assert (realto.token_lifetime, realto.max_page_size, realto.schedule_response) == (60, 10, "legacy")
    assert (realto.cooldown.mode, realto.cooldown.seconds, realto.lifecycle.confirm_delay) == (
        "defer",
        300,
        1,
    )
    assert realto.failures[0].title == "Nope"
    assert build_platform({"seed": 7}, clock).new_id() == build_platform({"seed": 7}, clock).new_id()
    assert build_platform({"seed": 7}, clock).new_id() != build_platform({"seed": 8}, clock).new_id()


@pytest.mark.parametrize(
    ("entity_spec", "message"),
    [
        ({"omit": ["colour"]}, "cannot omit"),
        ({"permissions": {"c": "Boss"}}, "permission level"),
    ],
)
def test_builder_refuses_bad_entities(clock: FakeClock, entity_spec: dict[str, Any], message: str):
    with pytest.raises(ValueError, match=message):
        build_platform({"entities": [entity_spec]}, clock)


def test_empty_platform(clock: FakeClock):
    realto = build_platform({}, clock)
    assert realto.entities == {}
    assert realto.describe()["clients"] == []


def test_describe(world: World, clock: FakeClock):
    realto = platform_of(world)
    trigger(realto)
    step(world, clock, 1)
    state = realto.describe()
    assert state["commands"] == {"Pending": 1}
    assert state["tokens"] == 1
    assert state["entities"][ENTITY_ID]["vehicle"]["plugged_in"] is True
    assert state["entities"][ENTITY_ID]["last_reading"]["data"]["stateOfCharge"]["value"] == 50.0
    assert state["cooldown"] == {"mode": "reject", "status": 409, "seconds": 600.0}
    assert state["lifecycle"] == {"trigger_delay": 2.0, "send_delay": 3.0, "confirm_delay": 10.0}


def test_expire_tokens(world: World):
    realto = platform_of(world)
    realto.issue_token("x")
    assert realto.expire_tokens("test-realto-token") == 1
    assert realto.expire_tokens("test-realto-token") == 0
    assert realto.expire_tokens() == 1


def test_time_helpers():
    assert iso(1_767_225_600.0) == "2026-01-01T00:00:00Z"
    assert iso(1_767_225_600.25) == "2026-01-01T00:00:00.250Z"
    assert parse_time("2026-01-01T01:00:00+01:00") == 1_767_225_600.0
    assert parse_time("2026-01-01T00:00:00") == 1_767_225_600.0
    assert parse_time("noon") is None
    assert parse_time(" ") is None
    assert parse_time(None) is None


def test_a_second_entity_keeps_its_own_commands(clock: FakeClock):
    world = build_world(realto_spec(realto_entity_spec(), realto_entity_spec(id=ENTITY_ID2)), clock)
    realto = platform_of(world)
    trigger(realto)
    other = realto.create_commands(
        entity(world, ENTITY_ID2), [(clock.now(), START, None)], ignore_cooldown=False
    )
    assert isinstance(other, list)  # no cooldown across entities
