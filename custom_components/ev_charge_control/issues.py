"""The repairs this integration raises, one per car and entry, and their removal.

A car that needs signed commands shows one of two repairs:
* ``key_not_paired``: commands are signed here, but the car does not know the key yet.
  It is fixable: the repair flow shows the pairing link and checks with Tesla.
* ``signing_not_set_up``: the entry sends plain commands, which the car refuses.  The
  fix is a choice only the user can make (sign here, or a proxy), under Reconfigure.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN
from .signing import pairing_url

ISSUE_KEY_NOT_PAIRED = "key_not_paired"
ISSUE_SIGNING_NOT_SET_UP = "signing_not_set_up"
README_SIGNING_URL = "https://github.com/ev-charge-control/ev_charge_control#tesla-commands-and-signing"


def issue_id(kind: str, entry_id: str, vin: str) -> str:
    return f"{kind}_{entry_id}_{vin.lower()}"


@callback
def async_raise_key_not_paired(hass: HomeAssistant, entry_id: str, vin: str, name: str, domain: str) -> None:
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id(ISSUE_KEY_NOT_PAIRED, entry_id, vin),
        is_fixable=True,
        is_persistent=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key=ISSUE_KEY_NOT_PAIRED,
        translation_placeholders={"name": name, "domain": domain, "pairing_url": pairing_url(domain)},
        data={"entry_id": entry_id, "vin": vin, "name": name, "domain": domain},
    )
    ir.async_delete_issue(hass, DOMAIN, issue_id(ISSUE_SIGNING_NOT_SET_UP, entry_id, vin))


@callback
def async_raise_signing_not_set_up(hass: HomeAssistant, entry_id: str, vin: str, name: str) -> None:
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id(ISSUE_SIGNING_NOT_SET_UP, entry_id, vin),
        is_fixable=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key=ISSUE_SIGNING_NOT_SET_UP,
        translation_placeholders={"name": name},
        learn_more_url=README_SIGNING_URL,
    )


@callback
def async_clear_car_issues(hass: HomeAssistant, entry_id: str, vin: str) -> None:
    """A signed or accepted command went through: nothing about signing is wrong."""
    for kind in (ISSUE_KEY_NOT_PAIRED, ISSUE_SIGNING_NOT_SET_UP):
        ir.async_delete_issue(hass, DOMAIN, issue_id(kind, entry_id, vin))


@callback
def async_clear_entry_issues(hass: HomeAssistant, entry_id: str) -> None:
    """The entry is gone (or set up again from scratch): so are its repairs."""
    registry = ir.async_get(hass)
    for domain, issue in list(registry.issues):
        if domain == DOMAIN and f"_{entry_id}_" in issue:
            ir.async_delete_issue(hass, DOMAIN, issue)
