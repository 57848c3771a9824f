"""Developer applications and the public keys Tesla holds for their domains.

A third-party application signs commands with its own EC P-256 key.  Tesla learns the
key when the application registers its domain (``POST /api/1/partner_accounts`` with a
partner token): it fetches ``https://<domain>/.well-known/appspecific/com.tesla.3p.public-key.pem``.
The domain must match the root domain of the application's allowed origins
(``123.abc.com`` is fine for ``www.abc.com``).  Registrations are per region, as Tesla's
are (reference ``tesla-signed-commands.md`` section 1.1).

For local tests a domain may be ``127.0.0.1:<port>`` or ``localhost:<port>``: the key is
then fetched over plain http (invented).  Other domains are served from keys the admin
API hosts for them; anything else cannot be fetched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
import re
from urllib.parse import urlsplit

import aiohttp
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from .signed.crypto import point_of

WELL_KNOWN = "/.well-known/appspecific/com.tesla.3p.public-key.pem"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost")
FETCH_TIMEOUT = 5.0
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*$")


class PartnerError(Exception):
    """A refusal with the HTTP status and JSON body to send."""

    def __init__(self, status: int, body: dict[str, object]) -> None:
        super().__init__(body)
        self.status = status
        self.body = body


def precondition_failed(description: str) -> PartnerError:
    return PartnerError(412, {"error": "Precondition Failed", "error_description": description})


def iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


@dataclass
class App:
    """A developer application from the scenario (``tesla: apps:``)."""

    client_id: str
    client_secret: str
    allowed_origins: list[str] = field(default_factory=list)


@dataclass
class Registration:
    client_id: str
    domain: str
    public_key: bytes
    created_at: float
    updated_at: float

    def as_response(self) -> dict[str, object]:
        return {
            "client_id": self.client_id,
            "domain": self.domain,
            "public_key": self.public_key.hex(),
            "ca": None,
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
        }


def split_domain(domain: str) -> tuple[str, int | None]:
    """A registrable domain: a host name, or ``host:port`` for a loopback host only."""
    host, _, port_text = domain.partition(":")
    if not _HOST.match(host) or len(host) > 253:
        raise precondition_failed(f"{domain!r} is not a domain name")
    if not port_text:
        return host, None
    if host not in LOOPBACK_HOSTS:
        raise precondition_failed(f"{domain!r}: a port is only accepted for 127.0.0.1 and localhost")
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise precondition_failed(f"{domain!r} has no valid port")
    return host, int(port_text)


def root_domain(origin: str) -> str:
    """The root domain of an allowed origin: ``https://www.abc.com`` -> ``abc.com``.

    The last two labels, so ``co.uk`` style suffixes are not handled (invented);
    IP addresses and single labels stand for themselves.
    """
    host = (urlsplit(origin).hostname if "//" in origin else origin.split(":", maxsplit=1)[0]) or ""
    host = host.lower()
    if re.fullmatch(r"[\d.]+", host):
        return host
    return ".".join(host.split(".")[-2:])


def pem_point(pem: str) -> bytes:
    """The uncompressed point of a PEM public key: ``ValueError`` for something that is
    not a public key, ``TypeError`` for a key that is not EC P-256."""
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except (ValueError, TypeError):
        raise ValueError("not a PEM public key") from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise TypeError("not an EC P-256 (prime256v1) key")
    return point_of(key)


class PartnerRegistry:
    """Applications, their registered domains (per region), and hosted key files."""

    def __init__(self) -> None:
        self.apps: dict[str, App] = {}
        self.registrations: dict[str, dict[str, Registration]] = {}
        self.hosted_keys: dict[str, str] = {}

    # ---------------------------------------------------------- clients
    def check_client(self, client_id: str, client_secret: str) -> bool:
        """Any non-empty pair, unless the scenario lists its applications."""
        if not client_id or not client_secret:
            return False
        if not self.apps:
            return True
        app = self.apps.get(client_id)
        return app is not None and app.client_secret == client_secret

    def check_domain(self, client_id: str, domain: str) -> tuple[str, int | None]:
        host, port = split_domain(domain)
        app = self.apps.get(client_id)
        if app is not None and app.allowed_origins:
            roots = {root_domain(origin) for origin in app.allowed_origins}
            if not any(host == root or host.endswith("." + root) for root in roots):
                raise precondition_failed(
                    f"domain {domain} does not match the root domain of the application's allowed origins"
                )
        return host, port

    # ------------------------------------------------------------- keys
    async def fetch_key(self, domain: str, host: str) -> bytes:
        """The domain's public key: hosted by the admin API, or fetched from loopback."""
        pem = self.hosted_keys.get(domain)
        if pem is None and host in LOOPBACK_HOSTS:
            pem = await self._fetch_loopback(f"http://{domain}{WELL_KNOWN}")
        if pem is None:
            raise PartnerError(
                424, {"error": f"unable to fetch public key from https://{domain}{WELL_KNOWN}"}
            )
        try:
            return pem_point(pem)
        except (ValueError, TypeError) as err:
            raise PartnerError(400, {"error": f"invalid public key at {domain}: {err}"}) from None

    @staticmethod
    async def _fetch_loopback(url: str) -> str:
        # The system resolver: "localhost" must resolve whatever DNS library is installed.
        connector = aiohttp.TCPConnector(resolver=aiohttp.ThreadedResolver())
        timeout = aiohttp.ClientTimeout(total=FETCH_TIMEOUT)
        try:
            async with (
                aiohttp.ClientSession(connector=connector, timeout=timeout) as session,
                session.get(url) as response,
            ):
                if response.status == 200:
                    return await response.text()
        except (aiohttp.ClientError, TimeoutError, UnicodeDecodeError):
            pass
        raise PartnerError(424, {"error": f"unable to fetch public key from {url}"})

    # ---------------------------------------------------- registrations
    def register(self, region: str, client_id: str, domain: str, point: bytes, now: float) -> Registration:
        """Register (or re-register, replacing the key) a domain in a region."""
        existing = self.registrations.setdefault(region, {}).get(domain)
        created = existing.created_at if existing is not None else now
        registration = Registration(client_id, domain, point, created, now)
        self.registrations[region][domain] = registration
        return registration

    def lookup(self, region: str, domain: str) -> Registration | None:
        return self.registrations.get(region, {}).get(domain.lower())

    def keys_for_domain(self, domain: str) -> set[bytes]:
        """Every key registered for ``domain``, in any region."""
        return {
            found.public_key
            for per_region in self.registrations.values()
            if (found := per_region.get(domain)) is not None
        }

    def keys_for_client(self, region: str, client_id: str | None) -> set[bytes]:
        """The keys of ``client_id``'s registrations in ``region``; every key there when
        the token does not say which application it belongs to."""
        return {
            r.public_key
            for r in self.registrations.get(region, {}).values()
            if client_id is None or r.client_id == client_id
        }

    def key_for_pairing(self, domain: str, region: str) -> bytes | None:
        """The key the Tesla app would pair: the owner's region first, else any region."""
        found = self.lookup(region, domain)
        if found is not None:
            return found.public_key
        keys = sorted(self.keys_for_domain(domain.lower()))
        return keys[0] if keys else None

    def describe(self) -> dict[str, object]:
        return {
            "apps": [
                {"client_id": a.client_id, "allowed_origins": a.allowed_origins} for a in self.apps.values()
            ],
            "registrations": {
                region: {domain: r.as_response() for domain, r in per_region.items()}
                for region, per_region in self.registrations.items()
            },
            "hosted_keys": sorted(self.hosted_keys),
        }
