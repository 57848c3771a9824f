"""A Tesla account from its settings: testing them for the config flow, and building
the client and vehicles of a loaded entry."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from aiohttp import ClientError, ClientResponseError
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryNotReady
from homeassistant.helpers import config_entry_oauth2_flow
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .api import (
    ApiError,
    AuthenticationError,
    CommunicationError,
    KeyNotPaired,
    LoginRequired,
    RateLimited,
    ServerError,
    SigningRequired,
)
from .api.tesla import TeslaClient, Vehicle as ApiVehicle, create_ssl_context
from .api.tesla.const import BASE_URL_NA
from .api.tesla.signing import SigningKey
from .compat import ImplementationUnavailableError, token_request_needs_reauth
from .const import (
    CONF_ACCESS_TOKEN,
    CONF_API_URL,
    CONF_CA_FILE,
    CONF_DOMAIN,
    CONF_PROXY_URL,
    CONF_SIGNING,
    DOMAIN,
    LOGGER,
    SIGNING_KEY,
)
from .coordinator import EVChargeControlConfigEntry
from .helpers import setup_error
from .issues import async_clear_car_issues, async_raise_key_not_paired, async_raise_signing_not_set_up
from .provider import AccountFound, CredentialsGone, fallback_account_id
from .signing import async_get_session_store, async_load_key
from .tesla import TeslaAccount, TeslaVehicle, vehicle_name
from .tesla_schedules import Home
from .tesla_token import check_command_scope, token_claims
from .vehicle import AccountVehicles, Vehicle


@dataclass(frozen=True, slots=True)
class TokenSource:
    """Where a client gets its access token, and what to do when it is rejected."""

    provider: Callable[[], Awaitable[str]]
    on_unauthorized: Callable[[str], Awaitable[None]] | None = None


TOKENS_STORE = f"{DOMAIN}.tokens"
"""Where each entry's rotated token set is written the moment Tesla issues it."""
TOKENS_KEY = f"{DOMAIN}_tokens"
"""The ``hass.data`` slot of what outlives an entry's reloads (``_Tokens``)."""


@dataclass
class _Tokens:
    """What outlives an entry's reloads: its refresh lock, and the saved rotations.

    One lock per entry, not per set-up: a refresh still on its way when the entry
    reloads holds the new set-up's requests back until its new tokens are stored, so
    Tesla's single-use refresh token is never spent twice.
    """

    store: Store[dict[str, dict[str, Any]]]
    saved: dict[str, dict[str, Any]] | None = None
    """By entry id: the token set, and the refresh token it ``replaces``."""
    locks: dict[str, asyncio.Lock] = field(default_factory=dict)
    loading: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def async_saved(self) -> dict[str, dict[str, Any]]:
        async with self.loading:
            if self.saved is None:
                self.saved = dict(await self.store.async_load() or {})
        return self.saved


def _tokens(hass: HomeAssistant) -> _Tokens:
    if TOKENS_KEY not in hass.data:
        hass.data[TOKENS_KEY] = _Tokens(Store(hass, 1, TOKENS_STORE, private=True))
    found: _Tokens = hass.data[TOKENS_KEY]
    return found


async def async_forget_tokens(hass: HomeAssistant, entry_id: str) -> None:
    """The entry is deleted: its saved tokens and its lock go with it."""
    tokens = _tokens(hass)
    tokens.locks.pop(entry_id, None)
    saved = await tokens.async_saved()
    if saved.pop(entry_id, None) is not None:
        await tokens.store.async_save(saved)


async def _async_restore_rotation(hass: HomeAssistant, entry: EVChargeControlConfigEntry) -> None:
    """Take the saved token set when the entry still holds the refresh token it replaced.

    Home Assistant writes config entries a second after they change; a stop in that
    second (a crash, a power cut) leaves the spent refresh token in the entry.  A
    newer sign-in holds another refresh token, and wins.
    """
    saved = (await _tokens(hass).async_saved()).get(entry.entry_id)
    token = entry.data.get("token") or {}
    if saved is not None and token.get("refresh_token") == saved["replaces"]:
        LOGGER.warning(
            "%s: the entry holds a refresh token already spent (Home Assistant stopped before "
            "writing it); using the token set saved at its last refresh",
            entry.title,
        )
        hass.config_entries.async_update_entry(entry, data={**entry.data, "token": saved["token"]})


