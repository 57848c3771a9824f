"""The ready-by nights: charging on plug-in against the ready-by plan (``bench/ready_by.py``).

Each test is one policy on one night with one car's firmware; it writes its numbers to
``bench/.results`` for the report.
"""

from __future__ import annotations

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest

from .harness import save
from .ready_by import NIGHTS, RUNS, Night, result_name, run_night


@pytest.mark.parametrize("night", NIGHTS, ids=[night.key for night in NIGHTS])
@pytest.mark.parametrize(("policy", "firmware"), RUNS, ids=[f"{p}-{f}" for p, f in RUNS])
async def test_ready_by(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    socket_enabled: None,
    night: Night,
    policy: str,
    firmware: str,
) -> None:
    save(result_name(night.key, policy, firmware), await run_night(hass, freezer, night, policy, firmware))
