"""re.alto client: entities (paged) and readings."""

from __future__ import annotations

from datetime import UTC, datetime
import math
from typing import Any

import aiohttp
import pytest

from custom_components.ev_charge_control.api import MalformedResponse, NotFound
from custom_components.ev_charge_control.api.realto import (
    CommandType,
    Entity,
    Location,
    Quantity,
    Reading,
    client as realto_client,
)

from ..helpers import (
    ENTITY_ID,
    ENTITY_ID2,
    REALTO_CLIENT_ID,
    REALTO_VIN,
    SimulatorHandle,
    realto_entity_spec,
    realto_spec,
)
from .realto_support import calls, make_realto, mark, sent, sim_time

PV_ID = "0f0f0f0f-0000-4000-8000-0000000000b1"
HIDDEN_ID = "0f0f0f0f-0000-4000-8000-0000000000b2"
VIEWER_ID = "0f0f0f0f-0000-4000-8000-0000000000b3"


@pytest.fixture
def scenario() -> dict[str, Any]:
    return realto_spec(
        realto_entity_spec(location={"latitude": 50.85, "longitude": 4.35, "address": "Brussels"}),
        realto_entity_spec(
            id=ENTITY_ID2,
            name=None,
            manufacturer="Kia",
            model="EV6",
            vin="KNACC81GFN5000002",
            plugged_in=False,
            omit=["odometer", "range"],
        ),
        {"id": PV_ID, "type": "PV", "manufacturer": "SMA"},
        realto_entity_spec(id=HIDDEN_ID, vin="HIDDEN00000000003", permissions={"someone-else": "Owner"}),
        realto_entity_spec(id=VIEWER_ID, vin="VIEWER00000000004", permissions={REALTO_CLIENT_ID: "Viewer"}),
    )


async def test_list_entities_returns_evs_by_default(sim: SimulatorHandle, session: aiohttp.ClientSession):
    client = make_realto(sim, session)
    entities = await client.list_entities()
    assert [e.id for e in entities] == [ENTITY_ID, ENTITY_ID2, VIEWER_ID]
    first = entities[0]
    assert first.type == "EV"
    assert first.name == "ID.4"
    assert first.manufacturer == first.brand == "Volkswagen"
    assert first.model == "ID.4 Pro"
    assert first.vin == REALTO_VIN
    assert first.is_online is True
    assert first.last_seen == sim_time(sim)
    assert first.display_name == "ID.4"
    assert entities[1].name is None
    assert entities[1].display_name == "Kia EV6"


async def test_list_entities_of_another_type_or_all(sim: SimulatorHandle, session: aiohttp.ClientSession):
    client = make_realto(sim, session)
    assert [e.id for e in await client.list_entities(entity_type="pv")] == [PV_ID]
    everything = await client.list_entities(entity_type=None)
    assert [e.id for e in everything] == [ENTITY_ID, ENTITY_ID2, PV_ID, VIEWER_ID]
    pv = everything[2]
    assert pv.display_name == "SMA"  # no name, no model, no VIN: the brand
    assert HIDDEN_ID not in {e.id for e in everything}


async def test_list_entities_follows_the_continuation_token(
    sim: SimulatorHandle, session: aiohttp.ClientSession
):
    client = make_realto(sim, session)
    entities = await client.list_entities(entity_type=None, page_size=1)
    assert len(entities) == 4
    pages = [r for r in await sent(sim) if r["path"] == "/api/v1/entities"]
    assert len(pages) == 4
    assert all(r["query"]["pageSize"] == "1" for r in pages)
    assert "continuationToken" not in pages[0]["query"]
    tokens = [r["query"]["continuationToken"] for r in pages[1:]]
    assert len(set(tokens)) == 3


async def test_paging_stops_on_a_repeated_token(sim: SimulatorHandle, session: aiohttp.ClientSession):
    page = {"data": [{"id": ENTITY_ID, "type": "EV"}], "meta": {"continuationToken": "again"}}
    await sim.fault(kind="status", api="realto", path="/entities$", status=200, body=page)
    entities = await make_realto(sim, session).list_entities()
    assert [e.id for e in entities] == [ENTITY_ID, ENTITY_ID]
    assert len([r for r in await sent(sim) if r["path"] == "/api/v1/entities"]) == 2


