"""Admin routes for signed commands and partner keys (documented in ``README.md``).

* ``GET /sim/vehicles/{vin}/signing``: each domain's key, epoch, clock and counters, the
  paired keys and the knobs.
* ``POST /sim/vehicles/{vin}/signing``: change knobs, pair and unpair keys, reboot a
  domain, or arm one-shot faults (``busy``, ``infotainment_unavailable``).
* ``GET /sim/partner`` and ``POST /sim/partner/hosted_keys``: the registrations, and
  key files "hosted" for domains the simulator cannot fetch from.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .http_json import json_error, json_object_body
from .tesla.partner import PartnerError, split_domain
from .tesla.signed.car import CarSigning, parse_point
from .tesla.signed.messages import DOMAIN_INFOTAINMENT, DOMAIN_NAMES, DOMAIN_VEHICLE_SECURITY
from .tesla.signed.settings import KNOBS, apply_knobs, check_knobs
from .world import World

ACTIONS = (
    "pair_key",
    "unpair_key",
    "pair_domain",
    "unpair_domain",
    "reboot",
    "busy",
    "infotainment_unavailable",
)
REBOOT_DOMAINS = {"infotainment": DOMAIN_INFOTAINMENT, "vcsec": DOMAIN_VEHICLE_SECURITY}


def signing_detail(world: World, vin: str) -> dict[str, Any]:
    car = world.signing[vin]
    now = world.now()
    skew = car.knobs.clock_skew
    return {
        "vin": vin,
        "command_signing": world.vehicles[vin].command_signing,
        "firmware": world.vehicles[vin].firmware,
        "encrypt_responses": car.knobs.encrypt_responses,
        "unpaired_reply": car.knobs.unpaired_reply,
        "clock_skew": skew,
        "paired_keys": sorted(key.hex() for key in car.paired_keys),
        "paired_domains": sorted(car.paired_domains),
        "busy": car.busy,
        "infotainment_unavailable": car.infotainment_unavailable,
        "domains": {
            DOMAIN_NAMES[number]: {
                "public_key": verifier.public_point.hex(),
                "epoch": verifier.epoch.hex(),
                "clock_time": verifier.clock(now, skew),
                "counters": {key.hex(): c.counter for key, c in verifier.clients.items()},
            }
            for number, verifier in car.verifiers.items()
        },
    }


def _count(body: dict[str, Any], name: str) -> int:
    value = body[name]
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a whole number >= 0")
    return value


def _domain(body: dict[str, Any], name: str) -> str:
    value = body[name]
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a domain")
    try:
        split_domain(value.strip().lower())
    except PartnerError:
        raise ValueError(f"{name}: {value!r} is not a domain") from None
    return value.strip().lower()


def _change(world: World, vin: str, car: CarSigning, body: dict[str, Any]) -> None:
    """Check everything, then apply: a bad request changes nothing."""
    unknown = set(body) - set(KNOBS) - set(ACTIONS)
    if unknown:
        raise ValueError(
            f"unknown fields {sorted(unknown)}; knobs: {', '.join(KNOBS)}; actions: {', '.join(ACTIONS)}"
        )
    knobs = check_knobs(body)
    pair = [parse_point(str(body["pair_key"]))] if "pair_key" in body else []
    unpair = parse_point(str(body["unpair_key"])) if "unpair_key" in body else None
    if "pair_domain" in body:
        domain = _domain(body, "pair_domain")
        account = world.account_of(vin)
        key = world.partners.key_for_pairing(domain, account.region if account else "na")
        if key is None:
            raise ValueError(f"no key is registered for {domain}")
        pair.append(key)
    unpair_domain = _domain(body, "unpair_domain") if "unpair_domain" in body else None
    reboot: list[int | None] = []
    if "reboot" in body:
        value = body["reboot"]
        if value is True or value == "all":
            reboot = [None]
        elif value in REBOOT_DOMAINS:
            reboot = [REBOOT_DOMAINS[value]]
        elif value is not False:
            raise ValueError('reboot must be true, "all", "infotainment" or "vcsec"')
    busy = _count(body, "busy") if "busy" in body else None
    unavailable = _count(body, "infotainment_unavailable") if "infotainment_unavailable" in body else None
    # Everything is valid: apply.
    apply_knobs(car, knobs)
    for key in pair:
        car.pair(key)
    if unpair is not None:
        car.paired_keys.discard(unpair)
    if unpair_domain is not None:
        car.paired_domains.discard(unpair_domain)
        car.paired_keys -= world.partners.keys_for_domain(unpair_domain)
    for domain_number in reboot:
        car.reboot(world.now(), domain_number)
    if busy is not None:
        car.busy = busy
    if unavailable is not None:
        car.infotainment_unavailable = unavailable


def add_routes(app: web.Application, world: World) -> None:
    routes = web.RouteTableDef()

    @routes.get("/sim/vehicles/{vin}/signing")
    async def get_signing(request: web.Request) -> web.Response:
        vin = request.match_info["vin"]
        if vin not in world.vehicles:
            return json_error(404, f"no vehicle {vin}")
        world.sync()
        return web.json_response(signing_detail(world, vin))

    @routes.post("/sim/vehicles/{vin}/signing")
    async def change_signing(request: web.Request) -> web.Response:
        vin = request.match_info["vin"]
        if vin not in world.vehicles:
            return json_error(404, f"no vehicle {vin}")
        body = await json_object_body(request)
        world.sync()
        try:
            _change(world, vin, world.signing[vin], body)
        except (ValueError, TypeError) as err:
            return json_error(400, f"bad request: {err}")
        return web.json_response(signing_detail(world, vin))

    @routes.get("/sim/partner")
    async def get_partner(request: web.Request) -> web.Response:
        return web.json_response(world.partners.describe())

    @routes.post("/sim/partner/hosted_keys")
    async def host_key(request: web.Request) -> web.Response:
        body = await json_object_body(request)
        domain, pem = body.get("domain"), body.get("pem")
        if (
            not isinstance(domain, str)
            or not domain
            or "pem" not in body
            or not isinstance(pem, (str, type(None)))
        ):
            return json_error(
                400, 'expected {"domain": "...", "pem": "-----BEGIN PUBLIC KEY-----..." or null}'
            )
        if pem is None:
            world.partners.hosted_keys.pop(domain.lower(), None)
        else:
            world.partners.hosted_keys[domain.lower()] = pem
        return web.json_response(world.partners.describe())

    app.router.add_routes(routes)
