"""Tesla's Fleet API (and the tesla-http-proxy in front of it) over HTTP.

Two modes share one world:
* ``fleet``: Tesla's cloud. Unsigned commands to cars that require the Vehicle Command
  Protocol are refused with 403; a sleeping car answers 408.
* ``proxy``: a local ``tesla-http-proxy``. Commands are "signed"; refusals carry the
  ``car could not execute command:`` prefix; a sleeping car gives HTTP 500; a request
  without a token gets 403; paths must use the VIN.

Region hosts are modelled as path prefixes: ``/`` is North America, ``/eu`` Europe and
``/cn`` China, so a 421 "wrong region" reply can point at a base URL that works.

Signed commands, ``fleet_status`` (``signed/routes.py``), the partner endpoints and the
Tesla app's pairing page (``partner_routes.py``) are served from their own modules.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from ..faults import SIGNING_REQUIRED, VEHICLE_UNAVAILABLE, tesla_body
from ..world import World
from .accounts import AccessToken, Account
from .commands import COMMANDS, Invalid, validate
from .vehicle import SimVehicle

WORLD: web.AppKey[World] = web.AppKey("world", World)
MODE: web.AppKey[str] = web.AppKey("mode", str)
REGIONS = ("na", "eu", "cn")
PROXY_REFUSAL_PREFIX = "car could not execute command: "
CHARGING_SCOPES = ("vehicle_charging_cmds", "vehicle_cmds")
LOCATION_SCOPE = "vehicle_location"
# Invented: what a partner token gets on a user endpoint, and a user token on a partner one.
REQUIRES_USER_TOKEN = "Unauthorized: requires user token"
REQUIRES_PARTNER_TOKEN = "Unauthorized: requires partner token"


def category_of(path: str) -> str:
    """Tesla's billing category for a request path (region prefix stripped)."""
    if path.startswith("/oauth2/"):
        return "auth"
    if path.startswith("/_ak/"):
        return "app"  # the Tesla app's pairing page, not the Fleet API: never billed
    if path.endswith("/vehicle_data"):
        return "data"
    if "/command/" in path or path.endswith("/signed_command"):
        return "command"
    if path.endswith("/wake_up"):
        return "wake"
    return "free"


def strip_region(path: str) -> tuple[str, str]:
    parts = path.split("/", 2)
    if len(parts) > 2 and parts[1] in REGIONS:
        return parts[1], "/" + parts[2]
    return "na", path


def base_url_for(request: web.Request, region: str) -> str:
    root = f"{request.scheme}://{request.host}"
    return root if region == "na" else f"{root}/{region}"


def _error(status: int, error: str, description: str = "") -> web.Response:
    return web.json_response(tesla_body(error, description), status=status)


def _param_error(reason: str) -> web.Response:
    body = {"response": {"result": False, "reason": reason}, "error": "", "error_description": ""}
    return web.json_response(body, status=400)


