"""Fixtures for the API client tests: a TeslaClient pointed at the simulator."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aiohttp
import pytest

from custom_components.ev_charge_control.api.tesla import TeslaClient

from ..helpers import SimulatorHandle
from .support import FAST_POLLS, static_token


@pytest.fixture
def make_client(sim: SimulatorHandle, session: aiohttp.ClientSession) -> Callable[..., TeslaClient]:
    """Build a client for the simulator; keyword arguments override the defaults."""

    def build(**overrides: Any) -> TeslaClient:
        options: dict[str, Any] = {
            "base_url": sim.url,
            "request_timeout": 10.0,
            "wake_poll_delays": FAST_POLLS,
        }
        options.update(overrides)
        token = options.pop("token_provider", static_token())
        return TeslaClient(session, token, **options)

    return build


@pytest.fixture
def client(make_client: Callable[..., TeslaClient]) -> TeslaClient:
    return make_client()
