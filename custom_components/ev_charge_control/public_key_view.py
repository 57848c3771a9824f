"""Tesla's well-known public-key path, served by Home Assistant itself.

Tesla fetches ``https://<domain>/.well-known/appspecific/com.tesla.3p.public-key.pem``
when the developer application is registered, and the Tesla app shows that domain when
a car is paired.  A Home Assistant reachable at the application's domain therefore
needs nothing else: no web server, no file to copy.  The path is public by Tesla's
design (it is a public key); every other path still needs Home Assistant's login.
"""

from __future__ import annotations

from aiohttp import web
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.http import KEY_HASS, HomeAssistantView

from .const import DOMAIN
from .signing import PUBLIC_KEY_PATH, async_load_key

_SERVED = f"{DOMAIN}_public_key_served"


@callback
def async_serve_public_key(hass: HomeAssistant) -> None:
    """Serve the key from now on (once): at start-up, and from the set-up form, which
    runs before the integration is set up and is when Tesla first fetches the key."""
    if not hass.data.get(_SERVED):
        hass.http.register_view(TeslaPublicKeyView())
        hass.data[_SERVED] = True


class TeslaPublicKeyView(HomeAssistantView):
    """The installation's public key as PEM, or 404 before one was made."""

    url = PUBLIC_KEY_PATH
    name = "ev_charge_control:tesla_public_key"
    requires_auth = False

    async def get(self, request: web.Request) -> web.Response:
        key = await async_load_key(request.app[KEY_HASS])
        if key is None:
            return web.Response(status=404, text="No key has been made yet.\n")
        return web.Response(body=key.public_pem(), content_type="application/x-pem-file")
