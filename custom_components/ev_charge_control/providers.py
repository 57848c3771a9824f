"""Every provider the integration knows, by the key its entries store."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from .const import (
    CONF_ACCESS_TOKEN,
    CONF_CA_FILE,
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    CONF_DOMAIN,
    CONF_PROVIDER,
    PROVIDER_REALTO,
    PROVIDER_TESLA,
)
from .provider import Provider
from .setup_realto import async_probe_realto, async_setup_realto
from .setup_tesla import async_forget_tokens, async_probe_tesla, async_setup_tesla


def _tesla_reauth_step(data: Mapping[str, Any]) -> str:
    # A token issued elsewhere is typed in again; a Tesla sign-in is done again.
    return "reauth_token" if CONF_ACCESS_TOKEN in data else "reauth_confirm"


def _tesla_reconfigure_step(data: Mapping[str, Any]) -> str:
    return "reconfigure_token" if CONF_ACCESS_TOKEN in data else "reconfigure_commands"


TESLA: Final = Provider(
    key=PROVIDER_TESLA,
    menu_steps=("tesla_oauth", "tesla_token"),
    async_probe=async_probe_tesla,
    async_setup=async_setup_tesla,
    reauth_step=_tesla_reauth_step,
    reconfigure_step=_tesla_reconfigure_step,
    async_forget=async_forget_tokens,
    # "auth_implementation": Home Assistant builds it from the application's client id.
    secret_keys=frozenset({"token", "auth_implementation", CONF_ACCESS_TOKEN, CONF_CA_FILE, CONF_DOMAIN}),
)

REALTO: Final = Provider(
    key=PROVIDER_REALTO,
    menu_steps=("realto",),
    async_probe=async_probe_realto,
    async_setup=async_setup_realto,
    reauth_step=lambda _data: "reauth_realto",
    reconfigure_step=lambda _data: "reconfigure_realto",
    secret_keys=frozenset({CONF_CLIENT_ID, CONF_CLIENT_SECRET}),
)

PROVIDERS: Final[dict[str, Provider]] = {provider.key: provider for provider in (TESLA, REALTO)}
"""The registry: a new provider is one more entry here (docs/adding-a-provider.md)."""


def provider_of(data: Mapping[str, Any]) -> Provider | None:
    """The provider an entry was set up with; None for one this version does not know."""
    return PROVIDERS.get(str(data.get(CONF_PROVIDER)))
