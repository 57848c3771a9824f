"""The home-energy accounting on made-up readings (no Home Assistant, no simulator).

Each test feeds ``step`` the samples a car's polls would give and checks the total, the
session records and that nothing is counted twice.  The integration tests run the same
code against the simulator.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from custom_components.ev_charge_control import home_energy
from custom_components.ev_charge_control.home_energy import (
    MAX_GAP,
    CounterKind,
    HomeEnergy,
    Sample,
    Session,
    Zone,
    at_home,
    distance_m,
    step,
)

T0 = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)
HOME = Zone(52.3731, 4.8926, 100)
SESSION, METER = CounterKind.SESSION, CounterKind.METER


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def sample(
    minutes: float,
    counter: float | None,
    *,
    charging: bool | None = False,
    plugged: bool | None = True,
    home: bool | None = True,
) -> Sample:
    return Sample(at(minutes), counter, charging, plugged, home)


def run(
    samples: Iterable[Sample], kind: CounterKind = SESSION, state: HomeEnergy | None = None
) -> tuple[HomeEnergy, list[Session]]:
    """Every sample in turn; the state after them and every session that ended."""
    current = state or HomeEnergy()
    ended: list[Session] = []
    for one in samples:
        current, done = step(current, one, kind)
        ended.extend(done)
    return current, ended


# ------------------------------------------------------------------ where is home
def test_a_position_is_home_within_the_zone_radius() -> None:
    # 0.001 degree of latitude is about 111 m.
    assert distance_m(52.0, 4.0, 52.001, 4.0) == pytest.approx(111.2, abs=0.5)
    assert at_home(52.3731, 4.8926, None, HOME) is True
    assert at_home(52.3731 + 0.0008, 4.8926, None, HOME) is True  # ~89 m
    assert at_home(52.3731 + 0.0012, 4.8926, None, HOME) is False  # ~133 m
    assert at_home(48.8566, 2.3522, None, HOME) is False


def test_the_position_decides_before_place_names() -> None:
    assert at_home(48.8566, 2.3522, ["Home"], HOME) is False
    assert at_home(None, None, ["Home"], HOME) is True


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        (["Home"], True),
        ([" HOME "], True),
        (["Thuis"], True),  # Home Assistant's own name for home
        (["Office"], False),
        (["Office", "home"], True),
        ([], None),  # matched nothing: the platform may hold no places at all
        (None, None),
    ],
)
def test_place_names_say_home_when_one_is_homes_name(labels: list[str] | None, expected: bool | None) -> None:
    assert at_home(None, None, labels, HOME, ("home", "Thuis")) is expected


def test_half_a_position_says_nothing() -> None:
    assert at_home(52.3731, None, None, HOME) is None


# ------------------------------------------------------------- Tesla's counter
def test_a_session_at_home_is_counted_once_and_reported_when_it_ends() -> None:
    state, ended = run(
        [
            sample(0, 0.0),  # plugged in, not charging yet
            sample(1, 0.0, charging=True),
            sample(10, 3.5, charging=True),
            sample(10, 3.5, charging=True),  # the same reading again (a sleeping car's)
            sample(19, 7.0, charging=True),
            sample(25, 9.25),  # stopped; the last kWh are still the session's
            sample(60, 9.25),
        ]
    )
    assert state.total_kwh == 9.25
    assert ended == [Session(at(1), at(25), 9.25, True)]
    assert state.last_session == ended[0]
    assert state.session is None


def test_a_session_elsewhere_is_not_counted() -> None:
    state, ended = run(
        [sample(0, 0.0, home=False), sample(1, 0.0, charging=True, home=False), sample(30, 12.0, home=False)]
    )
    assert state.total_kwh == 0
    assert ended == [Session(at(1), at(30), 12.0, False)]


def test_a_session_waits_for_a_position_and_then_counts_what_went_in_before() -> None:
    state, ended = run(
        [
            sample(0, 0.0, home=None),
            sample(1, 0.5, charging=True, home=None),
            sample(10, 4.0, charging=True, home=None),
        ]
    )
    assert state.total_kwh == 0  # nothing yet: where is it charging?
    state, ended = run([sample(19, 7.0, charging=True), sample(25, 8.0)], state=state)
    assert state.total_kwh == 8.0
    assert ended == [Session(at(1), at(25), 8.0, True)]


def test_a_session_without_any_position_is_recorded_and_not_counted() -> None:
    state, ended = run(
        [sample(0, 0.0, home=None), sample(1, 0.5, charging=True, home=None), sample(30, 6.0, home=None)]
    )
    assert state.total_kwh == 0
    assert ended == [Session(at(1), at(30), 6.0, None)]


def test_a_position_away_from_the_cable_does_not_place_a_session() -> None:
    # Unplugged and already somewhere else: that says nothing about where it charged.
    state, ended = run(
        [
            sample(0, 0.0, home=None),
            sample(1, 0.5, charging=True, home=None),
            sample(10, 3.0, plugged=False, home=False),
        ]
    )
    assert ended == [Session(at(1), at(10), 3.0, None)]
    assert state.total_kwh == 0


def test_the_first_place_decides_and_counted_energy_stays() -> None:
    state, ended = run(
        [
            sample(0, 0.0),
            sample(1, 1.0, charging=True),
            # A position just outside the zone (GPS drift) while still on the cable:
            # a different place, so a new session there, and the home kWh stay.
            sample(10, 4.0, charging=True, home=False),
            sample(20, 7.0, home=False),
        ]
    )
    assert state.total_kwh == 1.0
    assert [(s.home, s.energy_kwh) for s in ended] == [(True, 1.0), (False, 6.0)]


def test_a_counter_going_down_inside_a_session_changes_nothing() -> None:
    state, _ = run(
        [
            sample(0, 0.0),
            sample(1, 5.0, charging=True),
            sample(10, 4.9, charging=True),  # noise
            sample(19, 5.0, charging=True),
            sample(28, 6.0, charging=True),
        ]
    )
    assert state.total_kwh == 6.0
    assert state.counter_kwh == 6.0


def test_noise_after_a_session_is_not_a_new_session() -> None:
    state, ended = run([sample(0, 0.0), sample(1, 1.0, charging=True), sample(30, 20.0), sample(40, 19.95)])
    assert state.total_kwh == 20.0
    state, more = run([sample(50, 20.0), sample(600, 20.0)], state=state)
    assert state.total_kwh == 20.0
    assert len(ended) == 1
    assert more == []


def test_noise_as_a_charge_starts_is_not_a_new_session() -> None:
    # A count that goes on over charges on the same cable, read a hair lower once.
    state, _ = run([sample(0, 0.0), sample(1, 1.0, charging=True), sample(30, 20.0)])
    state, _ = run([sample(600, 19.99, charging=True), sample(640, 24.0)], state=state)
    assert state.total_kwh == 24.0


def test_a_new_cable_starts_the_counter_again() -> None:
    state, ended = run(
        [
            sample(0, 0.0),
            sample(1, 0.5, charging=True),
            sample(30, 10.0),  # done
            sample(40, 10.0, plugged=False),  # unplugged: Tesla keeps the count
            sample(60, 0.0),  # plugged in again: from 0
            sample(61, 0.2, charging=True),
            sample(90, 4.0),
        ]
    )
    assert state.total_kwh == 14.0
    assert [s.energy_kwh for s in ended] == [10.0, 4.0]


def test_a_charge_that_starts_below_the_mark_is_a_new_session() -> None:
    # Tesla may start the count again with each charge on the same cable.
    state, _ = run(
        [
            sample(0, 0.0),
            sample(1, 0.5, charging=True),
            sample(30, 10.0),
            sample(600, 0.3, charging=True),  # the next night
            sample(640, 6.0),
        ]
    )
    assert state.total_kwh == 16.0


def test_a_reading_without_the_counter_keeps_the_session_going() -> None:
    state, ended = run(
        [
            sample(0, 0.0),
            sample(1, 0.5, charging=True),
            sample(10, None, charging=True),
            sample(19, 6.0, charging=True),
            sample(25, 7.0),
        ]
    )
    assert state.total_kwh == 7.0
    assert ended == [Session(at(1), at(25), 7.0, True)]


def test_a_lower_count_once_unplugged_ends_the_session_where_it_was_seen() -> None:
    # Between two polls the car was unplugged, charged on another cable and unplugged.
    state, ended = run(
        [
            sample(0, 0.0),
            sample(1, 0.5, charging=True),
            sample(10, 3.0, charging=True),
            sample(19, 1.0, plugged=False, home=False),
        ]
    )
    assert state.total_kwh == 3.0
    assert ended == [Session(at(1), at(10), 3.0, True), Session(at(19), at(19), 1.0, None)]


def test_the_first_value_ever_seen_is_not_counted() -> None:
    # Installed (or its state lost) in the middle of a session: what the counter holds
    # already went in unseen, and might have been counted before.
    state, ended = run([sample(0, 12.0, charging=True), sample(9, 15.0, charging=True), sample(18, 16.0)])
    assert state.total_kwh == 4.0
    assert ended == [Session(at(0), at(18), 4.0, True)]


def test_a_restart_mid_session_goes_on_from_the_stored_state() -> None:
    state, _ = run([sample(0, 0.0), sample(1, 0.5, charging=True), sample(10, 3.0, charging=True)])
    restored = HomeEnergy.from_dict(state.as_dict())
    assert restored == state
    # The restored reading comes again after the restart: not counted twice.
    state, ended = run(
        [sample(10, 3.0, charging=True), sample(15, 5.0, charging=True), sample(24, 7.0)], state=restored
    )
    assert state.total_kwh == 7.0
    assert ended == [Session(at(1), at(24), 7.0, True)]


def test_a_long_gap_on_the_same_cable_is_the_same_session() -> None:
    # Home Assistant was down for the night while the car charged on.
    state, ended = run(
        [sample(0, 0.0), sample(1, 0.5, charging=True), sample(10, 3.0, charging=True), sample(400, 30.0)]
    )
    assert state.total_kwh == 30.0
    assert ended == [Session(at(1), at(400), 30.0, True)]


def test_a_session_started_and_ended_unseen_is_counted_only_from_its_cable() -> None:
    # Down for hours: the car was unplugged, plugged in again and charged 3 kWh.  The
    # counter restarted on this cable, so those kWh went in here.
    state, _ = run([sample(0, 0.0), sample(1, 0.5, charging=True), sample(30, 10.0)])
    state, unseen = run([sample(300, 3.0)], state=state)
    assert state.total_kwh == 13.0
    assert unseen == [Session(at(300), at(300), 3.0, True)]


def test_an_unseen_session_that_cannot_be_told_apart_is_under_counted() -> None:
    # The same, but 8 kWh: as much as the counter could still hold from before.
    state, _ = run([sample(0, 0.0), sample(1, 0.5, charging=True), sample(30, 10.0)])
    state, unseen = run([sample(300, 8.0)], state=state)
    assert state.total_kwh == 10.0
    assert unseen == []
    # Seen unplugged with the lower count: another cable was used since.  Those 8 kWh
    # are recorded, with no place (the car may have moved since), and not counted.
    state, unseen = run([sample(310, 8.0, plugged=False, home=False)], state=state)
    assert state.total_kwh == 10.0
    assert unseen == [Session(at(310), at(310), 8.0, None)]
    # The next cable counts in full.
    state, ended = run([sample(400, 0.0), sample(401, 0.4, charging=True), sample(430, 5.0)], state=state)
    assert state.total_kwh == 15.0
    assert ended == [Session(at(401), at(430), 5.0, True)]


def test_energy_seen_only_after_unplugging_is_not_placed() -> None:
    state, _ = run([sample(0, 0.0), sample(1, 0.5, charging=True), sample(30, 10.0)])
    # Hours later, unplugged somewhere: a 6 kWh session went in on another cable.
    state, unseen = run([sample(500, 6.0, plugged=False, home=True)], state=state)
    assert state.total_kwh == 10.0
    assert unseen == [Session(at(500), at(500), 6.0, None)]


def test_a_session_out_of_sight_on_another_cable_ends_where_it_was_seen() -> None:
    state, _ = run([sample(0, 0.0), sample(1, 0.5, charging=True), sample(10, 3.0, charging=True)])
    # Hours later it charges elsewhere, the counter past the old one (a fast charger).
    state, ended = run(
        [sample(300, 40.0, charging=True, home=False), sample(320, 50.0, home=False)], state=state
    )
    assert state.total_kwh == 3.0
    assert [(s.start, s.end, s.home) for s in ended] == [(at(1), at(10), True), (at(300), at(320), False)]


# -------------------------------------------------------------- re.alto's meter
def test_a_meter_counts_what_went_in_at_home() -> None:
    state, ended = run(
        [
            sample(0, 1500.0),
            sample(10, 1500.0, charging=True),
            sample(20, 1502.5, charging=True),
            sample(30, 1504.0, plugged=False),
        ],
        METER,
    )
    assert state.total_kwh == 4.0
    assert ended == [Session(at(10), at(30), 4.0, True)]


def test_a_meter_never_goes_back() -> None:
    state, _ = run(
        [
            sample(0, 1500.0),
            sample(10, 1501.0, charging=True),
            sample(20, 0.0, charging=True),  # a reading without its real value
            sample(30, 1503.0),
        ],
        METER,
    )
    assert state.total_kwh == 3.0


def test_a_meter_over_a_long_gap_is_not_placed() -> None:
    # Several sessions may hide in it, some elsewhere.
    state, ended = run([sample(0, 1500.0), sample(10, 1500.0), sample(10 + 3 * 60, 1530.0)], METER)
    assert state.total_kwh == 0
    assert ended == [Session(at(190), at(190), 30.0, None)]
    assert timedelta(minutes=180) > MAX_GAP


def test_a_switch_of_counter_starts_from_the_new_one() -> None:
    state, _ = run([sample(0, 3.0), sample(10, 4.0)], SESSION)
    state, _ = run([sample(20, 1500.0), sample(30, 1501.0)], METER, state=state)
    assert state.total_kwh == 2.0


# ------------------------------------------------------------------- storage
def test_stored_state_round_trips_with_a_session_and_a_record() -> None:
    state, _ = run(
        [sample(0, 0.0), sample(1, 1.0, charging=True), sample(20, 2.0), sample(30, 2.5, charging=True)]
    )
    assert state.session is not None
    assert state.last_session is not None
    assert HomeEnergy.from_dict(state.as_dict()) == state


@pytest.mark.parametrize(
    "stored",
    [
        None,
        [],
        {"total_kwh": "12"},
        {"total_kwh": float("nan")},
        {"total_kwh": 1.0, "kind": "odometer"},
        {"total_kwh": 1.0, "plugged_in": "yes"},
    ],
)
def test_stored_state_that_is_not_ours_is_refused(stored: object) -> None:
    assert HomeEnergy.from_dict(stored) is None


def test_a_damaged_session_or_time_is_dropped_not_the_total() -> None:
    restored = HomeEnergy.from_dict(
        {
            "total_kwh": 5.0,
            "kind": "session",
            "seen_at": "yesterday",
            "session": {"start": "2026-03-02T18:00:00"},
        }
    )
    assert restored == HomeEnergy(total_kwh=5.0, kind=SESSION)


def test_the_accounting_imports_nothing_from_home_assistant() -> None:
    tree = ast.parse(Path(home_energy.__file__).read_text())
    imported = [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)] + [
        alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
    ]
    assert not [name for name in imported if name.startswith("homeassistant")]
