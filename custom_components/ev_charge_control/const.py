"""Constants of the EV Charge Control integration."""

from __future__ import annotations

from datetime import timedelta
import logging
from typing import Final

DOMAIN: Final = "ev_charge_control"
LOGGER = logging.getLogger(__package__)

# Config entry keys.
CONF_PROVIDER: Final = "provider"
CONF_API_URL: Final = "api_url"
CONF_ACCESS_TOKEN: Final = "access_token"  # noqa: S105 - a key, not a secret
CONF_PROXY_URL: Final = "proxy_url"
CONF_CA_FILE: Final = "ca_file"
CONF_VEHICLES: Final = "vehicles"
CONF_KNOWN_VEHICLES: Final = "known_vehicles"
"""Every vehicle the account had when last looked at; a vehicle missing here is new."""
CONF_CLIENT_ID: Final = "client_id"
CONF_CLIENT_SECRET: Final = "client_secret"  # noqa: S105 - a key, not a secret
CONF_SIGNING: Final = "signing"
"""How a Tesla account's commands are signed: SIGNING_KEY, or absent (plain REST, or the proxy)."""
CONF_DOMAIN: Final = "domain"
"""The domain of the user's Tesla developer application, where its public key is hosted."""
SIGNING_KEY: Final = "key"

PROVIDER_TESLA: Final = "tesla"
PROVIDER_REALTO: Final = "realto"

# Set to a base URL (e.g. the project's simulator) to run Tesla's OAuth flow against it
# instead of auth.tesla.com; used by the demo and the end-to-end tests.
ENV_TESLA_AUTH_URL: Final = "EV_CHARGE_CONTROL_TESLA_AUTH_URL"
# The same developer override also stands in for the Tesla app's pairing page
# (tesla.com/_ak/<domain>), which the simulator plays.
TESLA_PAIRING_URL: Final = "https://tesla.com/_ak/{domain}"

# --- Tesla polling policy -----------------------------------------------------------
# Tesla bills every vehicle_data call ($0.002) and a car that is asked for data stays
# awake. The vehicle list (one request for the whole account) is free and never wakes
# a car, so it is the only thing polled while cars sleep.
TESLA_STATE_INTERVAL: Final = timedelta(minutes=5)
# While charging, fresh enough for a dashboard: never older than Home Assistant's Tesla
# Fleet integration (10 min), at the same cost per charging hour.
TESLA_CHARGING_INTERVAL: Final = timedelta(minutes=9)
# Data this recent that says "charging" proves the car is awake (it needs the session to
# end and then 10-15 quiet minutes to fall asleep): its next data poll skips the state check.
TESLA_CHARGING_AWAKE: Final = timedelta(minutes=10)
# Online but idle (parked with the app open, driving): refresh rarely, so a car that
# treats data requests as activity can still fall asleep between two of them.
TESLA_IDLE_DATA_INTERVAL: Final = timedelta(minutes=30)
# The free account-wide state check is shared by every vehicle coordinator polling
# within this window, so N sleeping cars cost one request per cycle, not N.
TESLA_STATE_MAX_AGE: Final = timedelta(seconds=30)
# A command is sent without a state check when the car was seen online this recently.
TESLA_RECENTLY_ONLINE: Final = timedelta(minutes=2)
# Refusing a request ("not plugged in") or skipping it ("already charging") on values
# older than this first refreshes them if the car is awake: a car plugged in after a
# drive would otherwise have the automation's current and start refused...
TESLA_DECISION_MAX_AGE: Final = timedelta(minutes=2)
# ...but at most once per this long, longer than the 10-15 minutes a car needs to fall
# asleep, so an automation that keeps asking an unplugged car cannot keep it awake.
TESLA_DECISION_REFRESH_SPACING: Final = timedelta(minutes=16)
# Not spaced while the car is awake anyway: driving, charging, or this soon after a
# drive ended (when a cable often goes in).
TESLA_JUST_PARKED: Final = timedelta(minutes=15)
TESLA_WAKE_TIMEOUT: Final = 60.0

# After a command whose outcome the car's reply does not settle (charging started?),
# refresh once this long after the last command.
CONFIRM_DELAY: Final = timedelta(seconds=15)
# Slider drags and looping automations: wait this long after the last change, then
# send one command with the final value.
COALESCE_DELAY: Final = 1.0

# How often an account is checked for cars added after setup.
DISCOVERY_INTERVAL: Final = timedelta(minutes=30)

MANUFACTURER_TESLA: Final = "Tesla"
