"""Per-domain session state: counters, clocks, updates and what is stored."""

from __future__ import annotations

import json
from typing import Any

import pytest

from custom_components.ev_charge_control.api.tesla.signing import Session, SigningKey
from custom_components.ev_charge_control.api.tesla.signing.messages import SessionInfo

from .test_signing_vectors import CLIENT_KEY, VEHICLE_POINT, K

VIN = "5YJ30123456789ABC"
EPOCH = bytes.fromhex("4c463f9cc0d3d26906e982ed224adde6")
OTHER_EPOCH = bytes(range(16))


@pytest.fixture
def key() -> SigningKey:
    return SigningKey.from_pem(CLIENT_KEY)


def info(counter: int = 6, clock_time: int = 2650, epoch: bytes = EPOCH) -> SessionInfo:
    return SessionInfo(
        counter=counter, public_key=bytes.fromhex(VEHICLE_POINT), epoch=epoch, clock_time=clock_time
    )


@pytest.fixture
def session(key: SigningKey) -> Session:
    return Session.start(key, VIN, 3, info(), now=1_000_000.0)


def test_start_derives_k_and_the_clock_offset(session: Session) -> None:
    assert session.shared_key.hex() == K
    assert session.counter == 6
    assert session.clock_offset == 1_000_000.0 - 2650
    assert session.car_time(1_000_010.0) == 2660


def test_expires_at_follows_the_car_clock(session: Session) -> None:
    assert session.expires_at(15.0, 1_000_000.0) == 2665
    assert session.expires_at(15.0, 1_000_004.9) == 2669  # whole seconds, rounded down
    # A local clock far behind the car's gives an expired command, never "no expiry" (0).
    assert session.expires_at(15.0, 0.0) == 1


def test_counter_counts_up_and_stops_at_the_top(session: Session) -> None:
    assert [session.next_counter(), session.next_counter()] == [7, 8]
    session.counter = 0xFFFFFFFF
    assert session.exhausted
    with pytest.raises(OverflowError):
        session.next_counter()


def test_update_never_rolls_the_counter_back_in_the_same_epoch(session: Session) -> None:
    session.counter = 20
    assert session.update_from(info(counter=9, clock_time=2700), now=1_000_100.0)
    assert session.counter == 20
    assert session.clock_time == 2700
    assert session.clock_offset == 1_000_100.0 - 2700


def test_update_takes_a_higher_counter(session: Session) -> None:
    assert session.update_from(info(counter=50, clock_time=2651), now=1_000_001.0)
    assert session.counter == 50


def test_update_discards_a_clock_that_went_backwards(session: Session) -> None:
    assert not session.update_from(info(counter=99, clock_time=2600), now=1_000_100.0)
    assert (session.counter, session.clock_time, session.clock_offset) == (6, 2650, 1_000_000.0 - 2650)


def test_a_new_epoch_replaces_everything(session: Session) -> None:
    session.counter = 500
    assert session.update_from(info(counter=1, clock_time=5, epoch=OTHER_EPOCH), now=2_000_000.0)
    assert (session.epoch, session.counter, session.clock_time) == (OTHER_EPOCH, 1, 5)
    assert session.clock_offset == 2_000_000.0 - 5


def test_start_refuses_a_bad_epoch(key: SigningKey) -> None:
    with pytest.raises(ValueError, match="epoch"):
        Session.start(key, VIN, 3, info(epoch=b"short"), now=0.0)


def test_export_is_json_and_holds_no_key_material(key: SigningKey, session: Session) -> None:
    session.next_counter()
    data = session.export()
    assert json.loads(json.dumps(data)) == data
    assert data == {
        "version": 1,
        "vin": VIN,
        "domain": 3,
        "client_public_key": key.public_hex(),
        "vehicle_public_key": VEHICLE_POINT,
        "epoch": EPOCH.hex(),
        "counter": 7,
        "clock_time": 2650,
        "clock_offset": 1_000_000.0 - 2650,
    }
    text = json.dumps(data)
    assert K not in text
    assert "shared_key" not in repr(session)


def test_import_restores_the_session(key: SigningKey, session: Session) -> None:
    restored = Session.from_export(session.export(), key)
    assert restored.export() == session.export()
    assert restored.shared_key == session.shared_key


def test_import_refuses_a_session_of_another_key(session: Session) -> None:
    with pytest.raises(ValueError, match="another key"):
        Session.from_export(session.export(), SigningKey.generate())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"version": 2}, "format"),
        ({"vehicle_public_key": "04"}, "vehicle_public_key"),
        ({"epoch": 5}, "epoch"),
        ({"epoch": "zz"}, "non-hexadecimal"),
        ({"vin": ""}, "VIN"),
        ({"domain": "3"}, "domain"),
        ({"counter": -1}, "counter"),
        ({"counter": True}, "counter"),
        ({"clock_time": 2**32}, "clock_time"),
        ({"clock_offset": float("inf")}, "clock offset"),
        ({"clock_offset": None}, "clock offset"),
    ],
)
def test_import_refuses_damaged_data(
    key: SigningKey, session: Session, change: dict[str, Any], message: str
) -> None:
    data = {**session.export(), **change}
    with pytest.raises(ValueError, match=message):
        Session.from_export(data, key)
