"""What Tesla remembers from one run of the demo to the next, given back to a new simulator.

Tesla keeps an account's sign-ins, each developer application's registered domain and
the keys paired with each car.  The simulator forgets all of it when it stops, so a
second run of the demo would find Home Assistant holding tokens nobody knows (it would
ask to sign in again) and a key no car knows.  So before Home Assistant starts, the demo
hands the new simulator what Tesla would still know:

* the sign-in: the token pair in Home Assistant's stored config entry, as fixed tokens
  of the scenario, issued to the application the entry signed in with;
* the pairing: each car that needs signed commands has the entry's domain among its
  paired keys;
* the registration: the domain registered again for the application, with the public
  half of this installation's key (the simulator cannot fetch it from Home Assistant,
  which is not running yet, so the key is handed over, then taken back).

Nothing here is printed: tokens and keys stay in files that already hold them.
"""

from __future__ import annotations

from dataclasses import dataclass
import json
from pathlib import Path
import time
from typing import Any

import aiohttp
from cryptography.hazmat.primitives import serialization
import yaml

from .harness import DEMO_SCENARIO, DEMO_TESLA_EMAIL, DOMAIN, KEY_FILE

# Scopes the partner token asks for, as the integration's registration does.
PARTNER_SCOPES = "openid vehicle_device_data vehicle_cmds vehicle_charging_cmds"
SCENARIO_FILE = "simulator-scenario.yaml"


@dataclass(frozen=True)
class TeslaMemory:
    """The demo Tesla account as Home Assistant stored it at the end of the last run."""

    access_token: str
    refresh_token: str
    expires_at: float
    client_id: str
    client_secret: str
    domain: str | None  # the application's domain, when the entry signs commands here
    public_pem: str | None  # the public half of the installation's key


def _store(config_dir: Path, name: str) -> dict[str, Any]:
    path = config_dir / ".storage" / name
    if not path.is_file():
        return {}
    data: dict[str, Any] = json.loads(path.read_text()).get("data") or {}
    return data


def recall(config_dir: Path) -> TeslaMemory | None:
    """The demo Tesla entry's sign-in and signing set-up, or None before the first run."""
    entries = _store(config_dir, "core.config_entries").get("entries", [])
    entry = next(
        (e for e in entries if e.get("domain") == DOMAIN and e.get("title") == DEMO_TESLA_EMAIL), None
    )
    if entry is None or "token" not in entry.get("data", {}):
        return None
    data = entry["data"]
    implementation = data.get("auth_implementation")
    credentials = [
        item
        for item in _store(config_dir, "application_credentials").get("items", [])
        if item.get("domain") == DOMAIN and item.get("auth_domain", item.get("id")) == implementation
    ]
    if not credentials:
        return None
    signing_here = data.get("signing") == "key" and data.get("domain")
    return TeslaMemory(
        access_token=data["token"]["access_token"],
        refresh_token=data["token"]["refresh_token"],
        expires_at=float(data["token"].get("expires_at", 0)),
        client_id=credentials[0]["client_id"],
        client_secret=credentials[0]["client_secret"],
        domain=data["domain"] if signing_here else None,
        public_pem=_public_pem(config_dir / KEY_FILE) if signing_here else None,
    )


def _public_pem(key_file: Path) -> str | None:
    """The public half of the key file (the private half is read only to derive it)."""
    if not key_file.is_file():
        return None
    private = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
    public = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return public.decode()


def scenario_for(memory: TeslaMemory, config_dir: Path) -> Path:
    """The demo scenario plus the remembered sign-in and pairings, written to the config folder."""
    spec = yaml.safe_load(DEMO_SCENARIO.read_text())
    # Home Assistant refreshes by its own clock; a token it still holds as valid must be too.
    lifetime = max(60, int(memory.expires_at - time.time()))
    for account in spec["tesla"]["accounts"]:
        if account.get("email") != DEMO_TESLA_EMAIL:
            continue
        account.setdefault("tokens", []).append(
            {
                "access_token": memory.access_token,
                "refresh_token": memory.refresh_token,
                "expires_in": lifetime,
                "client_id": memory.client_id,
            }
        )
        for vehicle in account.get("vehicles", []):
            if memory.domain and vehicle.get("command_signing") == "required":
                vehicle.setdefault("paired_keys", []).append(memory.domain)
    path = config_dir / SCENARIO_FILE
    header = "# Written by scripts/develop: the demo scenario and what Tesla remembers of the last run.\n"
    path.touch(mode=0o600, exist_ok=True)  # it holds the account's tokens, as .storage does
    path.chmod(0o600)
    path.write_text(header + yaml.safe_dump(spec, sort_keys=False))
    return path


async def register_again(session: aiohttp.ClientSession, sim_url: str, memory: TeslaMemory) -> bool:
    """The application's domain registered with the simulator as in the last run; False if
    there is nothing to register (the entry does not sign here, or the key file is gone)."""
    if memory.domain is None or memory.public_pem is None:
        return False
    hosted = f"{sim_url}/sim/partner/hosted_keys"
    async with session.post(hosted, json={"domain": memory.domain, "pem": memory.public_pem}) as response:
        assert response.status == 200, f"hosting the key: {response.status} {await response.text()}"
    try:
        form = {
            "grant_type": "client_credentials",
            "client_id": memory.client_id,
            "client_secret": memory.client_secret,
            "scope": PARTNER_SCOPES,
            "audience": sim_url,
        }
        async with session.post(f"{sim_url}/oauth2/v3/token", data=form) as response:
            body = await response.json(content_type=None)
            assert response.status == 200, f"partner token: {response.status} {body.get('error')}"
        headers = {"Authorization": f"Bearer {body['access_token']}"}
        register = f"{sim_url}/api/1/partner_accounts"
        async with session.post(register, json={"domain": memory.domain}, headers=headers) as response:
            assert response.status == 200, f"registering {memory.domain}: {await response.text()}"
    finally:
        # From now on the simulator fetches the key from Home Assistant, as Tesla does.
        async with session.post(hosted, json={"domain": memory.domain, "pem": None}) as response:
            assert response.status == 200, f"un-hosting the key: {response.status}"
    return True
