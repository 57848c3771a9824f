"""The re.alto evening: our integration and the naive client (``bench/realto_day.py``).

Each test writes its numbers to ``bench/.results`` for the report.
"""

from __future__ import annotations

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant

from .harness import save
from .realto_day import run_naive_realto, run_ours_realto


async def test_realto_ours(freezer: FrozenDateTimeFactory, hass: HomeAssistant, socket_enabled: None) -> None:
    save("realto-ours", await run_ours_realto(hass, freezer))


async def test_realto_naive(socket_enabled: None) -> None:
    save("realto-naive", await run_naive_realto())
