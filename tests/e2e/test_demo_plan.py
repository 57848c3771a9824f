"""The demo's made-up prices and its restart step (``demo_plan.py``), without any process."""

from __future__ import annotations

from datetime import UTC, date, datetime
import itertools
import json
from pathlib import Path

from .demo_plan import ZONE, day_prices, forget_written_plans, price_sensor, raw_day


def test_a_day_has_an_hour_for_every_hour_of_its_clock() -> None:
    ordinary, back, forward = date(2026, 12, 8), date(2026, 10, 25), date(2026, 3, 29)
    assert len(raw_day(ordinary)) == 24
    assert len(raw_day(back)) == 25  # 02:00 comes twice
    assert len(raw_day(forward)) == 23  # no 02:00
    twice = [hour for hour in raw_day(back) if hour["start"].startswith("2026-10-25T02:")]
    assert [hour["start"][-6:] for hour in twice] == ["+02:00", "+01:00"]
    for day in (back, forward):
        hours = raw_day(day)
        for before, after in itertools.pairwise(hours):
            assert datetime.fromisoformat(before["end"]) == datetime.fromisoformat(after["start"])


def test_prices_follow_the_season_and_stay_the_same_for_a_day() -> None:
    winter, summer = day_prices(date(2026, 12, 8)), day_prices(date(2026, 7, 7))
    assert winter == day_prices(date(2026, 12, 8))
    assert min(range(24), key=lambda h: winter[h]) in range(6)  # cheapest at night
    assert min(range(24), key=lambda h: summer[h]) in range(11, 16)  # cheapest at midday
    assert max(range(24), key=lambda h: winter[h]) in range(17, 20)


def test_the_sensor_holds_today_and_tomorrow_like_nord_pool() -> None:
    now = datetime(2026, 12, 8, 17, 30, tzinfo=UTC)  # 18:30 in Amsterdam
    body = price_sensor(now)
    attributes = body["attributes"]
    assert attributes["raw_today"][0]["start"] == "2026-12-08T00:00:00+01:00"
    assert attributes["raw_tomorrow"][0]["start"] == "2026-12-09T00:00:00+01:00"
    assert attributes["tomorrow_valid"] is True
    assert attributes["unit_of_measurement"] == "EUR/kWh"
    assert float(body["state"]) == attributes["today"][now.astimezone(ZONE).hour]


def test_a_later_run_drops_the_note_of_written_plans(tmp_path: Path) -> None:
    storage = tmp_path / ".storage"
    storage.mkdir()
    store = storage / "ev_charge_control.ready_by.entry1"
    window = {"start": "2026-12-09T00:15:00+00:00", "end": "2026-12-09T02:00:00+00:00"}
    store.write_text(
        json.dumps(
            {
                "version": 1,
                "data": {"VIN1": {"enabled": True, "written": [window]}, "VIN2": {"written": None}},
            }
        )
    )
    assert forget_written_plans(tmp_path) == ["VIN1"]
    data = json.loads(store.read_text())["data"]
    assert data == {"VIN1": {"enabled": True, "written": None}, "VIN2": {"written": None}}
    assert forget_written_plans(tmp_path) == []
