"""Tesla command signing in Home Assistant: the key pair, the car sessions, the links.

The private key is made once per Home Assistant installation and kept in a file that
only Home Assistant's user can read.  Its public half is what the user's domain hosts
(this Home Assistant serves it too, see ``public_key_view.py``), what Tesla registers
for the developer application, and what each car is paired with.  The private half
never leaves the file: not in the config entry, the logs or the diagnostics.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
import ipaddress
import os
from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.storage import Store
from yarl import URL

from .api.tesla.signing import SigningKey
from .const import DOMAIN, ENV_TESLA_AUTH_URL, TESLA_PAIRING_URL

PUBLIC_KEY_PATH = "/.well-known/appspecific/com.tesla.3p.public-key.pem"
KEY_FILE = f"{DOMAIN}.tesla_command_key.pem"
SESSIONS_STORE = f"{DOMAIN}.tesla_sessions"
# Saving after every command would write the file for each slider step; a crash
# between saves only costs a resync, which the car offers in its refusal.
SESSIONS_SAVE_DELAY = 10.0


def key_path(hass: HomeAssistant) -> Path:
    return Path(hass.config.path(".storage", KEY_FILE))


def _read_key(path: Path) -> SigningKey | None:
    try:
        return SigningKey.from_pem(path.read_bytes())
    except FileNotFoundError:
        return None


def _create_key(path: Path) -> SigningKey:
    """Make the key file with owner-only permissions from its first byte on."""
    existing = _read_key(path)
    if existing is not None:
        return existing
    key = SigningKey.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(key.private_pem())
    return key


def _data(hass: HomeAssistant) -> dict[str, Any]:
    """The hass.data slot with the loaded key, and the lock that makes it once."""
    data: dict[str, Any] = hass.data.setdefault(f"{DOMAIN}_signing_key", {"lock": asyncio.Lock()})
    return data


async def async_load_key(hass: HomeAssistant) -> SigningKey | None:
    """The installation's key if it was made already; nothing is created."""
    data = _data(hass)
    if "key" not in data:
        key = await hass.async_add_executor_job(_read_key, key_path(hass))
        if key is None:
            return None
        data["key"] = key
    key_found: SigningKey = data["key"]
    return key_found


async def async_get_or_create_key(hass: HomeAssistant) -> SigningKey:
    """The installation's key, made on first use."""
    data = _data(hass)
    async with data["lock"]:
        if "key" not in data:
            data["key"] = await hass.async_add_executor_job(_create_key, key_path(hass))
    key: SigningKey = data["key"]
    return key


# ------------------------------------------------------------------- domains
def normalize_domain(value: str) -> str | None:
    """The host part of what the user typed, or ``None`` if it cannot be Tesla's domain.

    Tesla fetches the key over https on port 443, so a domain is a host name only.  A
    port is allowed for this machine alone (a test server or the simulator, which
    fetch over plain http).  A pasted URL is reduced to its host.
    """
    text = value.strip().lower()
    if "://" in text:
        try:
            url = URL(text)
        except ValueError:
            return None
        if url.path not in ("", "/") or url.query_string or not url.host:
            return None
        text = url.host if url.explicit_port is None else f"{url.host}:{url.explicit_port}"
    host, _, port = text.partition(":")
    if port:
        if not port.isdigit() or not _is_loopback(host):
            return None
        return f"{host}:{int(port)}"
    labels = host.split(".")
    if len(labels) < 2 or any(not _valid_label(label) for label in labels):
        return None
    return host


def _valid_label(label: str) -> bool:
    return 0 < len(label) <= 63 and label.replace("-", "").isalnum() and not label.startswith("-")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def public_key_url(domain: str) -> str:
    """Where Tesla (and the user's browser) finds the public key for ``domain``."""
    scheme = "http" if ":" in domain else "https"
    return f"{scheme}://{domain}{PUBLIC_KEY_PATH}"


def pairing_url(domain: str) -> str:
    """The link the owner opens in the Tesla app to add the key to a car."""
    if base := os.environ.get(ENV_TESLA_AUTH_URL):
        # The simulator plays the Tesla app for the demo and the tests.
        return f"{base.rstrip('/')}/_ak/{domain}"
    return TESLA_PAIRING_URL.format(domain=domain)


# ----------------------------------------------------------------- sessions
class SessionStore:
    """The cars' signing sessions (epoch, counter, clock offset), kept across restarts.

    One handshake per car and domain costs a billed request and a round trip to the
    car; a session loaded from here usually saves both.  Nothing here is secret: the
    shared keys are derived again from the private key.
    """

    def __init__(self, hass: HomeAssistant) -> None:
        self._store: Store[dict[str, dict[str, Any]]] = Store(hass, 1, SESSIONS_STORE)
        self._sessions: dict[str, dict[str, Any]] = {}

    async def async_load(self) -> None:
        self._sessions = dict(await self._store.async_load() or {})

    def load(self, vin: str, domain: int) -> Mapping[str, Any] | None:
        return self._sessions.get(f"{vin}:{int(domain)}")

    @callback
    def save(self, vin: str, domain: int, state: Mapping[str, Any]) -> None:
        self._sessions[f"{vin}:{int(domain)}"] = dict(state)
        self._store.async_delay_save(lambda: self._sessions, SESSIONS_SAVE_DELAY)


async def async_get_session_store(hass: HomeAssistant) -> SessionStore:
    """The installation's one session store (cars are keyed by VIN, whoever's entry)."""
    key = f"{DOMAIN}_signing_sessions"
    if key not in hass.data:
        store = SessionStore(hass)
        await store.async_load()
        hass.data.setdefault(key, store)
    found: SessionStore = hass.data[key]
    return found
