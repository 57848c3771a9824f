"""Signing in scenario files: the per-car knobs, applications, tokens' client ids, the
demo (a Model 3 that needs signing) and the benchmark's cars (which do not)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from simulator import FakeClock, build_world, default_spec, load_spec
from simulator.scenario import SCENARIOS

from ..helpers import VIN, account_spec, vehicle_spec
from .signed_support import new_key, point


def test_the_signing_knobs_of_a_car() -> None:
    key = point(new_key()).hex()
    spec = account_spec(
        vehicle_spec(
            command_signing="required",
            firmware="2024.32.7 abcdef",
            encrypt_responses=False,
            unpaired_reply="fault",
            clock_skew=-5,
            paired_keys=[key.upper(), "Example.COM"],
        ),
    )
    spec["tesla"]["accounts"][0]["tokens"][0]["client_id"] = "my-app"
    spec["tesla"]["apps"] = [
        {"client_id": "my-app", "client_secret": "s", "allowed_origins": ["https://a.b"]}
    ]
    world = build_world(spec, FakeClock())
    car, signing = world.vehicles[VIN], world.signing[VIN]
    assert car.firmware == "2024.32.7 abcdef"
    assert car.uses_charge_schedules is True
    assert car.command_signing == "required"
    assert (signing.knobs.encrypt_responses, signing.knobs.unpaired_reply, signing.knobs.clock_skew) == (
        False,
        "fault",
        -5.0,
    )
    assert signing.paired_keys == {bytes.fromhex(key)}
    assert signing.paired_domains == {"example.com"}
    assert {t.client_id for t in world.tokens.access.values()} == {"my-app"}
    assert world.partners.apps["my-app"].allowed_origins == ["https://a.b"]


def test_the_defaults() -> None:
    world = build_world(account_spec(), FakeClock())
    signing = world.signing[VIN]
    assert (signing.knobs.encrypt_responses, signing.knobs.unpaired_reply, signing.knobs.clock_skew) == (
        True,
        "whitelist",
        0.0,
    )
    assert signing.paired_keys == set()
    assert world.vehicles[VIN].firmware == "2023.44.30.8 06f534d46010"  # the fixture's car_version
    assert len({v.epoch for v in signing.verifiers.values()}) == 2


@pytest.mark.parametrize(
    "overrides",
    [
        {"unpaired_reply": "shrug"},
        {"encrypt_responses": "yes"},
        {"clock_skew": "1s"},
        {"firmware": "latest"},
        {"paired_keys": "04ab"},
        {"paired_keys": ["04" + "00" * 64]},  # not a point on the curve
        {"paired_keys": ["not a domain"]},
    ],
)
def test_bad_knobs_fail_the_scenario(overrides: dict[str, Any]) -> None:
    with pytest.raises((ValueError, TypeError)):
        build_world(account_spec(vehicle_spec(**overrides)), FakeClock())


def test_bad_apps_fail_the_scenario() -> None:
    spec = account_spec()
    spec["tesla"]["apps"] = [{"client_id": "a", "client_secret": "b", "allowed_origins": "https://x.y"}]
    with pytest.raises(TypeError, match="allowed_origins"):
        build_world(spec, FakeClock())


def test_the_demo_model_3_needs_signed_commands() -> None:
    world = build_world(default_spec(), FakeClock())
    model_3, model_s = world.vehicles["LRW3E7EK4NC000001"], world.vehicles["5YJSA1E41GF000002"]
    assert (model_3.command_signing, model_3.firmware) == ("required", "2025.20.6 4c5ad9d1b3a0")
    assert model_3.uses_charge_schedules is True
    assert world.signing[model_3.vin].paired_keys == set()
    assert model_s.command_signing == "off"


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("bench_*.yaml")), ids=lambda p: Path(p).stem)
def test_the_benchmark_cars_are_unchanged(path: Path) -> None:
    world = build_world(load_spec(path), FakeClock())
    for car in world.vehicles.values():
        assert car.command_signing == "off"
        assert car.uses_charge_schedules is False
