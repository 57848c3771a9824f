"""The API usage sensors count Tesla's billing month, across restarts and reloads.

Tesla bills per calendar month (from the 1st, 00:00 UTC).  The sensors show this
month's usage at list price: what earlier runs counted this month, restored, plus what
this run sent.  Time starts an hour before a month ends (31 March 2025, 23:00 UTC).

Every test runs Home Assistant against the simulator over HTTP.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.sensor import ATTR_LAST_RESET, ATTR_STATE_CLASS, SensorStateClass
from homeassistant.const import ATTR_ENTITY_ID, ATTR_FRIENDLY_NAME, ATTR_UNIT_OF_MEASUREMENT
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_mock_restore_state_shutdown_restart,
    mock_restore_cache_with_extra_data,
)

from custom_components.ev_charge_control.const import DOMAIN
from simulator import FakeClock

from ..helpers import VIN
from .common import entity_state, tick

COST = "sensor.model_3_api_usage_this_month_list_price"
DATA = "sensor.model_3_api_data_requests_this_month"
COMMANDS = "sensor.model_3_api_command_requests_this_month"
WAKES = "sensor.model_3_api_wake_requests_this_month"
BATTERY = "sensor.model_3_battery"

MARCH = datetime(2025, 3, 1, tzinfo=UTC)
APRIL = datetime(2025, 4, 1, tzinfo=UTC)
FEBRUARY = datetime(2025, 2, 1, tzinfo=UTC)
DATA_PRICE = 0.002
"""Tesla's list price of one vehicle_data request, in USD."""


@pytest.fixture
def clock(freezer: FrozenDateTimeFactory) -> FakeClock:
    """Both clocks start an hour before March ends."""
    freezer.move_to(APRIL - timedelta(hours=1))
    return FakeClock(start=dt_util.utcnow().timestamp())


@pytest.fixture(autouse=True)
def requests_enabled(hass: HomeAssistant, config_entry: MockConfigEntry) -> None:
    """The user turned on the request counts (off by default)."""
    registry = er.async_get(hass)
    for key, entity_id in (
        ("api_data_requests", DATA),
        ("api_command_requests", COMMANDS),
        ("api_wake_requests", WAKES),
    ):
        registry.async_get_or_create(
            "sensor",
            DOMAIN,
            f"{VIN}_{key}",
            suggested_object_id=entity_id.removeprefix("sensor."),
            config_entry=config_entry,
        )


def _stored(
    entity_id: str, value: float | None, unit: str | None, month: datetime
) -> tuple[State, dict[str, Any]]:
    """What an earlier run saved for a usage sensor: its value, and the month it counted."""
    attributes = {ATTR_LAST_RESET: month.isoformat()}
    extra = {"native_value": value, "native_unit_of_measurement": unit, "last_reset": month.isoformat()}
    return State(entity_id, str(value), attributes), extra


def _value(hass: HomeAssistant, entity_id: str) -> float:
    return float(entity_state(hass, entity_id))


def _last_reset(hass: HomeAssistant, entity_id: str) -> str:
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return str(state.attributes.get(ATTR_LAST_RESET))