async def oauth_token_source(hass: HomeAssistant, entry: EVChargeControlConfigEntry) -> TokenSource:
    """Tokens from Home Assistant's OAuth2 session for the entry.

    A refresh spends the single-use refresh token, so the new set is written to disk
    (``TOKENS_STORE``, at once) before its access token goes anywhere; the config entry
    has it too, a second later.  Refreshes of one entry, across reloads and the config
    flow, take turns on one lock.  A failed refresh raises the API's error:
    ``LoginRequired`` only when Tesla refused the grant, ``RateLimited``,
    ``CommunicationError`` or ``ServerError`` when it may work later.
    """
    try:
        implementation = await config_entry_oauth2_flow.async_get_config_entry_implementation(hass, entry)
    except ConfigEntryAuthFailed:
        # Home Assistant 2026.10+: the entry's application credential was deleted
        # (UnknownImplementationError); the user links the account again, as intended.
        raise
    except (ImplementationUnavailableError, ValueError) as err:
        # A provider that is down (2025.12+), or, before 2026.10, a deleted application
        # credential (a plain ValueError): try again later, as always.
        raise ConfigEntryNotReady(translation_domain=DOMAIN, translation_key="oauth_unavailable") from err
    await _async_restore_rotation(hass, entry)
    session = config_entry_oauth2_flow.OAuth2Session(hass, entry, implementation)
    tokens = _tokens(hass)
    lock = tokens.locks.setdefault(entry.entry_id, asyncio.Lock())

    async def provider() -> str:
        async with lock:
            before = session.token
            try:
                # TeslaImplementation raises the API's errors itself; Home Assistant's
                # own checks around it raise its OAuth errors (aiohttp errors too).
                await session.async_ensure_token_valid()
            except ClientError as err:
                raise token_refresh_error(err) from err
            after = session.token
            if after.get("refresh_token") != before.get("refresh_token"):
                saved = await tokens.async_saved()
                saved[entry.entry_id] = {"replaces": before.get("refresh_token"), "token": dict(after)}
                await tokens.store.async_save(saved)
            return str(after["access_token"])

    async def on_unauthorized(rejected: str) -> None:
        # The API said no to this token: make the next call refresh it (once per token).
        current = session.token
        if current.get("access_token") == rejected:
            hass.config_entries.async_update_entry(
                entry, data={**entry.data, "token": {**current, "expires_at": 0}}
            )

    return TokenSource(provider, on_unauthorized)


def token_refresh_error(err: ClientError) -> ApiError:
    """A token refresh that failed in Home Assistant's hands, as the API's error.

    ``LoginRequired`` (the user signs in again) only where Home Assistant says so: its
    reauth class on 2026.x, a 4xx but 429 on 2025.4.  A 429, a 5xx or no answer at all
    is a temporary failure, tried again later.
    """
    status = err.status if isinstance(err, ClientResponseError) else None
    detail = f"the token refresh failed ({status or 'no answer'})"
    if token_request_needs_reauth(err):
        return LoginRequired(detail, status=status)
    if status == HTTPStatus.TOO_MANY_REQUESTS:
        return RateLimited(detail, retry_after=None)
    if status is not None and status >= HTTPStatus.INTERNAL_SERVER_ERROR:
        return ServerError(detail, status=status)
    return CommunicationError(detail, status=status)


def _while_loaded(entry: EVChargeControlConfigEntry, source: TokenSource) -> TokenSource:
    """``source`` for one set-up: once that set-up is unloaded, a refused refresh (a
    poll that was under way) no longer asks the user to sign in; the entry's next
    set-up finds out for itself."""
    unloaded = False

    def mark_unloaded() -> None:
        nonlocal unloaded
        unloaded = True

    entry.async_on_unload(mark_unloaded)

    async def provider() -> str:
        try:
            return await source.provider()
        except AuthenticationError as err:
            if not unloaded:
                raise
            raise ApiError(
                f"the token refresh was refused after the entry was unloaded: {err.message}"
            ) from err

    return TokenSource(provider, source.on_unauthorized)


