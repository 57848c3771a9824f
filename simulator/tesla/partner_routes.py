"""Partner endpoints over HTTP, and the Tesla app's "add a virtual key" page.

* ``POST /api/1/partner_accounts {"domain": ...}`` (partner token): checks the domain,
  fetches its public key and registers it in the region of the path's prefix.
* ``GET /api/1/partner_accounts/public_key?domain=...`` (partner token): the key held.
* ``GET /_ak/{domain}`` and ``POST /_ak/{domain}`` (``vin=...``): the page the owner
  opens from ``https://tesla.com/_ak/<domain>`` in the Tesla app.  There is no login:
  the real flow happens in the phone app, so the page lists every account's cars.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from aiohttp import web

from ..faults import tesla_body
from .api import strip_region
from .partner import PartnerError

if TYPE_CHECKING:
    from .api import TeslaApi

PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{title}</title></head>
<body><h1>{title}</h1>
{body}
</body></html>
"""


def _page(title: str, body: str, status: int = 200) -> web.Response:
    text = PAGE.format(title=html.escape(title), body=body)
    return web.Response(text=text, content_type="text/html", status=status)


class PartnerRoutes:
    def __init__(self, api: TeslaApi) -> None:
        self.api = api
        self.world = api.world

    # ------------------------------------------------------ partner API
    async def register(self, request: web.Request) -> web.Response:
        token = self.api.authenticate_partner(request)
        if isinstance(token, web.Response):
            return token
        body = request.get("json_body")
        domain = body.get("domain") if isinstance(body, dict) else None
        if not isinstance(domain, str) or not domain:
            return web.json_response(tesla_body("invalid_request", "domain is required"), status=400)
        domain = domain.strip().lower()
        client_id = token.client_id or ""
        partners = self.world.partners
        try:
            host, _ = partners.check_domain(client_id, domain)
            point = await partners.fetch_key(domain, host)
        except PartnerError as err:
            return web.json_response(err.body, status=err.status)
        region, _ = strip_region(request.path)
        registration = partners.register(region, client_id, domain, point, self.world.now())
        return web.json_response({"response": registration.as_response()})

    async def public_key(self, request: web.Request) -> web.Response:
        token = self.api.authenticate_partner(request)
        if isinstance(token, web.Response):
            return token
        domain = request.query.get("domain", "").strip()
        if not domain:
            return web.json_response(tesla_body("invalid_request", "domain is required"), status=400)
        region, _ = strip_region(request.path)
        found = self.world.partners.lookup(region, domain)
        if found is None:
            # Invented body: the reference only says the lookup answers 404.
            return web.json_response(tesla_body("not_found", f"no public key for {domain}"), status=404)
        return web.json_response({"response": {"public_key": found.public_key.hex()}})

    # ---------------------------------------------------- the Tesla app
    def _key(self, domain: str, region: str) -> bytes | None:
        return self.world.partners.key_for_pairing(domain.lower(), region)

    async def pairing_page(self, request: web.Request) -> web.Response:
        domain = request.match_info["domain"]
        if self._key(domain, "na") is None:
            return _page(
                "Unknown third-party app", f"<p>No key is registered for {html.escape(domain)}.</p>", 404
            )
        rows = []
        for account in self.world.accounts.values():
            for vin in account.vins:
                vehicle = self.world.vehicles[vin]
                rows.append(
                    f'<li>{html.escape(vehicle.display_name)} ({vin}) <form method="post" '
                    f'action="/_ak/{html.escape(domain)}"><input type="hidden" name="vin" value="{vin}">'
                    f'<button type="submit">Add key to {html.escape(vehicle.display_name)}</button></form></li>'
                )
        body = f"<p>{html.escape(domain)} asks for a virtual key.</p>\n<ul>\n" + "\n".join(rows) + "\n</ul>"
        return _page(f"Add virtual key for {domain}", body)

    async def pair(self, request: web.Request) -> web.Response:
        domain = request.match_info["domain"]
        form = await request.post()
        vin = str(form.get("vin", ""))
        vehicle = self.world.vehicles.get(vin)
        if vehicle is None:
            return _page("Unknown vehicle", f"<p>No vehicle {html.escape(vin)}.</p>", 404)
        account = self.world.account_of(vin)
        key = self._key(domain, account.region if account is not None else "na")
        if key is None:
            return _page(
                "Unknown third-party app", f"<p>No key is registered for {html.escape(domain)}.</p>", 404
            )
        self.world.signing[vin].pair(key)  # one key for the car, so both domains
        return _page(
            f"Key added to {vehicle.display_name}",
            f"<p>{html.escape(domain)} can now send commands to {html.escape(vehicle.display_name)}.</p>",
        )
