"""The benchmark runs inside Home Assistant's test harness, like the integration tests.

``scripts/bench`` runs ``pytest bench`` (never part of ``scripts/test``: setup.cfg's
testpaths is ``tests``) and then ``python -m bench.report``.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant
import pytest

# Home Assistant finds custom integrations through the imported package.
import custom_components  # noqa: F401
from tests.integration.conftest import auto_enable_custom_integrations  # noqa: F401


@pytest.fixture(autouse=True)
def production_event_loop(hass: HomeAssistant) -> None:
    """Home Assistant's test harness runs its loop in asyncio debug mode, which checks
    every callback and slows everything down; Home Assistant itself does not."""
    hass.loop.set_debug(False)