def static_token_source(token: str) -> TokenSource:
    """A token issued outside Home Assistant (a proxy or compatible service): no refresh."""

    async def provider() -> str:
        return token

    return TokenSource(provider)


async def async_create_client(
    hass: HomeAssistant,
    source: TokenSource,
    base_url: str,
    ca_file: str | None = None,
    signing_key: SigningKey | None = None,
) -> TeslaClient:
    """A client on Home Assistant's shared session; a proxy's CA file is loaded off the loop.

    With ``signing_key`` it signs commands for the cars it is told need it, keeping
    their sessions in Home Assistant's storage so a restart costs no new handshake.
    """
    ssl_context = await hass.async_add_executor_job(create_ssl_context, ca_file) if ca_file else None
    return TeslaClient(
        async_get_clientsession(hass),
        source.provider,
        base_url=base_url,
        ssl_context=ssl_context,
        on_unauthorized=source.on_unauthorized,
        signing_key=signing_key,
        session_store=await async_get_session_store(hass) if signing_key is not None else None,
        # Home Assistant's clock, which the tests' frozen time moves too.
        clock=lambda: dt_util.utcnow().timestamp(),
    )


async def _async_signing_key(hass: HomeAssistant, entry: EVChargeControlConfigEntry) -> SigningKey | None:
    """The key for an entry set up to sign commands here."""
    if entry.data.get(CONF_SIGNING) != SIGNING_KEY or entry.data.get(CONF_PROXY_URL):
        return None
    key = await async_load_key(hass)
    if key is None:
        # The key file was deleted, and the cars' pairing with it. Plain commands still
        # reach older cars; the others get the repair that says to set signing up again.
        LOGGER.warning(
            "The Tesla command key file is missing; set up command signing again under Reconfigure"
        )
    return key


async def async_setup_tesla(hass: HomeAssistant, entry: EVChargeControlConfigEntry) -> AccountVehicles:
    """The account's vehicles, each ready for a coordinator."""
    data = entry.data
    if "token" in data:
        source = _while_loaded(entry, await oauth_token_source(hass, entry))
        base_url = data.get(CONF_PROXY_URL) or data.get(CONF_API_URL) or BASE_URL_NA
    else:
        source = static_token_source(data[CONF_ACCESS_TOKEN])
        base_url = data.get(CONF_API_URL) or BASE_URL_NA
    signing_key = await _async_signing_key(hass, entry)
    try:
        client = await async_create_client(hass, source, base_url, data.get(CONF_CA_FILE), signing_key)
    except OSError as err:
        # The file went away or broke since it was chosen; a mount may just be late.
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="invalid_ca_file",
            translation_placeholders={"ca_file": str(data.get(CONF_CA_FILE)), "error": str(err)},
        ) from err

    async def remember_region(url: str) -> None:
        # Tesla answered "wrong region": keep its base URL for the next start too.
        hass.config_entries.async_update_entry(entry, data={**entry.data, CONF_API_URL: url})

    account = TeslaAccount(
        client,
        remember_region,
        follow_region=not data.get(CONF_PROXY_URL),
        signs_commands=signing_key is not None,
    )
    try:
        summaries = await account.async_list_vehicles()
    except ApiError as err:
        raise setup_error(err) from err
    home = Home(hass.config.latitude, hass.config.longitude)
    await _async_check_signing(hass, entry, account, summaries)

    async def discover() -> list[Vehicle]:
        # The shared state check every coordinator uses: usually no extra request.
        states = await account.async_vehicle_states()
        return [TeslaVehicle(account, summary, home) for summary in states.values()]

    @callback
    def on_command_error(vehicle: Vehicle, err: ApiError) -> None:
        """A refused command can tell that a car needs signing, or the key: its repair."""
        if isinstance(err, KeyNotPaired) and entry.data.get(CONF_DOMAIN):
            async_raise_key_not_paired(
                hass, entry.entry_id, vehicle.unique_id, vehicle.name, entry.data[CONF_DOMAIN]
            )
        elif isinstance(err, SigningRequired) and not entry.data.get(CONF_PROXY_URL):
            async_raise_signing_not_set_up(hass, entry.entry_id, vehicle.unique_id, vehicle.name)

    return AccountVehicles(
        [TeslaVehicle(account, summary, home) for summary in summaries], discover, on_command_error
    )