async def test_paging_has_a_limit(
    sim: SimulatorHandle, session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(realto_client, "MAX_PAGES", 2)  # the guard's size, not its logic
    with pytest.raises(MalformedResponse) as info:
        await make_realto(sim, session).list_entities(page_size=1)
    assert "still paging after 2 pages" in str(info.value)
    assert len([r for r in await sent(sim) if r["path"] == "/api/v1/entities"]) == 2


@pytest.mark.parametrize(
    ("body", "ids"),
    [
        ([{"id": "a", "type": "EV"}, "junk"], ["a"]),  # a bare array
        ({"data": None, "meta": {}}, []),
        ({"data": [{"id": "b", "type": "EV"}], "links": {"next": None}}, ["b"]),
    ],
)
async def test_page_variants(sim: SimulatorHandle, session: aiohttp.ClientSession, body: Any, ids: list[str]):
    await sim.fault(kind="status", api="realto", path="/entities$", status=200, body=body)
    assert [e.id for e in await make_realto(sim, session).list_entities()] == ids


async def test_entity_by_id(sim: SimulatorHandle, session: aiohttp.ClientSession):
    client = make_realto(sim, session)
    entity = await client.entity(ENTITY_ID2)
    assert (entity.id, entity.vin, entity.display_name) == (ENTITY_ID2, "KNACC81GFN5000002", "Kia EV6")
    assert entity.raw["information"]["vin"] == "KNACC81GFN5000002"


@pytest.mark.parametrize("entity_id", ["00000000-0000-0000-0000-000000000000", HIDDEN_ID])
async def test_unknown_or_hidden_entity_is_not_found(
    sim: SimulatorHandle, session: aiohttp.ClientSession, entity_id: str
):
    with pytest.raises(NotFound) as info:
        await make_realto(sim, session).entity(entity_id)
    assert info.value.status == 404
    assert "was not found" in str(info.value)


async def test_last_reading(sim: SimulatorHandle, session: aiohttp.ClientSession):
    reading = await make_realto(sim, session).last_reading(ENTITY_ID)
    assert reading is not None
    assert reading.entity_id == ENTITY_ID
    assert reading.measured == reading.received == sim_time(sim)
    assert reading.state_of_charge == 50.0
    assert reading.range == Quantity(200.0, "km")
    assert reading.range_km == 200.0
    assert reading.odometer_km == 12000.0
    assert reading.is_charging is False
    assert reading.is_plugged_in is True
    assert reading.location == Location(50.85, 4.35, "Brussels")
    assert (await sent(sim))[-1]["category"] == "data"


async def test_omitted_metrics_read_as_none(sim: SimulatorHandle, session: aiohttp.ClientSession):
    reading = await make_realto(sim, session).last_reading(ENTITY_ID2)
    assert reading is not None
    assert reading.range is None
    assert reading.range_km is None
    assert reading.odometer is None
    assert reading.odometer_km is None
    assert reading.location is None
    assert reading.is_plugged_in is False
    assert reading.state_of_charge == 50.0


async def test_no_readings_is_none(sim: SimulatorHandle, session: aiohttp.ClientSession):
    client = make_realto(sim, session)
    assert await client.last_reading(PV_ID) is None
    assert await client.last_reading("00000000-0000-0000-0000-000000000000") is None
    assert [s for _, _, s in calls(await sent(sim))][1:] == [404, 404]


async def test_no_content_is_none(sim: SimulatorHandle, session: aiohttp.ClientSession):
    await sim.fault(kind="status", api="realto", path="/readings/last$", status=204, body="")
    assert await make_realto(sim, session).last_reading(ENTITY_ID) is None


async def test_readings_are_stale_until_the_next_sample(sim: SimulatorHandle, session: aiohttp.ClientSession):
    client = make_realto(sim, session)
    command = await client.trigger_command(ENTITY_ID, CommandType.START_CHARGING)
    sim.advance(60)  # the command has succeeded: the car charges
    assert (await client.command(ENTITY_ID, command.id)).is_final
    stale = await client.last_reading(ENTITY_ID)
    assert stale is not None
    assert stale.is_charging is False
    assert stale.measured == sim_time(sim, -60)
    sim.advance(240)  # the 5-minute sample
    fresh = await client.last_reading(ENTITY_ID)
    assert fresh is not None
    assert fresh.is_charging is True
    assert fresh.measured == sim_time(sim)
    assert fresh.state_of_charge is not None
    assert fresh.state_of_charge > 50.0


async def test_reading_latency_shows_the_received_time(sim: SimulatorHandle, session: aiohttp.ClientSession):
    await sim.call("POST", f"/sim/realto/entities/{ENTITY_ID}", {"reading_latency": 30})
    seq = await mark(sim)
    sim.advance(300)
    client = make_realto(sim, session)
    older = await client.last_reading(ENTITY_ID)
    assert older is not None
    assert older.measured == sim_time(sim, -300)  # the new one is not in yet
    sim.advance(30)
    newer = await client.last_reading(ENTITY_ID)
    assert newer is not None
    assert (newer.measured, newer.received) == (sim_time(sim, -30), sim_time(sim))
    assert len(await sent(sim, seq)) == 3


# ---------------------------------------------------------------- parsing
def test_entity_display_name_fallbacks():
    assert Entity.from_dict({"id": "x", "name": "Car"}).display_name == "Car"
    assert Entity.from_dict({"id": "x", "information": {"model": "ID.3"}}).display_name == "ID.3"
    assert Entity.from_dict({"id": "x", "information": {"vin": "VIN1"}}).display_name == "VIN1"
    assert Entity.from_dict({"id": "x", "information": {"manufacturer": ""}}).display_name == "x"


def test_entity_der_connect_shape():
    entity = Entity.from_dict(
        {
            "id": "e",
            "type": "EV",
            "brand": "Audi",
            "identifier": "WAUZZZ000000",
            "isOnline": "yes",
            "lastSeen": "2024-05-01T10:00:00.1234567+00:00",
        }
    )
    assert (entity.manufacturer, entity.vin, entity.is_online) == ("Audi", "WAUZZZ000000", None)
    assert entity.last_seen == datetime(2024, 5, 1, 10, 0, 0, 123456, tzinfo=UTC)
    assert entity.display_name == "Audi"
    assert Entity.from_dict({"reference": {"brand": "BMW"}}).manufacturer == "BMW"
    assert Entity.from_dict({"information": {"type": "EV", "name": "Mine"}}).type == "EV"


def test_reading_tolerates_odd_values():
    reading = Reading.from_dict(
        {
            "measured": "not a time",
            "data": {
                "stateOfCharge": {"value": "55.5", "unit": "%"},
                "range": {"value": 100, "unit": "mi"},
                "odometer": {"value": True, "unit": "km"},
                "isCharging": "true",
                "location": "somewhere",
            },
        }
    )
    assert reading.measured is None
    assert reading.state_of_charge == 55.5
    assert reading.range_km == pytest.approx(160.9344)
    assert reading.odometer is None
    assert reading.is_charging is None
    assert reading.location is None
    assert Reading.from_dict({"data": {"range": {"value": 5, "unit": "kWh"}}}).range_km is None
    assert Reading.from_dict({"data": {"range": {"value": "x"}}}).range is None
    assert Reading.from_dict({}).state_of_charge is None


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, "NaN", "inf", "-Infinity", 10**400])
def test_a_number_that_is_not_finite_reads_as_none(value: Any):
    metrics = {"stateOfCharge": {"value": value, "unit": "%"}, "range": {"value": value, "unit": "km"}}
    reading = Reading.from_dict({"data": metrics})
    assert reading.state_of_charge is None
    assert reading.range is None


def test_a_distance_too_large_to_convert_reads_as_none():
    reading = Reading.from_dict({"data": {"range": {"value": 1.5e308, "unit": "mi"}}})
    assert reading.range is not None
    assert reading.range_km is None
