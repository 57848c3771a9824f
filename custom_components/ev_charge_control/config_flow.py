"""Setting up an account: Tesla by OAuth or by access token (and re.alto), then vehicles.

Credentials are tested before an entry is created.  The entry's unique id is the
account's identity as the API reports it, never something the user typed, so the same
account cannot be added twice and a reauthentication cannot switch accounts.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, field
import hashlib
import json
import os
from typing import Any, override

from homeassistant.config_entries import SOURCE_REAUTH, SOURCE_RECONFIGURE, ConfigEntry, ConfigFlowResult
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers import config_entry_oauth2_flow
from homeassistant.helpers.network import NoURLAvailableError, get_url
from homeassistant.helpers.selector import (
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import voluptuous as vol
from yarl import URL

from .api import (
    ApiError,
    ApiMoved,
    AuthenticationError,
    BillingLimitReached,
    CommunicationError,
    MalformedResponse,
    MissingScope,
    RateLimited,
    ServerError,
    WrongRegion,
)
from .api.realto.const import BASE_URL as REALTO_BASE_URL
from .api.tesla import BASE_URLS
from .api.tesla.const import BASE_URL_NA
from .api.urls import safe_base_url
from .compat import ImplementationUnavailableError
from .const import (
    CONF_ACCESS_TOKEN,
    CONF_API_URL,
    CONF_CA_FILE,
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    CONF_DOMAIN,
    CONF_KNOWN_VEHICLES,
    CONF_PROVIDER,
    CONF_PROXY_URL,
    CONF_SIGNING,
    CONF_VEHICLES,
    DOMAIN,
    LOGGER,
    PROVIDER_REALTO,
    PROVIDER_TESLA,
    SIGNING_KEY,
)
from .partner import Application, async_register
from .public_key_view import async_serve_public_key
from .repairs import pairing_schema
from .setup_realto import create_client as create_realto_client
from .setup_tesla import TokenSource, async_create_client, oauth_token_source, static_token_source
from .signing import PUBLIC_KEY_PATH, async_get_or_create_key, normalize_domain, pairing_url, public_key_url
from .tesla import TeslaAccount, vehicle_name

PASSWORD = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
URL_FIELD = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))
# Either one lets the integration send charging commands (Tesla accepts both).
COMMAND_SCOPES = frozenset({"vehicle_cmds", "vehicle_charging_cmds"})
# How a signed-in Tesla account's commands reach cars that need them signed.
COMMAND_ROUTES = ["signing_domain", "oauth_api", "plain_commands"]
CONF_PAIR_LATER = "pair_later"


def valid_api_url(value: str) -> bool:
    """An https URL, or http to this machine only (a local proxy or the simulator).

    The API client applies the same rule to a base URL an API names (a wrong-region
    answer), so whatever becomes the entry's API URL has passed it.
    """
    return safe_base_url(value)


def token_claims(access_token: str) -> dict[str, Any]:
    """The claims of a JWT access token, unverified (only to find region and account)."""
    parts = access_token.split(".")
    if len(parts) != 3:
        return {}
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (binascii.Error, ValueError):
        return {}
    return claims if isinstance(claims, dict) else {}


def region_base_url(access_token: str) -> str:
    """The Fleet API host that serves the token's account (Tesla puts it in the token)."""
    claims = token_claims(access_token)
    region = str(claims.get("ou_code", "")).lower()
    # JWT allows one audience or a list; anything else is no audience at all.
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    urls = [a.rstrip("/") for a in audiences if isinstance(a, str)]
    # The claims are not verified here, so an audience is only a choice among Tesla's
    # own regional hosts, compared exactly (a look-alike host is no Fleet API).
    if BASE_URLS.get(region) in urls:
        return BASE_URLS[region]
    for url in urls:
        # Only a server on this machine (the simulator, through the developer override of
        # the OAuth server) issues tokens for a local address, and it serves the API too.
        if url.startswith("http://") and valid_api_url(url):
            return url
    if region in BASE_URLS:
        return BASE_URLS[region]
    return next((url for url in urls if url in BASE_URLS.values()), BASE_URL_NA)


