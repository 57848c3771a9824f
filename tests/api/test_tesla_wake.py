"""Waking a car: one billed wake_up, then free state polls until it is online.

The simulator runs on a FakeClock, so its wake delay counts simulated seconds.  The
token provider moves that clock forward before every request the client sends, which
makes "the car comes online on the third poll" an exact, repeatable fact.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from custom_components.ev_charge_control.api import VehicleUnavailable, WakeTimeout
from custom_components.ev_charge_control.api.tesla import TeslaClient, VehicleState

from ..helpers import ACCESS_TOKEN, VIN, VIN2, SimulatorHandle, account_spec, vehicle_spec
from .support import mark, raises_exactly, sent_since

ClientFactory = Callable[..., TeslaClient]
WAKE_DELAY = 25.0
STEP = 10.0


@pytest.fixture
def scenario() -> dict[str, Any]:
    return account_spec(
        vehicle_spec(state="asleep", settings={"wake_delay": WAKE_DELAY, "sleep_after": 900}),
        vehicle_spec(vin=VIN2, id=100002, state="offline", settings={"wake_delay": 5, "sleep_after": 900}),
    )


@pytest.fixture
def ticking_client(make_client: ClientFactory, sim: SimulatorHandle) -> TeslaClient:
    """A client whose every request happens STEP simulated seconds after the previous one."""

    async def token() -> str:
        sim.advance(STEP)
        return ACCESS_TOKEN

    return make_client(token_provider=token)


def summary(records: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return [(r["method"], r["path"].rsplit("/", 1)[-1], r["category"]) for r in records]


async def test_wake_and_wait_wakes_once_then_polls_for_free(
    sim: SimulatorHandle, ticking_client: TeslaClient
) -> None:
    seq = await mark(sim)
    vehicle = await ticking_client.wake_and_wait(VIN, timeout=30)
    assert vehicle.is_online
    assert vehicle.state is VehicleState.ONLINE
    assert vehicle.vin == VIN
    records = await sent_since(sim, seq)
    # Wake at t+10 (online at t+35); polls at t+20 and t+30 see it asleep, t+40 online.
    assert summary(records) == [
        ("POST", "wake_up", "wake"),
        ("GET", VIN, "free"),
        ("GET", VIN, "free"),
        ("GET", VIN, "free"),
    ]
    assert [r["status"] for r in records] == [200] * 4
    assert (await sim.vehicle(VIN))["state"] == "online"
    counter = ticking_client.costs.for_vehicle(VIN)
    assert counter.billed["wake"] == 1
    assert counter.cost_usd == 0.02


async def test_wake_up_alone_answers_before_the_car_is_online(
    sim: SimulatorHandle, ticking_client: TeslaClient
) -> None:
    vehicle = await ticking_client.wake_up(VIN)
    assert vehicle.state is VehicleState.ASLEEP
    assert vehicle.is_online is False
    assert (await sim.vehicle(VIN))["waking"] is True


async def test_an_online_car_needs_no_polls(sim: SimulatorHandle, client: TeslaClient) -> None:
    await sim.vehicle(VIN, action="state", state="online")
    seq = await mark(sim)
    vehicle = await client.wake_and_wait(VIN, timeout=30)
    assert vehicle.is_online
    assert summary(await sent_since(sim, seq)) == [("POST", "wake_up", "wake")]


async def test_a_car_with_no_wake_delay_is_online_at_once(
    make_client: ClientFactory, sim: SimulatorHandle
) -> None:
    await sim.vehicle(VIN, settings={"wake_delay": 0})
    client = make_client()
    seq = await mark(sim)
    assert (await client.wake_and_wait(VIN, timeout=30)).is_online
    assert summary(await sent_since(sim, seq)) == [("POST", "wake_up", "wake")]


async def test_a_car_that_stays_offline_times_out(make_client: ClientFactory, sim: SimulatorHandle) -> None:
    client = make_client(wake_poll_delays=(0.001, 0.002, 0.005))
    seq = await mark(sim)
    with raises_exactly(WakeTimeout) as info:
        await client.wake_and_wait(VIN2, timeout=0.1)
    assert isinstance(info.value, VehicleUnavailable)
    assert info.value.status is None
    assert VIN2 in str(info.value)
    records = await sent_since(sim, seq)
    kinds = summary(records)
    # Exactly one wake; the rest are free state polls that all saw the car offline.
    assert kinds[0] == ("POST", "wake_up", "wake")
    assert len(kinds) >= 2
    assert set(kinds[1:]) == {("GET", VIN2, "free")}
    assert (await sim.vehicle(VIN2))["state"] == "offline"
    assert client.costs.for_vehicle(VIN2).billed["wake"] == 1


async def test_a_zero_timeout_gives_up_after_the_wake(
    make_client: ClientFactory, sim: SimulatorHandle
) -> None:
    client = make_client()
    seq = await mark(sim)
    with raises_exactly(WakeTimeout):
        await client.wake_and_wait(VIN2, timeout=0)
    assert summary(await sent_since(sim, seq)) == [("POST", "wake_up", "wake")]
