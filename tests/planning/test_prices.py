"""Price forecasts read from the attributes of other integrations' entities.

The samples are shaped like the attributes the integrations really write (see the
module docstring of ``prices.py`` for where each shape was checked), cut to a few
hours; whole days are built only where the clocks change.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from custom_components.ev_charge_control.prices import (
    PriceForecast,
    PriceSlot,
    covered_until,
    parse_price_forecast,
    price_at,
)

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
LONDON = ZoneInfo("Europe/London")
COPENHAGEN = ZoneInfo("Europe/Copenhagen")
HOUR = timedelta(hours=1)
QUARTER = timedelta(minutes=15)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local(zone: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=zone)


def spans(forecast: PriceForecast) -> list[tuple[datetime, datetime, float]]:
    return [(slot.start, slot.end, slot.price) for slot in forecast.slots]


def assert_contiguous(forecast: PriceForecast) -> None:
    for before, after in zip(forecast.slots, forecast.slots[1:], strict=False):
        assert before.end == after.start


# --- Nord Pool (HACS custom-components/nordpool) -------------------------------------


def test_nord_pool_raw_lists_of_today_and_tomorrow() -> None:
    # As the sensor's attributes show them: local ISO times with offsets, bare number
    # lists beside them (not read), the unit apart from the currency.
    attributes = {
        "unit": "kWh",
        "currency": "EUR",
        "region": "NL",
        "price_in_cents": False,
        "today": [0.251, 0.247, 0.234],
        "tomorrow": [0.143, 0.117],
        "tomorrow_valid": True,
        "raw_today": [
            {"start": "2026-12-04T22:00:00+01:00", "end": "2026-12-04T23:00:00+01:00", "value": 0.251},
            {"start": "2026-12-04T23:00:00+01:00", "end": "2026-12-05T00:00:00+01:00", "value": 0.247},
        ],
        "raw_tomorrow": [
            {"start": "2026-12-05T00:00:00+01:00", "end": "2026-12-05T01:00:00+01:00", "value": 0.143},
            {"start": "2026-12-05T01:00:00+01:00", "end": "2026-12-05T02:00:00+01:00", "value": 0.117},
        ],
        "current_price": 0.251,
    }
    forecast = parse_price_forecast(attributes, zone=AMSTERDAM, unit="EUR/kWh")
    assert forecast.source == "nordpool"
    assert forecast.unit == "EUR/kWh"
    assert spans(forecast) == [
        (utc(2026, 12, 4, 21), utc(2026, 12, 4, 22), 0.251),
        (utc(2026, 12, 4, 22), utc(2026, 12, 4, 23), 0.247),
        (utc(2026, 12, 4, 23), utc(2026, 12, 5, 0), 0.143),
        (utc(2026, 12, 5, 0), utc(2026, 12, 5, 1), 0.117),
    ]
    assert covered_until(forecast) == utc(2026, 12, 5, 1)
    # Without the entity's unit, the sensor's own unit and currency make one.
    assert parse_price_forecast(attributes, zone=AMSTERDAM).unit == "EUR/kWh"


def test_nord_pool_datetime_objects_as_the_sensor_holds_them() -> None:
    # In Home Assistant's state machine the raw lists hold aware local datetimes.
    attributes = {
        "raw_today": [
            {
                "start": local(AMSTERDAM, 2026, 12, 4, 23),
                "end": local(AMSTERDAM, 2026, 12, 5, 0),
                "value": 0.30,
            }
        ],
        "raw_tomorrow": [],
        "tomorrow_valid": False,
    }
    forecast = parse_price_forecast(attributes, zone=AMSTERDAM, unit="EUR/kWh")
    assert spans(forecast) == [(utc(2026, 12, 4, 22), utc(2026, 12, 4, 23), 0.30)]
    assert forecast.slots[0].start.tzinfo is UTC


def test_nord_pool_quarter_hours_with_a_missing_price() -> None:
    # Since October 2025 Nord Pool publishes 15-minute prices; a null value is a gap.
    attributes = {
        "raw_today": [
            {"start": "2026-12-04T18:00:00+01:00", "end": "2026-12-04T18:15:00+01:00", "value": 0.342},
            {"start": "2026-12-04T18:15:00+01:00", "end": "2026-12-04T18:30:00+01:00", "value": 0.214},
            {"start": "2026-12-04T18:30:00+01:00", "end": "2026-12-04T18:45:00+01:00", "value": None},
            {"start": "2026-12-04T18:45:00+01:00", "end": "2026-12-04T19:00:00+01:00", "value": -0.042},
        ],
        "raw_tomorrow": [],
        "tomorrow_valid": False,
    }
    forecast = parse_price_forecast(attributes, zone=AMSTERDAM, unit="c/kWh")
    assert spans(forecast) == [
        (utc(2026, 12, 4, 17, 0), utc(2026, 12, 4, 17, 15), 0.342),
        (utc(2026, 12, 4, 17, 15), utc(2026, 12, 4, 17, 30), 0.214),
        (utc(2026, 12, 4, 17, 45), utc(2026, 12, 4, 18, 0), -0.042),
    ]
    assert price_at(forecast, utc(2026, 12, 4, 17, 35)) is None  # unknown, not zero
    assert forecast.unit == "c/kWh"


def test_nord_pool_tomorrow_not_valid_is_not_read() -> None:
    # Before publication Nord Pool has shown a stale copy under raw_tomorrow; the flag
    # is what tells.
    stale = [{"start": "2026-12-05T00:00:00+01:00", "end": "2026-12-05T01:00:00+01:00", "value": 9.99}]
    today = [{"start": "2026-12-04T23:00:00+01:00", "end": "2026-12-05T00:00:00+01:00", "value": 0.2}]
    not_valid = {"raw_today": today, "raw_tomorrow": stale, "tomorrow_valid": False}
    forecast = parse_price_forecast(not_valid, zone=AMSTERDAM)
    assert covered_until(forecast) == utc(2026, 12, 4, 23)
    # A missing flag is not "false".
    assert covered_until(
        parse_price_forecast({"raw_today": today, "raw_tomorrow": stale}, zone=AMSTERDAM)
    ) == (utc(2026, 12, 5, 0))


def test_nothing_published_is_an_empty_forecast() -> None:
    attributes = {"raw_today": [], "raw_tomorrow": [], "tomorrow_valid": False, "unit": "kWh"}
    forecast = parse_price_forecast(attributes, zone=AMSTERDAM)
    assert forecast == PriceForecast((), None, None)
    assert covered_until(forecast) is None
    assert price_at(forecast, utc(2026, 12, 4, 12)) is None


# --- Tibber ---------------------------------------------------------------------------


def test_tibber_price_info_today_and_tomorrow() -> None:
    # The Tibber API's priceInfo items, as "Tibber Future Prices" and templates expose
    # them (milliseconds in the times, as the API writes them).
    attributes = {
        "today": [
            {
                "total": 2.563,
                "energy": 2.0424,
                "tax": 0.5206,
                "startsAt": "2026-12-04T23:00:00.000+01:00",
                "level": "NORMAL",
            }
        ],
        "tomorrow": [
            {
                "total": 2.102,
                "energy": 1.6616,
                "tax": 0.4404,
                "startsAt": "2026-12-05T00:00:00.000+01:00",
                "level": "CHEAP",
            },
            {
                "total": 1.987,
                "energy": 1.5696,
                "tax": 0.4174,
                "startsAt": "2026-12-05T01:00:00.000+01:00",
                "level": "CHEAP",
            },
        ],
    }
    forecast = parse_price_forecast(attributes, zone=COPENHAGEN, unit="SEK/kWh")
    assert forecast.source == "tibber"
    assert spans(forecast) == [
        (utc(2026, 12, 4, 22), utc(2026, 12, 4, 23), 2.563),
        (utc(2026, 12, 4, 23), utc(2026, 12, 5, 0), 2.102),
        (utc(2026, 12, 5, 0), utc(2026, 12, 5, 1), 1.987),  # the last lasts as the one before
    ]


def test_tibber_quarter_hours_in_prices() -> None:
    attributes = {
        "prices": [
            {"startsAt": "2026-12-04T18:00:00.000+01:00", "total": 0.31},
            {"startsAt": "2026-12-04T18:15:00.000+01:00", "total": 0.29},
            {"startsAt": "2026-12-04T18:30:00.000+01:00", "total": 0.27},
        ]
    }
    forecast = parse_price_forecast(attributes, zone=AMSTERDAM)
    assert forecast.source == "tibber"
    assert [slot.end - slot.start for slot in forecast.slots] == [QUARTER] * 3
    assert covered_until(forecast) == utc(2026, 12, 4, 17, 45)


def test_tibber_chart_data_export() -> None:
    # "Tibber Prices" (chart data export) and "Tibber Extended": a `data` list of
    # {start_time, price_per_kwh}; Tibber Extended's today/tomorrow are mappings.
    attributes = {
        "currency": "EUR",
        "resolution": "QUARTER_HOURLY",
        "today": {"prices": [{"startsAt": "2026-12-04T18:00:00.000+01:00", "total": 9.0}], "total": {}},
        "data": [
            {"start_time": "2026-12-04T18:00:00+01:00", "price_per_kwh": 25.34},
            {"start_time": "2026-12-04T18:15:00+01:00", "price_per_kwh": 24.98},
        ],
    }
    forecast = parse_price_forecast(attributes, zone=AMSTERDAM, unit="ct/kWh")
    assert forecast.source == "generic"
    assert spans(forecast) == [
        (utc(2026, 12, 4, 17, 0), utc(2026, 12, 4, 17, 15), 25.34),
        (utc(2026, 12, 4, 17, 15), utc(2026, 12, 4, 17, 30), 24.98),
    ]


# --- ENTSO-E (HACS JaccoR/hass-entso-e) -----------------------------------------------


def test_entsoe_prices_today_tomorrow_and_all() -> None:
    # `time` is str() of a pandas Timestamp: a space between date and time.  `prices`
    # repeats today's and tomorrow's (and may hold yesterday's).
    today = [
        {"time": "2026-12-04 22:00:00+01:00", "price": 0.1012},
        {"time": "2026-12-04 23:00:00+01:00", "price": 0.0954},
    ]
    tomorrow = [{"time": "2026-12-05 00:00:00+01:00", "price": 0.0899}]
    yesterday = [{"time": "2026-12-03 23:00:00+01:00", "price": 0.1234}]
    attributes = {"prices_today": today, "prices_tomorrow": tomorrow, "prices": yesterday + today + tomorrow}
    forecast = parse_price_forecast(attributes, zone=AMSTERDAM, unit="EUR/kWh")
    assert forecast.source == "entsoe"
    assert spans(forecast) == [
        (utc(2026, 12, 3, 22), utc(2026, 12, 3, 23), 0.1234),  # a day before the next: an hour
        (utc(2026, 12, 4, 21), utc(2026, 12, 4, 22), 0.1012),
        (utc(2026, 12, 4, 22), utc(2026, 12, 4, 23), 0.0954),
        (utc(2026, 12, 4, 23), utc(2026, 12, 5, 0), 0.0899),
    ]


def test_entsoe_before_tomorrow_is_published() -> None:
    attributes = {
        "prices_today": [{"time": "2026-12-04 23:00:00+01:00", "price": 0.0954}],
        "prices_tomorrow": [],
        "prices": [{"time": "2026-12-04 23:00:00+01:00", "price": 0.0954}],
    }
    forecast = parse_price_forecast(attributes, zone=AMSTERDAM)
    assert len(forecast.slots) == 1
    assert covered_until(forecast) == utc(2026, 12, 4, 23)


# --- Octopus Energy (HACS BottlecapDave/HomeAssistant-OctopusEnergy) ------------------


def test_octopus_rates_event_entity_in_pounds() -> None:
    # event.octopus_energy_electricity_<serial>_<mpan>_current_day_rates: half-hours in
    # local time, in GBP/kWh, and no unit_of_measurement on an event entity.
    attributes = {
        "event_types": ["octopus_energy_electricity_current_day_rates"],
        "event_type": "octopus_energy_electricity_current_day_rates",
        "rates": [
            {
                "start": local(LONDON, 2026, 7, 1, 0, 0),
                "end": local(LONDON, 2026, 7, 1, 0, 30),
                "value_inc_vat": 0.1849,
                "is_capped": False,
            },
            {
                "start": local(LONDON, 2026, 7, 1, 0, 30),
                "end": local(LONDON, 2026, 7, 1, 1, 0),
                "value_inc_vat": 0.17325,
                "is_capped": False,
            },
        ],
        "tariff_code": "E-1R-AGILE-24-10-01-C",
        "mpan": "1000000000000",
        "serial_number": "00A0000000",
    }
    forecast = parse_price_forecast(attributes, zone=LONDON)
    assert forecast.source == "octopus"
    assert forecast.unit == "GBP/kWh"
    assert spans(forecast) == [
        (utc(2026, 6, 30, 23, 0), utc(2026, 6, 30, 23, 30), 0.1849),
        (utc(2026, 6, 30, 23, 30), utc(2026, 7, 1, 0, 0), 0.17325),
    ]
    # A unit the entity gives wins over the assumption.
    assert parse_price_forecast(attributes, zone=LONDON, unit="p/kWh").unit == "p/kWh"


# --- Energi Data Service (HACS MTrab/energidataservice) -------------------------------


def test_energi_data_service_raw_today_and_carnot_forecast() -> None:
    # raw_tomorrow is None until published; the Carnot forecast covers tomorrow on.
    attributes = {
        "current_price": 2.132,
        "unit": "kWh",
        "currency": "DKK",
        "region": "East of the great belt",
        "tomorrow_valid": False,
        "today": [2.132, 1.972],
        "tomorrow": None,
        "raw_today": [
            {"hour": local(COPENHAGEN, 2026, 12, 4, 22), "price": 2.132},
            {"hour": local(COPENHAGEN, 2026, 12, 4, 23), "price": 1.972},
        ],
        "raw_tomorrow": None,
        "forecast": [
            {"hour": local(COPENHAGEN, 2026, 12, 5, 0), "price": 1.5},
            {"hour": local(COPENHAGEN, 2026, 12, 5, 1), "price": 1.4},
        ],
        "use_cent": False,
    }
    forecast = parse_price_forecast(attributes, zone=COPENHAGEN)
    assert forecast.source == "energidataservice"
    assert forecast.unit == "DKK/kWh"
    assert [slot.price for slot in forecast.slots] == [2.132, 1.972, 1.5, 1.4]
    assert covered_until(forecast) == utc(2026, 12, 5, 1)


def test_a_published_price_beats_the_forecast_for_the_same_hour() -> None:
    attributes = {
        "tomorrow_valid": True,
        "raw_today": [{"hour": "2026-12-04T23:00:00+01:00", "price": 1.9}],
        "raw_tomorrow": [{"hour": "2026-12-05T00:00:00+01:00", "price": 1.2}],
        "forecast": [
            {"hour": "2026-12-05T00:00:00+01:00", "price": 1.5},
            {"hour": "2026-12-05T01:00:00+01:00", "price": 1.4},
        ],
    }
    forecast = parse_price_forecast(attributes, zone=COPENHAGEN, unit="DKK/kWh")
    assert [slot.price for slot in forecast.slots] == [1.9, 1.2, 1.4]


def test_only_a_forecast_is_still_energi_data_service() -> None:
    attributes = {"raw_today": None, "forecast": [{"hour": "2026-12-05T00:00:00+01:00", "price": 1.5}]}
    assert parse_price_forecast(attributes, zone=COPENHAGEN).source == "energidataservice"


# --- Generic (template sensors and others) --------------------------------------------


@pytest.mark.parametrize(
    ("attributes", "source"),
    [
        # A template over Home Assistant's nordpool.get_prices_for_date (divided to kWh).
        (
            {
                "data": [
                    {"start": "2026-12-04T22:00:00+00:00", "end": "2026-12-04T23:00:00+00:00", "price": 0.1},
                    {"start": "2026-12-04T23:00:00+00:00", "end": "2026-12-05T00:00:00+00:00", "price": 0.2},
                ]
            },
            "generic",
        ),
        # A template over Home Assistant's tibber.get_prices.
        (
            {
                "prices": [
                    {"start_time": "2026-12-04T23:00:00+01:00", "price": 0.1, "level": "CHEAP"},
                    {"start_time": "2026-12-05T00:00:00+01:00", "price": 0.2, "level": "NORMAL"},
                ]
            },
            "generic",
        ),
        (
            {
                "forecast": [
                    {"from": "2026-12-04T22:00:00Z", "till": "2026-12-04T23:00:00Z", "value": 0.1},
                    {"from": "2026-12-04T23:00:00Z", "till": "2026-12-05T00:00:00Z", "value": 0.2},
                ]
            },
            "generic",
        ),
        (
            {
                "rates": [
                    {"start_time": "2026-12-04T22:00:00Z", "end_time": "2026-12-04T23:00:00Z", "total": 0.1},
                    {"start_time": "2026-12-04T23:00:00Z", "end_time": "2026-12-05T00:00:00Z", "total": 0.2},
                ]
            },
            "generic",
        ),
        # Octopus's own API shape.
        (
            {
                "rates": [
                    {
                        "valid_from": "2026-12-04T22:00:00Z",
                        "valid_to": "2026-12-04T23:00:00Z",
                        "value_inc_vat": 0.1,
                    },
                    {
                        "valid_from": "2026-12-04T23:00:00Z",
                        "valid_to": "2026-12-05T00:00:00Z",
                        "value_inc_vat": 0.2,
                    },
                ]
            },
            "octopus",
        ),
        (
            {
                "prices": [
                    {"startsAt": "2026-12-04T22:00:00Z", "endsAt": "2026-12-04T23:00:00Z", "total": 0.1},
                    {"startsAt": "2026-12-04T23:00:00Z", "endsAt": "2026-12-05T00:00:00Z", "total": 0.2},
                ]
            },
            "tibber",
        ),
        (
            {
                "prices": [
                    {"time": "2026-12-04T22:00:00Z", "price": 0.1},
                    {"time": "2026-12-04T23:00:00Z", "price": 0.2},
                ]
            },
            "entsoe",
        ),
    ],
)
def test_generic_keys(attributes: dict[str, Any], source: str) -> None:
    forecast = parse_price_forecast(attributes, zone=AMSTERDAM, unit="EUR/kWh")
    assert forecast.source == source
    assert spans(forecast) == [
        (utc(2026, 12, 4, 22), utc(2026, 12, 4, 23), 0.1),
        (utc(2026, 12, 4, 23), utc(2026, 12, 5, 0), 0.2),
    ]


# --- Where a slot ends ----------------------------------------------------------------


def test_an_end_is_the_given_one_else_the_next_start_else_the_length_before() -> None:
    attributes = {
        "forecast": [
            {"start": "2026-12-04T10:00:00+00:00", "value": 1.0},  # next follows: ends there
            {"start": "2026-12-04T10:15:00+00:00", "value": 2.0},  # a gap after: 15 minutes
            {"start": "2026-12-04T12:00:00+00:00", "end": "2026-12-04T12:30:00+00:00", "value": 3.0},
            {"start": "2026-12-04T14:00:00+00:00", "value": 4.0},  # the last: 30 minutes
        ]
    }
    assert spans(parse_price_forecast(attributes, zone=AMSTERDAM)) == [
        (utc(2026, 12, 4, 10, 0), utc(2026, 12, 4, 10, 15), 1.0),
        (utc(2026, 12, 4, 10, 15), utc(2026, 12, 4, 10, 30), 2.0),
        (utc(2026, 12, 4, 12, 0), utc(2026, 12, 4, 12, 30), 3.0),
        (utc(2026, 12, 4, 14, 0), utc(2026, 12, 4, 14, 30), 4.0),
    ]


def test_a_lone_slot_is_an_hour_and_one_an_hour_away_ends_at_the_next() -> None:
    one = {"prices": [{"start": "2026-12-04T10:00:00+00:00", "price": 1.0}]}
    assert spans(parse_price_forecast(one, zone=AMSTERDAM)) == [
        (utc(2026, 12, 4, 10), utc(2026, 12, 4, 11), 1.0)
    ]
    # 1 h 5 min to the next still ends there; 1 h 10 min is a gap: as long as the one before.
    apart = {
        "prices": [
            {"start": "2026-12-04T10:00:00+00:00", "price": 1.0},
            {"start": "2026-12-04T11:05:00+00:00", "price": 2.0},
            {"start": "2026-12-04T12:15:00+00:00", "price": 3.0},
        ]
    }
    assert spans(parse_price_forecast(apart, zone=AMSTERDAM)) == [
        (utc(2026, 12, 4, 10, 0), utc(2026, 12, 4, 11, 5), 1.0),
        (utc(2026, 12, 4, 11, 5), utc(2026, 12, 4, 12, 10), 2.0),
        (utc(2026, 12, 4, 12, 15), utc(2026, 12, 4, 13, 20), 3.0),
    ]


def test_ends_before_the_start_are_ignored_and_overlaps_cut() -> None:
    attributes = {
        "raw_today": [
            # An end before its start: the next start is used.
            {"start": "2026-12-04T10:00:00+00:00", "end": "2026-12-04T09:00:00+00:00", "value": 1.0},
            # Reaching into the next slot: cut there, the next keeps its own price.
            {"start": "2026-12-04T11:00:00+00:00", "end": "2026-12-04T13:00:00+00:00", "value": 2.0},
            {"start": "2026-12-04T12:00:00+00:00", "end": "garbage", "value": 3.0},
        ]
    }
    assert spans(parse_price_forecast(attributes, zone=AMSTERDAM)) == [
        (utc(2026, 12, 4, 10), utc(2026, 12, 4, 11), 1.0),
        (utc(2026, 12, 4, 11), utc(2026, 12, 4, 12), 2.0),
        (utc(2026, 12, 4, 12), utc(2026, 12, 4, 13), 3.0),
    ]


def test_unsorted_input_and_duplicates() -> None:
    attributes = {
        "raw_today": [
            {"start": "2026-12-04T12:00:00+01:00", "end": "2026-12-04T13:00:00+01:00", "value": 3.0},
            {"start": "2026-12-04T10:00:00+01:00", "end": "2026-12-04T11:00:00+01:00", "value": 1.0},
            {"start": "2026-12-04T11:00:00+01:00", "end": "2026-12-04T12:00:00+01:00", "value": 2.0},
            # A later entry for a start already read is dropped.
            {"start": "2026-12-04T10:00:00+01:00", "end": "2026-12-04T11:00:00+01:00", "value": 9.0},
        ],
        # The same hour again in another list (and in another offset): also dropped.
        "prices": [{"start": "2026-12-04T09:00:00+00:00", "price": 8.0}],
    }
    forecast = parse_price_forecast(attributes, zone=AMSTERDAM)
    assert spans(forecast) == [
        (utc(2026, 12, 4, 9), utc(2026, 12, 4, 10), 1.0),
        (utc(2026, 12, 4, 10), utc(2026, 12, 4, 11), 2.0),
        (utc(2026, 12, 4, 11), utc(2026, 12, 4, 12), 3.0),
    ]
    assert forecast.source == "nordpool"


# --- Clock changes ----------------------------------------------------------------------


def day_entries(
    zone: ZoneInfo, first: datetime, last: datetime, step: timedelta, how: str
) -> list[dict[str, Any]]:
    """One entry per step of the real (UTC) day, its times written the ``how`` way; the
    price is the step's index."""
    entries = []
    moment, index = first, 0
    while moment < last:
        start, end = moment.astimezone(zone), (moment + step).astimezone(zone)
        entry: dict[str, Any]
        if how == "offset":
            entry = {"start": start.isoformat(), "end": end.isoformat()}
        elif how == "datetime":
            entry = {"start": start, "end": end}
        else:  # naive wall-clock times, the repeated hour twice in order
            entry = {
                "start": start.replace(tzinfo=None).isoformat(),
                "end": end.replace(tzinfo=None).isoformat(),
            }
        entries.append({**entry, "value": float(index)})
        moment, index = moment + step, index + 1
    return entries


