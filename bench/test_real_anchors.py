"""Home Assistant's own tesla_fleet and teslemetry through the commuter and the solar day.

Each test is one integration on one day with one setting of ``data_keeps_awake``; it
writes its numbers to ``bench/.results`` beside ours and the re-implemented anchors
(``bench/real_anchors.py`` says how they are pointed at the simulator).
"""

from __future__ import annotations

from pathlib import Path

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest

from .harness import save
from .real_anchors import INTEGRATIONS, run_real, use_manifest_libraries
from .scenario import load_day
from .test_days import DAY, KEEP_AWAKE, _name

WHY_NOT = use_manifest_libraries()


@pytest.mark.skipif(WHY_NOT is not None, reason=str(WHY_NOT))
@DAY
@KEEP_AWAKE
@pytest.mark.parametrize("policy", list(INTEGRATIONS))
async def test_real_anchor(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    socket_enabled: None,
    tmp_path: Path,
    day_name: str,
    keep_awake: bool,
    policy: str,
) -> None:
    hass.config.config_dir = str(tmp_path)
    day = load_day(day_name)
    result = await run_real(hass, freezer, tmp_path, policy, day, keep_awake)
    save(_name(day.key, keep_awake, policy), result)
