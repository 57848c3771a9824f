"""Tesla's partner endpoints: registering the developer application's domain and key.

A car accepts signed commands from a key only if Tesla holds that key for the
application (registered with a *partner* token, which the application gets with its
own client id and secret) and the owner paired it.  These calls need no vehicle and
no user: they are made once, when signing is set up.

The partner token and the client secret are credentials: they go in headers and
forms only, never in a log line or an exception message.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
import json
from typing import Any

import aiohttp

from ..errors import AuthenticationError, InvalidClient, MalformedResponse, PartnerDomainRejected
from ..transport import exchange
from .client import DEFAULT_TIMEOUT, raise_for_status
from .oauth import token_error

PARTNER_ACCOUNTS_PATH = "/api/1/partner_accounts"


def _json(text: str) -> Any:
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None


async def partner_token(
    session: aiohttp.ClientSession,
    token_url: str,
    client_id: str,
    client_secret: str,
    audience: str,
    scopes: Iterable[str],
    *,
    timeout: float = DEFAULT_TIMEOUT,
) -> str:
    """A partner token by the client-credentials grant, for the Fleet API at ``audience``.

    Raises ``InvalidClient`` when Tesla rejects the client id or secret.
    """
    form = {
        "grant_type": "client_credentials",
        "client_id": client_id,
        "client_secret": client_secret,
        "scope": " ".join(scopes),
        "audience": audience,
    }
    answer = await exchange(
        session,
        "POST",
        token_url,
        timeout=aiohttp.ClientTimeout(total=timeout),
        what="the token endpoint",
        data=form,
    )
    body = _json(answer.text)
    if answer.status >= 400:
        error = str(body.get("error", "")) if isinstance(body, Mapping) else ""
        if answer.status < 500 and (
            answer.status == 401 or error in ("invalid_client", "unauthorized_client")
        ):
            raise InvalidClient(error or "client credentials rejected", status=answer.status)
        if error or answer.status in (408, 429) or answer.status >= 500:
            # As any answer of the token endpoint: a rate limit, a timeout or a server
            # failure is "try later", an OAuth error code a refusal.
            raise token_error(answer.status, answer.headers, answer.text, body)
        raise AuthenticationError(f"token endpoint refused ({answer.status})", status=answer.status)
    token = body.get("access_token") if isinstance(body, Mapping) else None
    if not isinstance(token, str) or not token:
        raise MalformedResponse("token endpoint answered without an access token", status=answer.status)
    return token


async def _partner_request(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    partner_token: str,
    *,
    timeout: float,
    body: Mapping[str, Any] | None = None,
) -> tuple[int, Any]:
    """Status and JSON body; errors raised."""
    headers = {"Authorization": f"Bearer {partner_token}", "Accept": "application/json"}
    answer = await exchange(
        session,
        method,
        url,
        timeout=aiohttp.ClientTimeout(total=timeout),
        what="the Fleet API",
        headers=headers,
        json=body,
    )
    if answer.status == 412:
        raise PartnerDomainRejected(
            "Tesla refused the domain: it must match the application's allowed origin", status=412
        )
    raise_for_status(answer.status, answer.text, answer.headers, url=url)
    return answer.status, _json(answer.text)


def _public_key(body: Any) -> str | None:
    response = body.get("response") if isinstance(body, Mapping) else None
    key = response.get("public_key") if isinstance(response, Mapping) else None
    return key if isinstance(key, str) and key else None


async def register_partner(
    session: aiohttp.ClientSession,
    base_url: str,
    partner_token: str,
    domain: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
) -> str:
    """Register ``domain`` for the application in the region at ``base_url``.

    Tesla fetches the public key from the domain's well-known path and answers with
    the key it now holds (hex of the uncompressed point), which is returned.  Raises
    ``PartnerDomainRejected`` (412) and ``WrongRegion`` (421) among the usual errors.
    """
    url = f"{base_url.rstrip('/')}{PARTNER_ACCOUNTS_PATH}"
    status, body = await _partner_request(
        session, "POST", url, partner_token, timeout=timeout, body={"domain": domain}
    )
    key = _public_key(body)
    if key is None:
        raise MalformedResponse("partner_accounts: the answer holds no public key", status=status)
    return key
