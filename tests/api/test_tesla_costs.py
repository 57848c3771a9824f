"""The client's cost counters against the simulator's billing, after a mixed sequence.

Tesla bills every answer below 500 by category (data $0.002, command $0.001, wake
$0.02); a 5xx and a request that got no answer are not billed.  The client counts on
its side what the simulator bills on its side: the two must agree.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from custom_components.ev_charge_control.api import (
    PRICE_USD,
    ApiError,
    ConnectionFailed,
    CostCategory,
    CostCounter,
    CostLedger,
    InvalidArgument,
    RateLimited,
    RequestTimeout,
    ServerError,
    VehicleUnavailable,
)
from custom_components.ev_charge_control.api.tesla import TeslaClient

from ..helpers import VIN, VIN2, SimulatorHandle, account_spec, vehicle_spec
from .support import sent_since, static_token

ClientFactory = Callable[..., TeslaClient]


@pytest.fixture
def scenario() -> dict[str, Any]:
    return account_spec(vehicle_spec(), vehicle_spec(vin=VIN2, id=100002, state="asleep"))


def billed(counter: CostCounter) -> dict[str, int]:
    return {category.value: count for category, count in counter.billed.items()}


async def test_costs_agree_with_the_simulators_billing(
    make_client: ClientFactory, sim: SimulatorHandle
) -> None:
    client = make_client(request_timeout=0.3)
    # Billed answers.
    await client.list_vehicles()  # free
    await client.vehicle(VIN)  # free
    await client.vehicle_data(VIN)  # data
    await client.set_charge_limit(VIN, 90)  # command
    await client.charge_stop(VIN)  # command ("not_charging" is still billed)
    await client.wake_and_wait(VIN2, timeout=5)  # wake (no delay: online at once)
    # Error answers below 500 are billed too.
    await sim.fault(kind="vehicle_unavailable", path="/vehicle_data", count=1)
    with pytest.raises(VehicleUnavailable):
        await client.vehicle_data(VIN)  # data, 408
    await sim.fault(kind="rate_limit", path="/command/", count=1)
    with pytest.raises(RateLimited):
        await client.charge_start(VIN)  # command, 429
    # A 5xx and transport failures are not billed.
    await sim.fault(kind="server_error", path="/command/", count=1)
    with pytest.raises(ServerError):
        await client.charge_start(VIN)  # command, 500
    # (A POST: aiohttp resends a GET once when a kept-alive connection drops.)
    await sim.fault(kind="disconnect", path="/command/", count=1)
    with pytest.raises(ConnectionFailed):
        await client.charge_start(VIN)  # no answer
    await sim.fault(kind="hang", seconds=5, path="/wake_up", count=1)
    with pytest.raises(RequestTimeout):
        await client.wake_up(VIN)  # no answer
    # Refused before sending: not counted at all.
    with pytest.raises(InvalidArgument):
        await client.set_charging_amps(VIN, 200)

    billing = await sim.call("GET", "/sim/billing")
    expected = {"data": 2, "command": 3, "wake": 1, "free": 2}
    assert billing["requests"] == expected
    assert billed(client.costs.total) == expected
    assert client.costs.total.cost_usd == billing["cost_usd"] == pytest.approx(2 * 0.002 + 3 * 0.001 + 0.02)

    for vin in (VIN, VIN2):
        assert billed(client.costs.for_vehicle(vin)) == billing["by_vehicle"][vin]["requests"]
        assert client.costs.for_vehicle(vin).cost_usd == billing["by_vehicle"][vin]["cost_usd"]

    # Every request the client sent is counted, answered or not; the simulator logs the
    # two that got no answer with status 0.
    logged = await sent_since(sim, 0)
    assert client.costs.total.requests == len(logged) == 11
    assert sorted(r["status"] for r in logged if not r["billed"]) == [0, 0, 500]
    assert set(client.costs.by_vehicle) == {VIN, VIN2}


async def test_a_401_is_billed(make_client: ClientFactory, sim: SimulatorHandle) -> None:
    client = make_client(token_provider=static_token("nope"))
    with pytest.raises(ApiError):
        await client.vehicle_data(VIN)
    billing = await sim.call("GET", "/sim/billing")
    assert billing["requests"]["data"] == 1
    assert client.costs.total.billed[CostCategory.DATA] == 1
    assert client.costs.for_vehicle(VIN).cost_usd == 0.002


async def test_the_retry_after_a_401_is_billed_again(
    make_client: ClientFactory, sim: SimulatorHandle
) -> None:
    tokens = iter(["stale", "test-access-token"])

    async def provider() -> str:
        return next(tokens)

    async def unauthorized(_: str) -> None:
        return None

    client = make_client(token_provider=provider, on_unauthorized=unauthorized)
    await client.charge_start(VIN)
    billing = await sim.call("GET", "/sim/billing")
    assert billing["requests"]["command"] == client.costs.total.billed[CostCategory.COMMAND] == 2


# ----------------------------------------------------------- the ledger itself
def test_prices_are_teslas() -> None:
    assert PRICE_USD == {
        CostCategory.DATA: 0.002,
        CostCategory.COMMAND: 0.001,
        CostCategory.WAKE: 0.02,
        CostCategory.FREE: 0.0,
    }


def test_counter_as_dict() -> None:
    counter = CostCounter()
    counter.add(CostCategory.WAKE, billed=True)
    counter.add(CostCategory.DATA, billed=True)
    counter.add(CostCategory.DATA, billed=False)
    counter.add(CostCategory.FREE, billed=True)
    assert counter.as_dict() == {
        "data": 1,
        "command": 0,
        "wake": 1,
        "free": 1,
        "requests": 4,
        "handshakes": 0,
        "cost_usd": 0.022,
    }


def test_ledger_by_vehicle() -> None:
    ledger = CostLedger()
    ledger.record(CostCategory.COMMAND, billed=True, vehicle=VIN)
    ledger.record(CostCategory.COMMAND, billed=False, vehicle=VIN)
    ledger.record(CostCategory.FREE, billed=True)
    assert ledger.total.requests == 3
    assert ledger.total.billed[CostCategory.COMMAND] == 1
    assert ledger.for_vehicle(VIN).requests == 2
    assert ledger.for_vehicle(VIN).cost_usd == 0.001
    assert ledger.for_vehicle(VIN2).requests == 0
    assert ledger.for_vehicle(VIN2).cost_usd == 0


def test_cost_is_rounded_to_micro_dollars() -> None:
    counter = CostCounter()
    for _ in range(3):
        counter.add(CostCategory.COMMAND, billed=True)
    # 3 * 0.001 is 0.0030000000000000005 in floating point.
    assert counter.cost_usd == 0.003
