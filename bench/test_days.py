"""Scenarios 1 and 2: every policy through the commuter and the solar day, twice.

Each test is one policy on one day with one setting of the simulator's
``data_keeps_awake``; it writes its numbers to ``bench/.results`` for the report.
"""

from __future__ import annotations

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest

from .anchors import ANCHORS
from .harness import run_anchor, run_ours, save
from .scenario import load_day

DAYS = ["bench_commuter", "bench_solar"]
KEEP_AWAKE = pytest.mark.parametrize("keep_awake", [True, False], ids=["keep_awake", "no_keep_awake"])
DAY = pytest.mark.parametrize("day_name", DAYS)


def _name(day_key: str, keep_awake: bool, policy: str) -> str:
    return f"day-{day_key}-{'on' if keep_awake else 'off'}-{policy}"


@DAY
@KEEP_AWAKE
async def test_ours(
    freezer: FrozenDateTimeFactory, hass: HomeAssistant, socket_enabled: None, day_name: str, keep_awake: bool
) -> None:
    day = load_day(day_name)
    result = await run_ours(hass, freezer, day, keep_awake)
    save(_name(day.key, keep_awake, "ours"), result)


@DAY
@KEEP_AWAKE
@pytest.mark.parametrize("policy", list(ANCHORS))
async def test_anchor(socket_enabled: None, day_name: str, keep_awake: bool, policy: str) -> None:
    day = load_day(day_name)
    result, _world = await run_anchor(policy, day, keep_awake)
    save(_name(day.key, keep_awake, policy), result)
