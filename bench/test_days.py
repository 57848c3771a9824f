"""Scenarios 1 and 2: every policy through the commuter and the solar day, twice.

Each test is one policy on one day with one setting of the simulator's
``data_keeps_awake``; it writes its numbers to ``bench/.results`` for the report.
Ours runs twice more per day and setting: against a car that requires signed commands,
signing them here, and once (solar, "does not keep it awake") with a restart of Home
Assistant in the middle of the day.
"""

from __future__ import annotations

from pathlib import Path

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest

from .anchors import ANCHORS
from .harness import run_anchor, run_ours, save
from .scenario import load_day

DAYS = ["bench_commuter", "bench_solar"]
KEEP_AWAKE = pytest.mark.parametrize("keep_awake", [True, False], ids=["keep_awake", "no_keep_awake"])
DAY = pytest.mark.parametrize("day_name", DAYS)
RESTART_AFTER = 13 * 3600 + 30
"""13:00:30 on the solar day: charging, a command every few minutes, and the sessions'
delayed save (10 s) long done after the last one; the stop writes pending saves anyway."""


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
async def test_ours_signed(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    socket_enabled: None,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    day_name: str,
    keep_awake: bool,
) -> None:
    hass.config.config_dir = str(tmp_path)  # the installation's key file goes here
    day = load_day(day_name)
    result = await run_ours(hass, freezer, day, keep_awake, signed=monkeypatch)
    save(_name(day.key, keep_awake, "ours_signed"), result)


async def test_ours_signed_restart(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    socket_enabled: None,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    hass.config.config_dir = str(tmp_path)
    day = load_day("bench_solar")
    result = await run_ours(hass, freezer, day, False, signed=monkeypatch, restart_after=RESTART_AFTER)
    assert "restart" in result, "the day ended before the restart"
    save(_name(day.key, False, "ours_signed_restart"), result)


@DAY
@KEEP_AWAKE
@pytest.mark.parametrize("policy", list(ANCHORS))
async def test_anchor(socket_enabled: None, day_name: str, keep_awake: bool, policy: str) -> None:
    day = load_day(day_name)
    result, _world = await run_anchor(policy, day, keep_awake)
    save(_name(day.key, keep_awake, policy), result)
