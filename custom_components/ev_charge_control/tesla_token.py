"""What a Tesla access token says about itself: its account, region and scopes.

Tesla's tokens are JWTs.  Their claims are read unverified, only to choose among
Tesla's own hosts and to warn early about missing permissions; the API itself decides.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from .api import MissingScope
from .api.tesla import BASE_URLS
from .api.tesla.const import BASE_URL_NA
from .api.urls import safe_base_url

# Either one lets the integration send charging commands (Tesla accepts both).
COMMAND_SCOPES = frozenset({"vehicle_cmds", "vehicle_charging_cmds"})


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
        if url.startswith("http://") and safe_base_url(url):
            return url
    if region in BASE_URLS:
        return BASE_URLS[region]
    return next((url for url in urls if url in BASE_URLS.values()), BASE_URL_NA)


def check_command_scope(access_token: str) -> None:
    """Raise ``MissingScope`` when a token that lists its scopes grants no commands.

    Tesla's consent page lets users untick permissions, and listing vehicles works
    without the command ones, so only the token itself tells before the first command
    fails.  Opaque tokens say nothing and pass.
    """
    granted = token_claims(access_token).get("scp")
    if isinstance(granted, list) and not any(isinstance(s, str) and s in COMMAND_SCOPES for s in granted):
        raise MissingScope("the token grants no vehicle commands")
