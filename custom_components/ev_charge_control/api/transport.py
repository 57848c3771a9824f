"""One HTTP exchange, shared by every client: transport failures become our errors.

Each client maps HTTP statuses in its own ``raise_for_status`` (the APIs word their
errors differently); what happens below HTTP (no answer, no connection, an odd
charset) is the same for all of them, so it is handled once, here.  So are the two
rules every answer obeys whoever sent it:

* a redirect is never followed: it is ``ApiMoved``, naming where it pointed.  A
  followed 307 would post the same body (re.alto's client secret, a Tesla refresh
  token) to whatever host the answer names;
* an answer larger than ``MAX_ANSWER_BYTES`` is ``ResponseTooLarge``: no API here sends
  more than a few hundred kilobytes, and reading without a bound lets one answer fill
  the memory.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
import ssl
from typing import Any

import aiohttp
from yarl import URL

from .errors import ApiMoved, ConnectionFailed, RequestTimeout, ResponseTooLarge

MAX_ANSWER_BYTES = 5 * 1024 * 1024
"""The largest answer read: a full ``vehicle_data`` is about 10 kB, a long list 100 kB."""


@dataclass(frozen=True, slots=True)
class Answer:
    """An HTTP answer, whatever its status."""

    status: int
    text: str
    headers: Mapping[str, str]


async def exchange(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    timeout: aiohttp.ClientTimeout,
    what: str,
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, str] | None = None,
    json: Any = None,
    data: Mapping[str, str] | None = None,
    ssl_context: ssl.SSLContext | bool = True,
) -> Answer:
    """Send one request; ``what`` names the server in error messages.

    Raises ``RequestTimeout`` or ``ConnectionFailed`` when there is no HTTP answer,
    ``ApiMoved`` for a redirect and ``ResponseTooLarge`` for an answer over the cap.
    """
    try:
        async with session.request(
            method,
            url,
            params=params,
            json=json,
            data=data,
            headers=headers,
            timeout=timeout,
            ssl=ssl_context,
            allow_redirects=False,
        ) as response:
            if 300 <= response.status < 400:
                response.close()
                raise _moved(what, response.status, response.headers.get("Location"), url)
            # Decoded leniently: an odd charset must not escape as UnicodeDecodeError.
            text = (await _read_capped(response, what)).decode("utf-8", errors="replace")
            return Answer(response.status, text, response.headers)
    except TimeoutError as err:
        raise RequestTimeout(f"no answer from {what} in time") from err
    except aiohttp.ClientError as err:
        raise ConnectionFailed(f"cannot reach {what}: {err}") from err


def _moved(what: str, status: int, location: str | None, url: str) -> ApiMoved:
    if not location:
        return ApiMoved(
            f"{what} answered {status} (a redirect) naming no new address", location=None, status=status
        )
    try:
        target = str(URL(url).join(URL(location)))
    except ValueError:
        target = location
    return ApiMoved(
        f"the API moved to {target} ({status} from {what}); check the API URL and reconfigure",
        location=target,
        status=status,
    )


async def _read_capped(response: aiohttp.ClientResponse, what: str) -> bytes:
    """The whole body, or ``ResponseTooLarge`` as soon as it passes the cap.

    A declared length above the cap is refused before reading; otherwise at most one
    byte more than the cap is read, and the connection is closed, not drained.
    """
    declared = response.content_length
    if declared is not None and declared > MAX_ANSWER_BYTES:
        response.close()
        raise ResponseTooLarge(
            f"{what} announced an answer of {declared} bytes; the limit is {MAX_ANSWER_BYTES}",
            status=response.status,
        )
    body = bytearray()
    while chunk := await response.content.read(MAX_ANSWER_BYTES + 1 - len(body)):
        body += chunk
        if len(body) > MAX_ANSWER_BYTES:
            response.close()
            raise ResponseTooLarge(
                f"the answer from {what} is larger than {MAX_ANSWER_BYTES} bytes; not read further",
                status=response.status,
            )
    return bytes(body)
