"""The end-to-end tests talk to real processes on 127.0.0.1, so every test may open sockets."""

from __future__ import annotations

from collections.abc import Generator

import pytest


@pytest.fixture(autouse=True)
def sockets_allowed(socket_enabled: None) -> None:
    """pytest-socket (from pytest-homeassistant-custom-component) blocks sockets by default."""


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None]:
    """Keep each phase's report on the test, so fixtures can tell whether it failed."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    setattr(item, f"report_{report.when}", report)