class TeslaApi:
    """Request handlers; one instance per app (fleet or proxy)."""

    def __init__(self, world: World, mode: str) -> None:
        self.world = world
        self.mode = mode

    # ------------------------------------------------------------- plumbing
    def bearer(self, request: web.Request) -> AccessToken | web.Response:
        """The request's live access token, user or partner."""
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer ") or not header[7:].strip():
            if self.mode == "proxy":
                return _error(403, "client did not provide an OAuth token")
            return web.json_response({"error": "invalid bearer token"}, status=401)
        token = self.world.tokens.access.get(header[7:].strip())
        if token is None:
            return web.json_response({"error": "invalid bearer token"}, status=401)
        if token.expires_at <= self.world.now():
            return web.json_response({"error": "token expired (401)"}, status=401)
        return token

    def authenticate_partner(self, request: web.Request) -> AccessToken | web.Response:
        """A partner token (client-credentials grant); a user token is 403."""
        token = self.bearer(request)
        if isinstance(token, AccessToken) and not token.partner:
            return web.json_response({"error": REQUIRES_PARTNER_TOKEN}, status=403)
        return token

    def user_token(self, request: web.Request, scopes: tuple[str, ...]) -> AccessToken | web.Response:
        """``authenticate``'s token, for routes that need to know the application too."""
        account = self.authenticate(request, scopes)
        if isinstance(account, web.Response):
            return account
        token = self.bearer(request)
        assert isinstance(token, AccessToken)
        return token

    def authenticate(self, request: web.Request, scopes: tuple[str, ...]) -> Account | web.Response:
        token = self.bearer(request)
        if isinstance(token, web.Response):
            return token
        if token.partner:
            return _error(403, REQUIRES_USER_TOKEN)
        account = self.world.accounts[token.account_id]
        region, _ = strip_region(request.path)
        if region != account.region and self.mode == "fleet":
            url = base_url_for(request, account.region)
            return _error(
                421,
                f"user out of region, use base URL: {url}, see "
                "https://developer.tesla.com/docs/fleet-api#regional-requirements",
            )
        if scopes and not set(scopes) & set(token.scopes):
            return _error(403, "Unauthorized missing scopes")
        return account

    def find_vehicle(
        self, request: web.Request, account: Account, *, command: bool = False
    ) -> SimVehicle | web.Response:
        vehicle_id = request.match_info["vehicle_id"]
        if command and self.mode == "proxy" and len(vehicle_id) != 17:
            # The proxy signs commands for a VIN; everything else it forwards as is.
            return _error(404, "expected 17-character VIN in path (do not user Fleet API ID)")
        vehicle = self.world.vehicle_for(account, vehicle_id)
        if vehicle is None:
            return _error(404, "not_found", "Vehicle not found")
        request["vin"] = vehicle.vin
        return vehicle

    def _account_and_vehicle(
        self, request: web.Request, scopes: tuple[str, ...], *, command: bool = False
    ) -> tuple[Account, SimVehicle] | web.Response:
        account = self.authenticate(request, scopes)
        if isinstance(account, web.Response):
            return account
        vehicle = self.find_vehicle(request, account, command=command)
        if isinstance(vehicle, web.Response):
            return vehicle
        return account, vehicle

    # -------------------------------------------------------------- routes
    async def status(self, request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def users_me(self, request: web.Request) -> web.Response:
        account = self.authenticate(request, ("user_data",))
        if isinstance(account, web.Response):
            return account
        return web.json_response({"response": account.profile()})

    async def users_region(self, request: web.Request) -> web.Response:
        account = self.authenticate(request, ("user_data",))
        if isinstance(account, web.Response):
            return account
        return web.json_response(
            {
                "response": {
                    "region": account.region,
                    "fleet_api_base_url": base_url_for(request, account.region),
                }
            }
        )

    async def vehicles(self, request: web.Request) -> web.Response:
        account = self.authenticate(request, ("vehicle_device_data",))
        if isinstance(account, web.Response):
            return account
        try:
            page = max(int(request.query.get("page", 1)), 1)
            per_page = max(int(request.query.get("per_page", 100)), 1)
        except ValueError:
            return _error(400, "invalid_field", "page and per_page must be integers")
        everything = [self.world.vehicles[vin].summary() for vin in account.vins]
        chunk = everything[(page - 1) * per_page : page * per_page]
        return web.json_response({"response": chunk, "count": len(everything)})

    async def products(self, request: web.Request) -> web.Response:
        """The account's vehicles (the simulator has no energy sites), as ``/vehicles`` lists them."""
        account = self.authenticate(request, ())
        if isinstance(account, web.Response):
            return account
        everything = [self.world.vehicles[vin].summary() for vin in account.vins]
        return web.json_response({"response": everything, "count": len(everything)})

    async def vehicle(self, request: web.Request) -> web.Response:
        found = self._account_and_vehicle(request, ("vehicle_device_data",))
        if isinstance(found, web.Response):
            return found
        return web.json_response({"response": found[1].summary()})

    async def vehicle_data(self, request: web.Request) -> web.Response:
        found = self._account_and_vehicle(request, ("vehicle_device_data",))
        if isinstance(found, web.Response):
            return found
        vehicle = found[1]
        raw = request.query.get("endpoints")
        endpoints = [e for e in raw.split(";") if e] if raw else None
        token = self.bearer(request)
        # Tesla refuses the position to a token without the location scope (since
        # 2024-11-26), whether the car is awake or not.
        if (
            endpoints
            and "location_data" in endpoints
            and isinstance(token, AccessToken)
            and LOCATION_SCOPE not in token.scopes
        ):
            return _error(403, "Unauthorized missing scopes")
        if vehicle.state != "online":
            return _error(408, VEHICLE_UNAVAILABLE)
        if vehicle.settings.data_keeps_awake:
            vehicle.touch()
        return web.json_response({"response": vehicle.vehicle_data(endpoints)})

    async def wake_up(self, request: web.Request) -> web.Response:
        found = self._account_and_vehicle(request, ("vehicle_device_data",))
        if isinstance(found, web.Response):
            return found
        vehicle = found[1]
        vehicle.wake()
        return web.json_response({"response": vehicle.summary()})

    async def command(self, request: web.Request) -> web.Response:
        name = request.match_info["command"]
        found = self._account_and_vehicle(request, CHARGING_SCOPES, command=True)
        if isinstance(found, web.Response):
            return found
        vehicle = found[1]
        if name not in COMMANDS:
            return _error(400, "invalid_command")
        # body_exists, not can_read_body: the middleware has already read the body.
        if not request.content_type.startswith("application/json") and request.body_exists:
            return _error(406, "not_a_JSON_request")
        if request.get("json_error"):
            return _error(400, "invalid_request", "body is not valid JSON")
        body = request.get("json_body")
        if body is None:
            body = {}
        if not isinstance(body, dict):
            return _error(400, "invalid_request", "body must be a JSON object")
        params = validate(name, body)
        if isinstance(params, Invalid):
            if params.param_error:
                return _param_error(params.reason)
            return _error(400, params.reason)  # the proxy's unknown day name
        if self.mode == "fleet":
            if vehicle.command_signing == "required":
                return _error(403, SIGNING_REQUIRED)
            if vehicle.state != "online":
                return _error(408, VEHICLE_UNAVAILABLE)
        elif vehicle.state != "online":
            return _error(500, VEHICLE_UNAVAILABLE)
        result, reason = vehicle.command(name, params)
        if not result and self.mode == "proxy":
            # The proxy writes its refusals through writeJSONError: prefix and error fields.
            body = {"result": False, "reason": PROXY_REFUSAL_PREFIX + reason}
            return web.json_response({"response": body, "error": "", "error_description": ""})
        return web.json_response({"response": {"result": result, "reason": reason}})

    # ---------------------------------------------------------------- OAuth
    async def authorize(self, request: web.Request) -> web.Response:
        """Consent is automatic: redirect back with a code for the first account."""
        redirect_uri = request.query.get("redirect_uri")
        if not redirect_uri:
            return web.json_response({"error": "invalid_request"}, status=400)
        login_hint = request.query.get("login_hint")
        accounts = list(self.world.accounts.values())
        account = next((a for a in accounts if a.email == login_hint), accounts[0] if accounts else None)
        if account is None:
            return web.json_response({"error": "no_account"}, status=400)
        scopes = tuple(request.query.get("scope", "").split())
        client_id = request.query.get("client_id") or None
        code = self.world.tokens.issue_code(account, scopes or (), client_id)
        query = {"code": code, "state": request.query.get("state", ""), "issuer": "simulator"}
        sep = "&" if "?" in redirect_uri else "?"
        raise web.HTTPFound(f"{redirect_uri}{sep}{urlencode(query)}")

    async def token(self, request: web.Request) -> web.Response:
        form: Any
        if request.content_type == "application/json":
            form = request.get("json_body") or {}
        else:
            form = dict(await request.post())
        if not isinstance(form, dict):
            return web.json_response(
                {"error": "invalid_request", "error_description": "expected an object"}, status=400
            )
        grant = form.get("grant_type")
        tokens = self.world.tokens
        now = self.world.now()
        if grant == "refresh_token":
            refresh = tokens.refresh.get(str(form.get("refresh_token", "")))
            if refresh is None or refresh.used:
                # A spent refresh token: Tesla's rotation since 2024-02-01.
                return web.json_response(
                    {"error": "login_required", "error_description": "Login required"}, status=401
                )
            refresh.used = True
            account = self.world.accounts[refresh.account_id]
            audience = base_url_for(request, account.region)
            return web.json_response(
                tokens.issue(
                    account, now, scopes=refresh.scopes, audience=audience, client_id=refresh.client_id
                )
            )
        if grant == "authorization_code":
            code = tokens.codes.pop(str(form.get("code", "")), None)
            if code is None:
                return web.json_response(
                    {"error": "invalid_auth_code", "error_description": "The code is invalid"},
                    status=400,
                )
            account = self.world.accounts[code[0]]
            scopes = tuple(s for s in code[1] if s) or tuple(str(form.get("scope", "")).split())
            audience = base_url_for(request, account.region)
            client_id = code[2] or (str(form["client_id"]) if form.get("client_id") else None)
            return web.json_response(
                tokens.issue(account, now, scopes=scopes or (), audience=audience, client_id=client_id)
            )
        if grant == "client_credentials":
            client_id = str(form.get("client_id") or "")
            if not self.world.partners.check_client(client_id, str(form.get("client_secret") or "")):
                return web.json_response({"error": "invalid_client"}, status=401)
            scopes = tuple(str(form.get("scope", "")).split())
            audience = str(form.get("audience") or "")
            return web.json_response(tokens.issue_partner(client_id, now, scopes=scopes, audience=audience))
        return web.json_response(
            {"error": "unsupported_grant_type", "error_description": str(grant)}, status=400
        )


def add_routes(app: web.Application, world: World, mode: str) -> None:
    from .partner_routes import PartnerRoutes
    from .signed.routes import SignedRoutes

    api = TeslaApi(world, mode)
    signed = SignedRoutes(api)
    partner = PartnerRoutes(api)
    for prefix in ("", "/eu", "/cn"):
        vehicle = prefix + "/api/1/vehicles/{vehicle_id}"
        app.router.add_get(prefix + "/status", api.status)
        app.router.add_get(prefix + "/api/1/users/me", api.users_me)
        app.router.add_get(prefix + "/api/1/users/region", api.users_region)
        app.router.add_get(prefix + "/api/1/vehicles", api.vehicles)
        app.router.add_get(prefix + "/api/1/products", api.products)
        app.router.add_get(vehicle, api.vehicle)
        app.router.add_get(vehicle + "/vehicle_data", api.vehicle_data)
        app.router.add_post(vehicle + "/wake_up", api.wake_up)
        app.router.add_post(vehicle + "/command/{command}", api.command)
        # The real tesla-http-proxy forwards these unchanged, so the proxy app has them too.
        app.router.add_post(vehicle + "/signed_command", signed.signed_command)
        app.router.add_post(prefix + "/api/1/vehicles/fleet_status", signed.fleet_status)
        app.router.add_post(prefix + "/api/1/partner_accounts", partner.register)
        app.router.add_get(prefix + "/api/1/partner_accounts/public_key", partner.public_key)
    app.router.add_get("/oauth2/v3/authorize", api.authorize)
    app.router.add_post("/oauth2/v3/token", api.token)
    if mode == "fleet":  # tesla.com, not a Fleet API host
        app.router.add_get("/_ak/{domain}", partner.pairing_page)
        app.router.add_post("/_ak/{domain}", partner.pair)
