"""What a provider (one car API) declares to plug into the integration.

Everything that differs between providers is reached through one ``Provider`` in
``providers.PROVIDERS``: the config flow's menu entries and its reauth and reconfigure
steps, how credentials are tested, how an entry's account is set up, what else goes
when an entry is deleted, and which of its entry keys diagnostics hide.  Entities,
actions, repairs and the coordinator read only the ``Vehicle`` interface and its
capabilities, so a new provider changes none of them (docs/adding-a-provider.md).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
import hashlib
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant

from .coordinator import EVChargeControlConfigEntry
from .vehicle import AccountVehicles


@dataclass(slots=True)
class AccountFound:
    """What testing an account's credentials found."""

    account_id: str
    """The account's identity, the entry's unique id: the same account is never added twice."""
    title: str
    vehicles: dict[str, str] = field(default_factory=dict)
    """The account's cars: unique id (VIN, re.alto entity id) to a label for the picker."""
    account_id_is_fallback: bool = False
    """The API names no account, so ``account_id`` was made from what it does name.
    Reauth and reconfigure then accept the entry's own id when the cars overlap."""
    api_url: str = ""
    """Where the API answered, after a wrong-region redirect; "" to keep the entry's."""
    needs_pairing: dict[str, str] = field(default_factory=dict)
    """Cars that must be paired with this installation's key first: id to name."""


class CredentialsGone(Exception):
    """The credentials an entry was set up with (application credentials) were deleted."""


type Probe = Callable[[HomeAssistant, Mapping[str, Any], ConfigEntry[Any] | None], Awaitable[AccountFound]]
"""Test an entry's settings with the API: (hass, entry data, the entry being
reconfigured or None).  Raises ``ApiError`` (shown on the form), ``OSError`` (a CA file
that cannot be read) or ``CredentialsGone``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Provider:
    """One car API, as the integration's generic parts see it."""

    key: str
    """Stored in the entry's ``provider`` key."""
    menu_steps: tuple[str, ...]
    """The set-up menu's entries for this provider: config-flow step ids."""
    async_probe: Probe
    async_setup: Callable[[HomeAssistant, EVChargeControlConfigEntry], Awaitable[AccountVehicles]]
    """The account's vehicles for a loaded entry; raises ``ConfigEntryNotReady`` or
    ``ConfigEntryAuthFailed`` as set-up does."""
    reauth_step: Callable[[Mapping[str, Any]], str]
    """The config-flow step that asks for new credentials, from the entry's data."""
    reconfigure_step: Callable[[Mapping[str, Any]], str]
    """The config-flow step that changes where requests go, from the entry's data."""
    async_forget: Callable[[HomeAssistant, str], Awaitable[None]] | None = None
    """What to delete with an entry besides its repairs (by entry id): saved tokens."""
    secret_keys: frozenset[str] = frozenset()
    """Entry data keys the diagnostics download must hide."""


def fallback_account_id(prefix: str, ids: list[str]) -> str:
    """An account identity made from the API's own ids, when it names no account."""
    return f"{prefix}-" + hashlib.sha256(",".join(sorted(ids)).encode()).hexdigest()[:16]