CLOCK_CHANGES = [
    # zone, the local day's first and last moment in UTC, its length
    pytest.param(AMSTERDAM, utc(2026, 3, 28, 23), utc(2026, 3, 29, 22), 23, id="amsterdam-spring"),
    pytest.param(AMSTERDAM, utc(2026, 10, 24, 22), utc(2026, 10, 25, 23), 25, id="amsterdam-autumn"),
    pytest.param(LONDON, utc(2026, 3, 29, 0), utc(2026, 3, 29, 23), 23, id="london-spring"),
    pytest.param(LONDON, utc(2026, 10, 24, 23), utc(2026, 10, 26, 0), 25, id="london-autumn"),
]


@pytest.mark.parametrize(("zone", "first", "last", "hours"), CLOCK_CHANGES)
@pytest.mark.parametrize("how", ["offset", "datetime", "naive"])
@pytest.mark.parametrize("step", [HOUR, QUARTER], ids=["hourly", "quarter-hourly"])
def test_days_with_a_clock_change(
    zone: ZoneInfo, first: datetime, last: datetime, hours: int, how: str, step: timedelta
) -> None:
    entries = day_entries(zone, first, last, step, how)
    forecast = parse_price_forecast({"raw_today": entries}, zone=zone)
    assert len(forecast.slots) == hours * (HOUR // step)
    assert forecast.slots[0].start == first
    assert covered_until(forecast) == last
    assert_contiguous(forecast)
    assert all(slot.end - slot.start == step for slot in forecast.slots)
    assert [slot.price for slot in forecast.slots] == [float(i) for i in range(len(entries))]


@pytest.mark.parametrize(("zone", "first", "last", "hours"), CLOCK_CHANGES)
def test_naive_starts_without_ends_on_clock_change_days(
    zone: ZoneInfo, first: datetime, last: datetime, hours: int
) -> None:
    # Energi Data Service style {hour, price}, written without an offset.
    entries = [
        {"hour": entry["start"], "price": entry["value"]}
        for entry in day_entries(zone, first, last, HOUR, "naive")
    ]
    forecast = parse_price_forecast({"raw_today": entries}, zone=zone)
    assert len(forecast.slots) == hours
    assert_contiguous(forecast)
    assert covered_until(forecast) == last


def test_the_repeated_hour_in_list_order() -> None:
    attributes = {
        "prices": [
            {"start": "2026-10-25T01:00:00", "price": 1.0},
            {"start": "2026-10-25T02:00:00", "price": 2.0},  # CEST
            {"start": "2026-10-25T02:00:00", "price": 3.0},  # CET, an hour later
            {"start": "2026-10-25T03:00:00", "price": 4.0},
        ]
    }
    forecast = parse_price_forecast(attributes, zone=AMSTERDAM)
    assert spans(forecast) == [
        (utc(2026, 10, 24, 23), utc(2026, 10, 25, 0), 1.0),
        (utc(2026, 10, 25, 0), utc(2026, 10, 25, 1), 2.0),
        (utc(2026, 10, 25, 1), utc(2026, 10, 25, 2), 3.0),
        (utc(2026, 10, 25, 2), utc(2026, 10, 25, 3), 4.0),
    ]
    assert price_at(forecast, utc(2026, 10, 25, 0, 30)) == 2.0
    assert price_at(forecast, utc(2026, 10, 25, 1, 30)) == 3.0


def test_a_naive_time_the_clocks_skip_is_left_out() -> None:
    # A source that writes 24 wall-clock hours on the 23-hour day: 02:00 does not exist
    # in Amsterdam on 29 March (01:00 in London), so its price has no time.
    for zone, skipped in ((AMSTERDAM, 2), (LONDON, 1)):
        entries = [{"time": f"2026-03-29T{hour:02d}:00:00", "price": float(hour)} for hour in range(24)]
        forecast = parse_price_forecast({"prices": entries}, zone=zone)
        assert len(forecast.slots) == 23
        assert float(skipped) not in [slot.price for slot in forecast.slots]
        assert_contiguous(forecast)


def test_a_naive_end_in_the_repeated_hour_is_the_one_after_the_start() -> None:
    # The first 02:45 (CEST) ends at the second 02:00 (CET).
    attributes = {
        "raw_today": [
            {"start": "2026-10-25T02:45:00", "end": "2026-10-25T02:00:00", "value": 1.0},
        ]
    }
    assert spans(parse_price_forecast(attributes, zone=AMSTERDAM)) == [
        (utc(2026, 10, 25, 0, 45), utc(2026, 10, 25, 1, 0), 1.0)
    ]


# --- Odd input ------------------------------------------------------------------------


def test_prices_that_are_not_numbers_are_gaps() -> None:
    values: list[Any] = [None, "n/a", True, float("nan"), float("inf"), [], {}, 10**400, "0.25", 3]
    attributes = {
        "prices": [
            {"start": f"2026-12-04T{hour:02d}:00:00+00:00", "price": value}
            for hour, value in enumerate(values)
        ]
    }
    forecast = parse_price_forecast(attributes, zone=AMSTERDAM)
    assert spans(forecast) == [
        (utc(2026, 12, 4, 8), utc(2026, 12, 4, 9), 0.25),
        (utc(2026, 12, 4, 9), utc(2026, 12, 4, 10), 3.0),
    ]


@pytest.mark.parametrize(
    "attributes",
    [
        {},
        {"raw_today": "0.25, 0.26"},
        {"raw_today": None, "raw_tomorrow": 42, "prices": {"start": "2026-12-04T10:00:00Z"}},
        {"prices": [1, "two", None, [3], (4, 5)]},
        {"today": [0.25, 0.26, 0.27], "tomorrow": [0.21]},  # Nord Pool's bare lists
        {"prices": [{"price": 1.0}, {"start": None, "price": 1.0}, {"begin": "2026-12-04T10:00:00Z"}]},
        {
            "prices": [
                {"start": "tomorrow", "price": 1.0},
                {"start": "2026-12-04T25:00:00", "price": 1.0},
                {"start": 1764842400, "price": 1.0},  # epoch seconds are not read
                {"hour": 7, "price": 1.0},  # an hour index is not a time
                {"start": date(2026, 12, 4), "price": 1.0},
                {"start": "0001-01-01T00:00:00+01:00", "price": 1.0},  # before UTC's year 1
                {"start": "0001-01-01T00:00:00", "price": 1.0},
            ]
        },
    ],
)
def test_garbage_is_skipped_without_raising(attributes: dict[str, Any]) -> None:
    forecast = parse_price_forecast(attributes, zone=AMSTERDAM)
    assert forecast.slots == ()
    assert forecast.source is None


def test_garbage_beside_good_entries() -> None:
    attributes = {
        "raw_today": [
            "junk",
            {"start": "2026-12-04T10:00:00+00:00", "end": "2026-12-04T11:00:00+00:00", "value": 1.0},
            {"start": "not a time", "value": 2.0},
            None,
        ]
    }
    assert spans(parse_price_forecast(attributes, zone=AMSTERDAM)) == [
        (utc(2026, 12, 4, 10), utc(2026, 12, 4, 11), 1.0)
    ]


def test_a_naive_end_the_clocks_skip_falls_back_to_the_next_start() -> None:
    attributes = {
        "prices": [
            {"start": "2026-03-29T01:00:00", "end": "2026-03-29T02:00:00", "price": 1.0},
            {"start": "2026-03-29T03:00:00", "end": "2026-03-29T04:00:00", "price": 2.0},
        ]
    }
    assert spans(parse_price_forecast(attributes, zone=AMSTERDAM)) == [
        (utc(2026, 3, 29, 0), utc(2026, 3, 29, 1), 1.0),
        (utc(2026, 3, 29, 1), utc(2026, 3, 29, 2), 2.0),
    ]


# --- The unit -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attributes", "unit"),
    [
        ({"unit_of_measurement": "EUR/kWh", "unit": "kWh", "currency": "SEK"}, "EUR/kWh"),
        ({"unit": "kWh", "currency": "NOK"}, "NOK/kWh"),
        ({"unit": "MWh", "currency": "EUR"}, "EUR/MWh"),
        ({"unit": "öre/kWh"}, "öre/kWh"),
        ({"unit": "kWh"}, None),  # an energy unit alone says nothing of the currency
        ({"currency": "EUR"}, "EUR"),
        ({"unit": "EUR"}, "EUR"),
        ({"unit_of_measurement": "  ", "unit": 1000, "currency": ""}, None),
        ({}, None),
    ],
)
def test_the_unit_from_the_attributes(attributes: dict[str, Any], unit: str | None) -> None:
    forecast = parse_price_forecast(
        {**attributes, "prices": [{"start": "2026-12-04T10:00:00Z", "price": 1.0}]}, zone=AMSTERDAM
    )
    assert forecast.unit == unit


