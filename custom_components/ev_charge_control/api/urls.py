"""Which base URLs a client may send credentials to.

One rule for every URL that becomes a client's base URL, whether a user typed it or an
API named it: https anywhere, plain http only to this machine (a local proxy, the
simulator), and nothing a request path could not be appended to.
"""

from __future__ import annotations

import ipaddress

from yarl import URL


def safe_base_url(value: str) -> bool:
    """An https URL, or http to this machine only; no user, query or fragment."""
    try:
        url = URL(value.strip())
    except (TypeError, ValueError):
        return False
    # Paths are appended to the base URL, so a query or fragment would swallow them.
    if url.scheme not in ("http", "https") or not url.host or url.user or url.query_string or url.fragment:
        return False
    if url.scheme == "https":
        return True
    if url.host == "localhost":
        return True
    try:
        return ipaddress.ip_address(url.host).is_loopback
    except ValueError:
        return False


def origin(value: str) -> tuple[str, str, int | None] | None:
    """Scheme, host and port (the default one filled in) of ``value``; None if not a URL."""
    try:
        url = URL(value.strip())
    except (TypeError, ValueError):
        return None
    if not url.scheme or not url.host:
        return None
    return url.scheme.lower(), url.host.lower(), url.port


def normalized(value: str) -> str:
    """``value`` without a trailing slash, and without the scheme's default port."""
    url = URL(value.strip())
    if url.explicit_port is not None and url.is_default_port():
        url = url.with_port(None)
    return str(url).rstrip("/")