def _check_command_scope(access_token: str) -> None:
    """Raise ``MissingScope`` when a token that lists its scopes grants no commands.

    Tesla's consent page lets users untick permissions, and listing vehicles works
    without the command ones, so only the token itself tells before the first command
    fails.  Opaque tokens say nothing and pass.
    """
    granted = token_claims(access_token).get("scp")
    if isinstance(granted, list) and not any(isinstance(s, str) and s in COMMAND_SCOPES for s in granted):
        raise MissingScope("the token grants no vehicle commands")


def _error_key(err: ApiError) -> str:
    if isinstance(err, AuthenticationError):
        return "invalid_auth"
    if isinstance(err, MissingScope):
        return "missing_scope"
    if isinstance(err, BillingLimitReached):
        return "billing_limit"
    if isinstance(err, ApiMoved):
        return "api_moved"
    if isinstance(err, WrongRegion):
        return "region_not_followed"
    # An answer that is not the API's (a wrong URL's web page, a broken proxy) is as
    # good as none: "Unexpected error" gave the user nothing to check.
    if isinstance(err, (CommunicationError, ServerError, RateLimited, MalformedResponse)):
        return "cannot_connect"
    if err.status == 412:
        # Tesla's "precondition failed": the application is not registered for the
        # account's region (fleet_status, vehicle calls after a region change).
        return "not_registered"
    return "unknown"


@dataclass
class _Found:
    """What testing the credentials found."""

    account_id: str
    title: str
    vehicles: dict[str, str] = field(default_factory=dict)
    """The account's cars: id (VIN or re.alto entity id) to a label for the picker."""
    # Where the API answered, after any wrong-region redirect; "" behind a proxy.
    api_url: str = ""
    needs_signing: dict[str, str] = field(default_factory=dict)
    """Tesla cars that take signed commands only: VIN to name."""


class _CredentialsGone(Exception):
    """The application credentials a signed-in entry uses were deleted."""


def _fallback_id(prefix: str, ids: list[str]) -> str:
    """An account identity from the API's own ids, when it names no account."""
    return f"{prefix}-" + hashlib.sha256(",".join(sorted(ids)).encode()).hexdigest()[:16]


def _realto_schema(defaults: Mapping[str, Any], *, with_url: bool = True) -> vol.Schema:
    fields: dict[vol.Marker, Any] = {}
    if with_url:
        fields[vol.Required(CONF_API_URL, default=defaults.get(CONF_API_URL, REALTO_BASE_URL))] = URL_FIELD
    fields[vol.Required(CONF_CLIENT_ID, default=defaults.get(CONF_CLIENT_ID, ""))] = str
    fields[vol.Required(CONF_CLIENT_SECRET)] = PASSWORD
    return vol.Schema(fields)