async def _async_check_signing(
    hass: HomeAssistant, entry: EVChargeControlConfigEntry, account: TeslaAccount, summaries: list[ApiVehicle]
) -> None:
    """Raise the signing repairs now, not at the first failed command.

    Only cars that require signed commands can need one.  Behind a proxy or a service
    with its own token, commands are signed elsewhere and nothing is known here.
    """
    needing = [s for s in summaries if s.command_signing == "required"]
    if not needing or entry.data.get(CONF_PROXY_URL) or "token" not in entry.data:
        return
    if not account.signs_commands:
        for summary in needing:
            async_raise_signing_not_set_up(hass, entry.entry_id, summary.vin, vehicle_name(summary))
        return
    try:
        # Free, and it asks Tesla rather than the car: nothing wakes.
        unpaired = await account.async_unpaired([s.vin for s in needing])
    except ApiError as err:
        LOGGER.debug("Could not check which cars know the key: %s", err.message)
        return
    for summary in needing:
        if summary.vin in unpaired:
            async_raise_key_not_paired(
                hass, entry.entry_id, summary.vin, vehicle_name(summary), entry.data[CONF_DOMAIN]
            )
        else:
            async_clear_car_issues(hass, entry.entry_id, summary.vin)


async def _async_probe_token_source(
    hass: HomeAssistant, data: Mapping[str, Any], reconfiguring: ConfigEntry[Any] | None
) -> TokenSource:
    """The token to test with: a signed-in entry being reconfigured refreshes its own.

    Its access token may have lapsed while it was not loaded; the refresh spends the
    refresh token, so it goes through the entry's session, which keeps the rotation
    (and waits for a refresh of the loaded entry under way).
    """
    if reconfiguring is None or "token" not in data:
        return static_token_source(
            data["token"]["access_token"] if "token" in data else data[CONF_ACCESS_TOKEN]
        )
    try:
        return await oauth_token_source(hass, reconfiguring)
    except (ConfigEntryNotReady, ValueError) as err:
        # ValueError: Home Assistant 2026.10+ UnknownImplementationError.
        raise CredentialsGone from err


async def async_probe_tesla(
    hass: HomeAssistant, data: Mapping[str, Any], reconfiguring: ConfigEntry[Any] | None
) -> AccountFound:
    """List the account's cars with the settings, and find who the account is."""
    source = await _async_probe_token_source(hass, data, reconfiguring)
    token = await source.provider()
    check_command_scope(token)
    proxy = data.get(CONF_PROXY_URL)
    base_url = proxy or data[CONF_API_URL]
    client = await async_create_client(hass, source, base_url, data.get(CONF_CA_FILE))
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
    fallback = not account_id and bool(vehicles)
    if fallback:
        account_id = fallback_account_id("vins", [v.vin for v in vehicles])
    return AccountFound(
        account_id=str(account_id or ""),
        account_id_is_fallback=fallback,
        title=title or "Tesla",
        vehicles={v.vin: f"{v.display_name or v.vin} ({v.vin})" for v in vehicles},
        api_url="" if proxy else client.base_url,
        needs_pairing={v.vin: vehicle_name(v) for v in vehicles if v.command_signing == "required"},
    )


async def async_unpaired(
    hass: HomeAssistant, data: Mapping[str, Any], reconfiguring: ConfigEntry[Any] | None, vins: list[str]
) -> set[str]:
    """Which of the cars Tesla says do not know this installation's key yet (free, no wake)."""
    source = await _async_probe_token_source(hass, data, reconfiguring)
    client = await async_create_client(hass, source, data[CONF_API_URL])
    return await TeslaAccount(client).async_unpaired(vins)
