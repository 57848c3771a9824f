"""``POST .../signed_command`` and ``POST /api/1/vehicles/fleet_status`` over HTTP.

``signed_command`` takes ``{"routable_message": "<base64 RoutableMessage>"}`` and answers
200 ``{"response": "<base64 RoutableMessage>"}``: a 200 only means the car answered; its
reply may carry a fault (protocol.md, HTTPS).  Checks in order:

1. authentication and scopes, as for ``/command/`` (``vehicle_charging_cmds`` or
   ``vehicle_cmds``); the car (404);
2. a car with ``command_signing: off``: 422 (Go reads it as "does not support the
   protocol, use REST"; the body is invented);
3. a body that is not JSON with ``routable_message``, not base64, or not a
   RoutableMessage: 400 (invented body);
4. a domain the car cannot answer for: 408, Tesla's VEHICLE_UNAVAILABLE body;
5. the car's answer (``car.py``).
"""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING, Any

from aiohttp import web

from ...faults import VEHICLE_UNAVAILABLE, tesla_body
from .actions import UnknownCommand, infotainment_command, vcsec_command
from .messages import (
    DOMAIN_INFOTAINMENT,
    DOMAIN_NAMES,
    DOMAIN_VEHICLE_SECURITY,
    RoutableMessage,
    parse_routable,
)
from .wire import WireError

if TYPE_CHECKING:
    from ..api import TeslaApi

NOT_SUPPORTED = "vehicle does not support signed commands"  # invented; Tesla's is not documented


def _error(status: int, error: str, description: str = "") -> web.Response:
    return web.json_response(tesla_body(error, description), status=status)


def describe(message: RoutableMessage) -> tuple[str | None, dict[str, Any]]:
    """The command a message carries, for the request log (the payload is plaintext, as
    Fleet API reads it to check scopes); ``None`` when it does not decode."""
    if message.is_handshake or message.payload is None or (message.signature and message.signature.aes_gcm):
        return None, {}
    try:
        if message.domain == DOMAIN_INFOTAINMENT:
            command = infotainment_command(message.payload)
        elif message.domain == DOMAIN_VEHICLE_SECURITY:
            command = vcsec_command(message.payload)
        else:
            return None, {}
    except (WireError, UnknownCommand):
        return None, {}
    return command.name, command.params


class SignedRoutes:
    def __init__(self, api: TeslaApi) -> None:
        self.api = api
        self.world = api.world

    async def signed_command(self, request: web.Request) -> web.Response:
        from ..api import CHARGING_SCOPES

        found = self.api._account_and_vehicle(request, CHARGING_SCOPES)  # noqa: SLF001 - shared helper
        if isinstance(found, web.Response):
            return found
        vehicle = found[1]
        if vehicle.command_signing == "off":
            return _error(422, NOT_SUPPORTED)
        if not request.content_type.startswith("application/json") and request.body_exists:
            return _error(406, "not_a_JSON_request")
        body = request.get("json_body")
        text = body.get("routable_message") if isinstance(body, dict) else None
        if request.get("json_error") or not isinstance(text, str):
            return _error(400, "invalid_request", 'expected {"routable_message": "<base64>"}')
        try:
            message = parse_routable(base64.b64decode(text, validate=True))
        except (binascii.Error, ValueError) as err:  # WireError is a ValueError
            return _error(400, "invalid_request", f"routable_message is not a RoutableMessage: {err}")
        car = self.world.signing[vehicle.vin]
        command, params = describe(message)
        log: dict[str, Any] = {
            "signed": "handshake" if message.is_handshake else "command",
            "domain": DOMAIN_NAMES.get(message.domain or -1),
            "command": command,
            "params": params,
            "signed_fault": None,
        }
        request["log_extra"] = log
        if not car.reachable(message.domain, vehicle):
            return _error(408, VEHICLE_UNAVAILABLE)
        outcome = car.handle(message, vehicle, self.world.partners.keys_for_domain, self.world.now())
        log["signed_fault"] = outcome.fault
        return web.json_response({"response": base64.b64encode(outcome.reply).decode()})

    async def fleet_status(self, request: web.Request) -> web.Response:
        """Which cars have the application's key paired, and what they run.

        "Paired" is relative to the keys the token's application registered in the
        account's region (any registered key when the token does not name its
        application).  VINs of other accounts are left out (invented).
        """
        token = self.api.user_token(request, ("vehicle_device_data",))
        if isinstance(token, web.Response):
            return token
        account = self.world.accounts[token.account_id]
        body = request.get("json_body")
        vins = body.get("vins") if isinstance(body, dict) else None
        if not isinstance(vins, list) or not all(isinstance(v, str) for v in vins):
            return _error(400, "invalid_field", "vins must be a list of VINs")
        keys = self.world.partners.keys_for_client(account.region, token.client_id)
        keys_for_domain = self.world.partners.keys_for_domain
        paired: list[str] = []
        unpaired: list[str] = []
        info: dict[str, Any] = {}
        for vin in dict.fromkeys(vins):
            vehicle = self.world.vehicle_for(account, vin)
            if vehicle is None:
                continue
            car = self.world.signing[vehicle.vin]
            (paired if any(car.is_paired(k, keys_for_domain) for k in keys) else unpaired).append(vehicle.vin)
            info[vehicle.vin] = {
                "firmware_version": vehicle.firmware.split()[0],
                "vehicle_command_protocol_required": vehicle.command_signing == "required",
                "discounted_device_data": False,
                "fleet_telemetry_version": "1.1.0",
                "total_number_of_keys": len(car.all_paired_keys(keys_for_domain)),
            }
        return web.json_response(
            {"response": {"key_paired_vins": paired, "unpaired_vins": unpaired, "vehicle_info": info}}
        )
