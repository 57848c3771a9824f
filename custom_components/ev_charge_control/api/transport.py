"""One HTTP exchange, shared by every client: transport failures become our errors.

Each client maps HTTP statuses in its own ``raise_for_status`` (the APIs word their
errors differently); what happens below HTTP (no answer, no connection, an odd
charset) is the same for all of them, so it is handled once, here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
import ssl
from typing import Any

import aiohttp

from .errors import ConnectionFailed, RequestTimeout


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

    Raises ``RequestTimeout`` or ``ConnectionFailed`` when there is no HTTP answer.
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
        ) as response:
            # Decoded leniently: an odd charset must not escape as UnicodeDecodeError.
            text = (await response.read()).decode("utf-8", errors="replace")
            return Answer(response.status, text, response.headers)
    except TimeoutError as err:
        raise RequestTimeout(f"no answer from {what} in time") from err
    except aiohttp.ClientError as err:
        raise ConnectionFailed(f"cannot reach {what}: {err}") from err