def test_the_entitys_unit_wins() -> None:
    attributes = {"unit": "kWh", "currency": "EUR", "raw_today": []}
    assert parse_price_forecast(attributes, zone=AMSTERDAM, unit="c/kWh").unit == "c/kWh"


# --- Reading a forecast -----------------------------------------------------------------


def test_price_at_and_covered_until() -> None:
    forecast = PriceForecast(
        (
            PriceSlot(utc(2026, 12, 4, 10), utc(2026, 12, 4, 11), 1.0),
            PriceSlot(utc(2026, 12, 4, 11), utc(2026, 12, 4, 11, 15), 2.0),
            PriceSlot(utc(2026, 12, 4, 13), utc(2026, 12, 4, 14), 3.0),
        ),
        "EUR/kWh",
        "generic",
    )
    assert price_at(forecast, utc(2026, 12, 4, 9, 59)) is None
    assert price_at(forecast, utc(2026, 12, 4, 10)) == 1.0
    assert price_at(forecast, utc(2026, 12, 4, 10, 59)) == 1.0
    assert price_at(forecast, utc(2026, 12, 4, 11)) == 2.0  # the end belongs to the next
    assert price_at(forecast, utc(2026, 12, 4, 11, 15)) is None  # a gap
    assert price_at(forecast, utc(2026, 12, 4, 13, 30)) == 3.0
    assert price_at(forecast, local(AMSTERDAM, 2026, 12, 4, 14, 30)) == 3.0  # any aware time
    assert price_at(forecast, utc(2026, 12, 4, 14)) is None
    assert covered_until(forecast) == utc(2026, 12, 4, 14)