async def _set_up(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def _fetch_data(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """What a user does to see fresh values now: one billed vehicle_data request.

    A little later than the last: the refresh after another one waits out Home
    Assistant's 10 s cool-down, and a reading at the same frozen instant equals the last
    and writes no state.
    """
    await tick(hass, freezer, timedelta(seconds=11))
    assert await async_setup_component(hass, "homeassistant", {})
    await hass.services.async_call("homeassistant", "update_entity", {ATTR_ENTITY_ID: BATTERY}, blocking=True)
    await hass.async_block_till_done()


async def test_the_month_so_far_survives_a_restart(
    hass: HomeAssistant, config_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    # The last run counted $0.50 and 100 data requests in March; the commands it
    # counted were February's, a closed bill; the wakes it could not tell.
    mock_restore_cache_with_extra_data(
        hass,
        (
            _stored(COST, 0.5, "USD", MARCH),
            _stored(DATA, 100, None, MARCH),
            _stored(COMMANDS, 40, None, FEBRUARY),
            _stored(WAKES, None, None, MARCH),
        ),
    )
    await _set_up(hass, config_entry)

    # The start-up's one vehicle_data request comes on top.
    assert _value(hass, COST) == pytest.approx(0.5 + DATA_PRICE)
    assert _value(hass, DATA) == 101
    assert _value(hass, COMMANDS) == 0
    assert _value(hass, WAKES) == 0
    for entity_id in (COST, DATA, COMMANDS, WAKES):
        assert _last_reset(hass, entity_id) == MARCH.isoformat()
    cost = hass.states.get(COST)
    assert cost is not None
    assert cost.attributes[ATTR_STATE_CLASS] == SensorStateClass.TOTAL
    assert cost.attributes[ATTR_UNIT_OF_MEASUREMENT] == "USD"
    assert cost.attributes[ATTR_FRIENDLY_NAME] == "Model 3 API usage this month (list price)"

    # It goes on counting.
    await _fetch_data(hass, freezer)
    assert _value(hass, COST) == pytest.approx(0.5 + 2 * DATA_PRICE)
    assert _value(hass, DATA) == 102


async def test_what_is_saved_at_stop_is_shown_after_the_start(
    hass: HomeAssistant, config_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    await _set_up(hass, config_entry)
    await _fetch_data(hass, freezer)
    await _fetch_data(hass, freezer)
    cost, data = _value(hass, COST), _value(hass, DATA)
    assert cost == pytest.approx(3 * DATA_PRICE)
    assert data == 3

    # Home Assistant stops (its states saved to storage, as JSON) and starts again.
    assert await hass.config_entries.async_unload(config_entry.entry_id)
    await hass.async_block_till_done()
    await async_mock_restore_state_shutdown_restart(hass)
    await _set_up(hass, config_entry)

    assert _value(hass, COST) == pytest.approx(cost + DATA_PRICE)
    assert _value(hass, DATA) == data + 1


async def test_the_count_starts_again_when_the_month_turns(
    hass: HomeAssistant, config_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    mock_restore_cache_with_extra_data(
        hass, (_stored(COST, 9.5, "USD", MARCH), _stored(DATA, 4000, None, MARCH))
    )
    await _set_up(hass, config_entry)
    # The last hour of March, polled as usual.
    await tick(hass, freezer, APRIL - dt_util.utcnow() - timedelta(seconds=1))
    march_cost = _value(hass, COST)
    assert march_cost >= 9.5 + DATA_PRICE
    assert _last_reset(hass, COST) == MARCH.isoformat()

    # Midnight UTC: April's bill starts from nothing, before any poll.
    await tick(hass, freezer, timedelta(seconds=2))
    assert _value(hass, COST) == 0
    assert _value(hass, DATA) == 0
    assert _last_reset(hass, COST) == APRIL.isoformat()
    assert _last_reset(hass, DATA) == APRIL.isoformat()

    # And counts April's requests.
    await _fetch_data(hass, freezer)
    assert _value(hass, COST) == pytest.approx(DATA_PRICE)
    assert _value(hass, DATA) == 1


async def test_a_reload_neither_counts_twice_nor_loses_a_request(
    hass: HomeAssistant, config_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    await _set_up(hass, config_entry)
    await _fetch_data(hass, freezer)
    cost, data = _value(hass, COST), _value(hass, DATA)

    assert await hass.config_entries.async_reload(config_entry.entry_id)
    await hass.async_block_till_done()

    # What the first set-up counted, once, plus the reload's own vehicle_data request.
    assert _value(hass, COST) == pytest.approx(cost + DATA_PRICE)
    assert _value(hass, DATA) == data + 1


async def test_a_renamed_entity_goes_on_from_where_it_was(
    hass: HomeAssistant, config_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    # Renaming the entity id adds the same entity again, on the same counter: the value
    # it saved on the way out already holds that counter's requests.
    mock_restore_cache_with_extra_data(hass, (_stored(COST, 0.5, "USD", MARCH),))
    await _set_up(hass, config_entry)
    assert _value(hass, COST) == pytest.approx(0.5 + DATA_PRICE)

    renamed = "sensor.tesla_api_usage"
    er.async_get(hass).async_update_entity(COST, new_entity_id=renamed)
    await hass.async_block_till_done()
    assert _value(hass, renamed) == pytest.approx(0.5 + DATA_PRICE)

    await _fetch_data(hass, freezer)
    assert _value(hass, renamed) == pytest.approx(0.5 + 2 * DATA_PRICE)