class EVChargeControlConfigFlow(config_entry_oauth2_flow.AbstractOAuth2FlowHandler, domain=DOMAIN):
    """The user, OAuth, token, vehicles, reauth and reconfigure steps."""

    DOMAIN = DOMAIN
    VERSION = 1

    def __init__(self) -> None:
        super().__init__()
        self._data: dict[str, Any] = {}
        self._found: _Found | None = None

    @property
    @override
    def logger(self) -> Any:
        return LOGGER

    # ------------------------------------------------------------------ start
    @override
    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        return self.async_show_menu(step_id="user", menu_options=["tesla_oauth", "tesla_token", "realto"])

    async def async_step_tesla_oauth(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        return await self.async_step_pick_implementation()

    @override
    async def async_oauth_create_entry(self, data: dict[str, Any]) -> ConfigFlowResult:
        """Signed in with Tesla: find the region, then offer a local proxy."""
        self._data = {
            **self._data,
            CONF_PROVIDER: PROVIDER_TESLA,
            **data,
            CONF_API_URL: region_base_url(data["token"]["access_token"]),
        }
        if self.source == SOURCE_REAUTH:
            entry = self._get_reauth_entry()
            self._data = {
                **entry.data,
                "token": data["token"],
                "auth_implementation": data["auth_implementation"],
            }
            return await self._async_test_and_finish(None)
        return await self.async_step_commands()

    async def async_step_commands(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """How commands reach cars built since 2021, which accept signed commands only."""
        return self.async_show_menu(step_id="commands", menu_options=COMMAND_ROUTES)

    async def async_step_plain_commands(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Plain commands: enough for pre-2021 Model S and X."""
        for key in (CONF_PROXY_URL, CONF_CA_FILE, CONF_SIGNING, CONF_DOMAIN):
            self._data.pop(key, None)
        return await self._async_test_and_finish(None)

    # ------------------------------------------------------------ signing
    async def async_step_signing_domain(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Sign here: the application's domain hosts our public key; Tesla registers it."""
        key = await async_get_or_create_key(self.hass)
        async_serve_public_key(self.hass)
        errors: dict[str, str] = {}
        detail = ""
        if user_input is not None:
            domain = normalize_domain(str(user_input.get(CONF_DOMAIN) or ""))
            if domain is None:
                errors[CONF_DOMAIN] = "invalid_domain"
            else:
                try:
                    app = await self._async_application()
                except (ImplementationUnavailableError, ValueError):
                    # The application credentials were deleted since signing in: older
                    # Home Assistant raises ValueError, 2026.10+ UnknownImplementationError
                    # (a ConfigEntryAuthFailed that is also a ValueError).
                    return self.async_abort(reason="missing_credentials")
                problem = await async_register(self.hass, app, self._data[CONF_API_URL], domain, key)
                if problem is None:
                    for stale in (CONF_PROXY_URL, CONF_CA_FILE):
                        self._data.pop(stale, None)
                    self._data.update({CONF_SIGNING: SIGNING_KEY, CONF_DOMAIN: domain})
                    return await self._async_test_and_finish("signing_domain")
                errors["base"], detail = problem
        return await self._async_show_signing_domain(errors, user_input, detail)

    async def _async_show_signing_domain(
        self, errors: dict[str, str], user_input: Mapping[str, Any] | None = None, detail: str = ""
    ) -> ConfigFlowResult:
        key = await async_get_or_create_key(self.hass)
        suggested = (user_input or {}).get(CONF_DOMAIN) or self._data.get(CONF_DOMAIN) or self._own_domain()
        schema = self.add_suggested_values_to_schema(
            vol.Schema({vol.Required(CONF_DOMAIN): str}), {CONF_DOMAIN: suggested} if suggested else {}
        )
        domain = normalize_domain(str(suggested or "")) or "<your-domain>"
        return self.async_show_form(
            step_id="signing_domain",
            data_schema=schema,
            errors=errors,
            description_placeholders={
                "public_key": key.public_pem().decode().strip(),
                "key_path": PUBLIC_KEY_PATH,
                "key_url": public_key_url(domain),
                "detail": detail,
            },
        )

    def _own_domain(self) -> str | None:
        """Where this Home Assistant is reached: it serves the key there by itself."""
        try:
            url = URL(get_url(self.hass, prefer_external=True))
        except NoURLAvailableError:
            return None
        host = url.host or ""
        # Only a domain Tesla could use: not a LAN address with a port.
        return normalize_domain(host if url.explicit_port is None else f"{host}:{url.explicit_port}")

    async def _async_application(self) -> Application:
        """The developer application behind the sign-in: its client id, secret and token URL."""
        if self.source == SOURCE_RECONFIGURE:
            implementation = await config_entry_oauth2_flow.async_get_config_entry_implementation(
                self.hass, self._get_reconfigure_entry()
            )
        else:
            implementation = self.flow_impl
        assert isinstance(implementation, config_entry_oauth2_flow.LocalOAuth2Implementation)
        return Application(implementation.client_id, implementation.client_secret, implementation.token_url)

    async def async_step_signing_pair(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Each car that needs signing must know the key: the owner pairs it in the Tesla app."""
        assert self._found is not None
        needing = self._found.needs_signing
        domain = str(self._data[CONF_DOMAIN])
        errors: dict[str, str] = {}
        placeholders = {
            "pairing_url": pairing_url(domain),
            "domain": domain,
            "cars": ", ".join(needing.values()),
            "unpaired": "",
        }
        if user_input is not None:
            if user_input.get(CONF_PAIR_LATER):
                return await self._async_finish()
            try:
                unpaired = await self._async_unpaired(list(needing))
            except ApiError as err:
                errors["base"] = _error_key(err)
            else:
                if not unpaired:
                    return await self._async_finish()
                errors["base"] = "not_paired"
                placeholders["unpaired"] = ", ".join(needing[vin] for vin in needing if vin in unpaired)
        schema = pairing_schema(domain).extend({vol.Optional(CONF_PAIR_LATER, default=False): bool})
        return self.async_show_form(
            step_id="signing_pair", data_schema=schema, errors=errors, description_placeholders=placeholders
        )

    async def _async_unpaired(self, vins: list[str]) -> set[str]:
        client = await async_create_client(
            self.hass, await self._async_token_source(), self._data[CONF_API_URL]
        )
        return await TeslaAccount(client).async_unpaired(vins)

    async def _async_token_source(self) -> TokenSource:
        """The token to test with: a signed-in entry being reconfigured refreshes its own.

        Its access token may have lapsed while it was not loaded; the refresh spends the
        refresh token, so it goes through the entry's session, which keeps the rotation
        (and waits for a refresh of the loaded entry under way).
        """
        data = self._data
        if self.source != SOURCE_RECONFIGURE or "token" not in data:
            return static_token_source(
                data["token"]["access_token"] if "token" in data else data[CONF_ACCESS_TOKEN]
            )
        try:
            return await oauth_token_source(self.hass, self._get_reconfigure_entry())
        except (ConfigEntryNotReady, ValueError) as err:
            # ValueError: Home Assistant 2026.10+ UnknownImplementationError.
            raise _CredentialsGone from err

    async def async_step_oauth_api(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Route through a local tesla-http-proxy, which signs the commands itself."""
        if user_input is not None:
            return await self._async_proxy_input(user_input, "oauth_api")
        return self.async_show_form(step_id="oauth_api", data_schema=self._proxy_schema(self._data))

    async def async_step_tesla_token(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """An access token for a compatible endpoint or a proxy that issues its own."""
        errors: dict[str, str] = {}
        if user_input is not None:
            api_url = str(user_input.get(CONF_API_URL, "")).strip().rstrip("/")
            token = str(user_input.get(CONF_ACCESS_TOKEN, "")).strip()
            if not valid_api_url(api_url):
                errors[CONF_API_URL] = "invalid_url"
            if not token:
                errors[CONF_ACCESS_TOKEN] = "empty_token"
            if not errors:
                self._data = {CONF_PROVIDER: PROVIDER_TESLA, CONF_API_URL: api_url, CONF_ACCESS_TOKEN: token}
                return await self._async_test_and_finish("tesla_token")
        schema = vol.Schema(
            {
                vol.Required(CONF_API_URL, default=BASE_URL_NA): URL_FIELD,
                vol.Required(CONF_ACCESS_TOKEN): PASSWORD,
            }
        )
        return self.async_show_form(
            step_id="tesla_token",
            data_schema=self.add_suggested_values_to_schema(schema, user_input or {}),
            errors=errors,
        )

    async def async_step_realto(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """re.alto: the platform URL and the client credentials re.alto issued."""
        if user_input is not None:
            errors = self._realto_input(user_input, with_url=True)
            if errors:
                return self.async_show_form(
                    step_id="realto", data_schema=_realto_schema(user_input), errors=errors
                )
            return await self._async_test_and_finish("realto")
        return self.async_show_form(step_id="realto", data_schema=_realto_schema({}))

    def _realto_input(self, user_input: Mapping[str, Any], *, with_url: bool) -> dict[str, str]:
        """Check re.alto fields and keep them; returns form errors."""
        errors: dict[str, str] = {}
        data = {
            key: str(user_input.get(key) or "").strip()
            for key in (CONF_API_URL, CONF_CLIENT_ID, CONF_CLIENT_SECRET)
        }
        if not with_url:
            data[CONF_API_URL] = self._data[CONF_API_URL]
        data[CONF_API_URL] = data[CONF_API_URL].rstrip("/")
        if not valid_api_url(data[CONF_API_URL]):
            errors[CONF_API_URL] = "invalid_url"
        for key in (CONF_CLIENT_ID, CONF_CLIENT_SECRET):
            if not data[key]:
                errors[key] = "empty_field"
        if not errors:
            self._data = {**self._data, CONF_PROVIDER: PROVIDER_REALTO, **data}
        return errors

    # --------------------------------------------------------------- testing
    def _proxy_schema(self, defaults: Mapping[str, Any]) -> vol.Schema:
        schema = vol.Schema({vol.Optional(CONF_PROXY_URL): URL_FIELD, vol.Optional(CONF_CA_FILE): str})
        return self.add_suggested_values_to_schema(schema, defaults)

    async def _async_proxy_input(self, user_input: dict[str, Any], step_id: str) -> ConfigFlowResult:
        errors: dict[str, str] = {}
        proxy = str(user_input.get(CONF_PROXY_URL) or "").strip().rstrip("/")
        ca_file = str(user_input.get(CONF_CA_FILE) or "").strip()
        if proxy and not valid_api_url(proxy):
            errors[CONF_PROXY_URL] = "invalid_url"
        if ca_file and not await self.hass.async_add_executor_job(os.path.isfile, ca_file):
            errors[CONF_CA_FILE] = "invalid_ca_file"
        if errors:
            return self.async_show_form(
                step_id=step_id, data_schema=self._proxy_schema(user_input), errors=errors
            )
        for key, value in ((CONF_PROXY_URL, proxy), (CONF_CA_FILE, ca_file)):
            if value:
                self._data[key] = value
            else:
                self._data.pop(key, None)
        # The proxy signs, or nothing does: this installation's key is not used.
        self._data.pop(CONF_SIGNING, None)
        self._data.pop(CONF_DOMAIN, None)
        return await self._async_test_and_finish(step_id)

    async def _async_probe(self) -> _Found:
        """Call the API with the collected settings; raises ``ApiError``."""
        if self._data.get(CONF_PROVIDER) == PROVIDER_REALTO:
            return await self._async_probe_realto()
        return await self._async_probe_tesla()

    async def _async_probe_realto(self) -> _Found:
        data = self._data
        client = create_realto_client(
            self.hass, data[CONF_API_URL], data[CONF_CLIENT_ID], data[CONF_CLIENT_SECRET]
        )
        await client.authenticate()
        entities = await client.list_entities()
        account_id = client.principal or (
            _fallback_id("entities", [e.id for e in entities]) if entities else ""
        )
        return _Found(
            account_id=account_id,
            title=f"re.alto ({data[CONF_CLIENT_ID]})",
            vehicles={e.id: f"{e.display_name} ({e.vin or e.id})" for e in entities},
        )

    async def _async_probe_tesla(self) -> _Found:
        data = self._data
        source = await self._async_token_source()
        token = await source.provider()
        _check_command_scope(token)
        proxy = data.get(CONF_PROXY_URL)
        base_url = proxy or data[CONF_API_URL]
        client = await async_create_client(self.hass, source, base_url, data.get(CONF_CA_FILE))
        # The token form defaults to North America: follow Tesla's "use base URL" answer
        # once, as setup does, rather than fail on an account elsewhere (not behind a
        # proxy, which would be bypassed).
        vehicles = await TeslaAccount(client, follow_region=not proxy).async_list_vehicles()
        account_id = title = None
        try:
            account = await client.account()
            account_id, title = account.account_id, account.email or account.full_name
        except ApiError as err:
            # Proxies and compatible services may not serve users/me.
            LOGGER.debug("No account details from %s: %s", base_url, type(err).__name__)
        if not account_id:
            account_id = token_claims(token).get("sub")
        if not account_id and vehicles:
            account_id = _fallback_id("vins", [v.vin for v in vehicles])
        return _Found(
            account_id=str(account_id or ""),
            title=title or "Tesla",
            vehicles={v.vin: f"{v.display_name or v.vin} ({v.vin})" for v in vehicles},
            api_url="" if proxy else client.base_url,
            needs_signing={v.vin: vehicle_name(v) for v in vehicles if v.command_signing == "required"},
        )

    async def _async_test_and_finish(self, step_id: str | None) -> ConfigFlowResult:
        """Test the settings; show errors on the form of ``step_id``, or go on."""
        errors: dict[str, str] = {}
        try:
            found = await self._async_probe()
        except ApiError as err:
            errors["base"] = _error_key(err)
        except OSError:
            errors["base"] = "invalid_ca_file"
        except _CredentialsGone:
            return self.async_abort(reason="missing_credentials")
        else:
            if not found.vehicles:
                errors["base"] = "no_vehicles"
        if errors:
            if step_id is None:
                return self.async_abort(reason=errors["base"])
            return await self._async_show_step_again(step_id, errors)
        self._found = found
        # Every car seen now; a car added to the account later is recognised as new.
        self._data[CONF_KNOWN_VEHICLES] = list(found.vehicles)
        if found.api_url:
            self._data[CONF_API_URL] = found.api_url
        await self.async_set_unique_id(found.account_id)
        if self.source == SOURCE_REAUTH:
            self._abort_if_unique_id_mismatch(reason="wrong_account")
            return self.async_update_reload_and_abort(self._get_reauth_entry(), data=self._data)
        if self.source == SOURCE_RECONFIGURE:
            self._abort_if_unique_id_mismatch(reason="wrong_account")
        else:
            self._abort_if_unique_id_configured()
        if self._data.get(CONF_SIGNING) == SIGNING_KEY and found.needs_signing:
            return await self.async_step_signing_pair()
        return await self._async_finish()

    async def _async_finish(self) -> ConfigFlowResult:
        """The settings work: save them, or pick the cars of a new account."""
        assert self._found is not None
        if self.source == SOURCE_RECONFIGURE:
            entry = self._get_reconfigure_entry()
            if "token" in self._data:
                # The entry's tokens as they are now: a refresh since this flow began
                # (the probe's, or the loaded entry's) spent the ones it copied.
                self._data["token"] = entry.data["token"]
            return self.async_update_reload_and_abort(entry, data=self._data)
        if len(self._found.vehicles) >= 2:
            return await self.async_step_vehicles()
        self._data[CONF_VEHICLES] = list(self._found.vehicles)
        return self.async_create_entry(title=self._found.title, data=self._data)

    async def _async_show_step_again(self, step_id: str, errors: dict[str, str]) -> ConfigFlowResult:
        if step_id == "signing_domain":
            return await self._async_show_signing_domain(errors)
        if step_id == "tesla_token":
            schema = vol.Schema(
                {
                    vol.Required(CONF_API_URL, default=self._data.get(CONF_API_URL, BASE_URL_NA)): URL_FIELD,
                    vol.Required(CONF_ACCESS_TOKEN): PASSWORD,
                }
            )
            return self.async_show_form(step_id=step_id, data_schema=schema, errors=errors)
        if step_id == "reauth_token":
            return self.async_show_form(
                step_id=step_id,
                data_schema=vol.Schema({vol.Required(CONF_ACCESS_TOKEN): PASSWORD}),
                errors=errors,
            )
        if step_id == "realto":
            return self.async_show_form(
                step_id=step_id, data_schema=_realto_schema(self._data), errors=errors
            )
        if step_id == "reauth_realto":
            schema = _realto_schema(self._data, with_url=False)
            return self.async_show_form(step_id=step_id, data_schema=schema, errors=errors)
        if step_id == "reconfigure" and self._data.get(CONF_PROVIDER) == PROVIDER_REALTO:
            schema = vol.Schema({vol.Required(CONF_API_URL, default=self._data[CONF_API_URL]): URL_FIELD})
            return self.async_show_form(step_id=step_id, data_schema=schema, errors=errors)
        if step_id == "reconfigure" and CONF_ACCESS_TOKEN in self._data:
            schema = vol.Schema({vol.Required(CONF_API_URL, default=self._data[CONF_API_URL]): URL_FIELD})
            return self.async_show_form(step_id=step_id, data_schema=schema, errors=errors)
        return self.async_show_form(
            step_id=step_id, data_schema=self._proxy_schema(self._data), errors=errors
        )

    # -------------------------------------------------------------- vehicles
    async def async_step_vehicles(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Pick which of the account's cars to add (all by default)."""
        assert self._found is not None
        errors: dict[str, str] = {}
        known = set(self._found.vehicles)
        if user_input is not None:
            chosen = [key for key in user_input.get(CONF_VEHICLES, []) if key in known]
            if chosen:
                self._data[CONF_VEHICLES] = chosen
                return self.async_create_entry(title=self._found.title, data=self._data)
            errors[CONF_VEHICLES] = "no_vehicles_selected"
        options = [SelectOptionDict(value=key, label=label) for key, label in self._found.vehicles.items()]
        schema = vol.Schema(
            {
                vol.Required(CONF_VEHICLES, default=sorted(known)): SelectSelector(
                    SelectSelectorConfig(options=options, multiple=True)
                )
            }
        )
        return self.async_show_form(step_id="vehicles", data_schema=schema, errors=errors)

    # ------------------------------------------------------------------ reauth
    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        entry = self._get_reauth_entry()
        if entry.data.get(CONF_PROVIDER) == PROVIDER_REALTO:
            return await self.async_step_reauth_realto()
        if CONF_ACCESS_TOKEN in entry.data:
            return await self.async_step_reauth_token()
        if user_input is None:
            return self.async_show_form(step_id="reauth_confirm")
        return await self.async_step_pick_implementation()

    async def async_step_reauth_token(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """A new access token for a token-based entry."""
        if user_input is not None:
            token = str(user_input.get(CONF_ACCESS_TOKEN, "")).strip()
            if not token:
                return await self._async_show_step_again("reauth_token", {CONF_ACCESS_TOKEN: "empty_token"})
            self._data = {**self._get_reauth_entry().data, CONF_ACCESS_TOKEN: token}
            return await self._async_test_and_finish("reauth_token")
        return self.async_show_form(
            step_id="reauth_token", data_schema=vol.Schema({vol.Required(CONF_ACCESS_TOKEN): PASSWORD})
        )

    async def async_step_reauth_realto(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """New client credentials for a re.alto entry."""
        self._data = dict(self._get_reauth_entry().data)
        if user_input is not None:
            errors = self._realto_input(user_input, with_url=False)
            if errors:
                return await self._async_show_step_again("reauth_realto", errors)
            return await self._async_test_and_finish("reauth_realto")
        return self.async_show_form(
            step_id="reauth_realto", data_schema=_realto_schema(self._data, with_url=False)
        )

    # -------------------------------------------------------------- reconfigure
    async def async_step_reconfigure(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Change where requests go: the API URL, or the local proxy and its CA file."""
        entry: ConfigEntry[Any] = self._get_reconfigure_entry()
        self._data = dict(entry.data)
        if CONF_ACCESS_TOKEN in entry.data or entry.data.get(CONF_PROVIDER) == PROVIDER_REALTO:
            if user_input is not None:
                api_url = str(user_input.get(CONF_API_URL, "")).strip().rstrip("/")
                if not valid_api_url(api_url):
                    return await self._async_show_step_again("reconfigure", {CONF_API_URL: "invalid_url"})
                self._data[CONF_API_URL] = api_url
                return await self._async_test_and_finish("reconfigure")
            schema = vol.Schema({vol.Required(CONF_API_URL, default=entry.data[CONF_API_URL]): URL_FIELD})
            return self.async_show_form(step_id="reconfigure", data_schema=schema)
        # A signed-in account: choose again how commands reach the cars.
        return self.async_show_menu(step_id="reconfigure", menu_options=COMMAND_ROUTES)
