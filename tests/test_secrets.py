"""Secrets stay secret: the log check every test runs, and TLS verification."""

from __future__ import annotations

import logging
from pathlib import Path
import re
import ssl

import aiohttp
import pytest

from custom_components.ev_charge_control.api.tesla import TeslaClient

from .helpers import ACCESS_TOKEN, leaked_secrets, world_secrets

PACKAGE = Path(__file__).parents[1] / "custom_components" / "ev_charge_control"


def test_the_log_check_finds_a_leak(caplog: pytest.LogCaptureFixture) -> None:
    canary = "canary-secret-0123456789"
    logging.getLogger("custom_components.ev_charge_control").debug("token is %s", canary)
    assert leaked_secrets(caplog.text, {canary}) == {canary}
    assert leaked_secrets(caplog.text, {"short"}) == set()  # too short to judge


def test_the_fixed_test_credentials_are_checked() -> None:
    assert ACCESS_TOKEN in world_secrets(None)


def test_no_code_turns_tls_verification_off() -> None:
    pattern = re.compile(r"verify_ssl\s*=\s*False|ssl\s*=\s*False|CERT_NONE|check_hostname\s*=\s*False")
    offenders = [
        f"{path.relative_to(PACKAGE)}:{number}"
        for path in PACKAGE.rglob("*.py")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert offenders == []


async def test_the_client_verifies_tls_by_default() -> None:
    async def token() -> str:
        return ACCESS_TOKEN

    async with aiohttp.ClientSession() as session:
        default = TeslaClient(session, token)
        assert default._ssl is True  # aiohttp's default verification, nothing weaker
        context = ssl.create_default_context()
        pinned = TeslaClient(session, token, ssl_context=context)
        assert pinned._ssl is context
        assert context.verify_mode is ssl.CERT_REQUIRED
