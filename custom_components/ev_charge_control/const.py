"""Constants of the EV Charge Control integration."""

from typing import Final

DOMAIN: Final = "ev_charge_control"
