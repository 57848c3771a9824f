"""One domain of one car checking signed commands, as Tesla's Go ``Verifier`` does.

Each domain (VCSEC, INFOTAINMENT) has its own EC P-256 key, a random 16-byte epoch
and a clock: seconds since the epoch started, read from the world's clock plus the
car's ``clock_skew``.  A "reboot" starts a new epoch.  Every client key has its own
anti-replay counter (Go keeps one per signer); INFOTAINMENT also accepts counters that
arrive out of order within a window of 32, VCSEC only strictly increasing ones.

The checks and their faults, in Go's order (``verifier.go``, ``window.go``):

1. an epoch that is present and not the car's: INCORRECT_EPOCH (15);
2. ``expires_at`` set and already past: TIME_EXPIRED (17);
3. ``expires_at`` beyond 2^30 s: BAD_PARAMETER (13);
4. counter 0, or below the key's counter, unless it expires within 30 s:
   TIME_TO_LIVE_TOO_LONG (20);
5. a tag that does not match: INVALID_SIGNATURE (5);
6. a counter already seen or older than the window: INVALID_TOKEN_OR_COUNTER (6).

Every one of these faults comes back with fresh session info, tagged for the failed
request's uuid, so the client can resynchronise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import hmac
import math
import os

from cryptography.hazmat.primitives.asymmetric import ec

from . import crypto
from .messages import (
    FAULT_BAD_PARAMETER,
    FAULT_INCORRECT_EPOCH,
    FAULT_INVALID_SIGNATURE,
    FAULT_INVALID_TOKEN_OR_COUNTER,
    FAULT_TIME_EXPIRED,
    FAULT_TIME_TO_LIVE_TOO_LONG,
    HmacData,
    encode_session_info,
)

EPOCH_LENGTH = 1 << 30  # seconds; Go rotates the epoch beyond this
MAX_SECONDS_WITHOUT_COUNTER = 30
WINDOW_SIZE = 32
_U64 = (1 << 64) - 1
COUNTER_MAX = 0xFFFFFFFF


def slide_window(counter: int, window: int, new: int) -> tuple[int, int] | None:
    """Accept ``new`` if never seen: the updated (counter, window), else ``None``.

    ``counter`` is the highest counter accepted so far; bit ``i`` of the 64-bit
    ``window`` records whether ``counter - i - 1`` was accepted.
    """
    if new == counter:
        return None
    if new < counter:
        age = counter - new
        if age > WINDOW_SIZE or window >> (age - 1) & 1:
            return None
        return counter, window | 1 << (age - 1)
    shift = new - counter
    return new, ((window << shift) | (1 << (shift - 1))) & _U64


@dataclass
class ClientCounter:
    counter: int = 0
    window: int = 0


@dataclass
class Verified:
    """A command that passed every check."""

    k: bytes
    hmac_tag: bytes


@dataclass
class AuthFault:
    """A check failed; the reply carries fresh session info for ``challenge``."""

    code: int


@dataclass
class DomainVerifier:
    vin: str
    domain: int
    strict_order: bool
    private_key: ec.EllipticCurvePrivateKey = field(default_factory=crypto.new_private_key)
    epoch: bytes = b""
    time_zero: float = 0.0
    clients: dict[bytes, ClientCounter] = field(default_factory=dict)
    _keys: dict[bytes, bytes] = field(default_factory=dict, repr=False)

    @property
    def public_point(self) -> bytes:
        return crypto.point_of(self.private_key)

    # -------------------------------------------------------------- time
    def reboot(self, now: float) -> None:
        """A new random epoch starting now; every client's counter goes back to 0."""
        self.epoch = os.urandom(16)
        self.time_zero = now
        self.clients.clear()

    def clock(self, now: float, skew: float) -> int:
        """Seconds since the epoch started, by the car's (possibly skewed) clock."""
        return max(0, math.floor(now + skew - self.time_zero))

    def _rotate_if_needed(self, now: float, skew: float) -> None:
        if not self.epoch or self.clock(now, skew) > EPOCH_LENGTH:
            self.reboot(now)

    # ------------------------------------------------------- session info
    def shared_key(self, client_point: bytes) -> bytes:
        """``K`` for a client key (``ValueError`` when it is not a P-256 point)."""
        if client_point not in self._keys:
            self._keys[client_point] = crypto.shared_key(self.private_key, client_point)
        return self._keys[client_point]

    def session_info(self, client_point: bytes, now: float, skew: float) -> bytes:
        self._rotate_if_needed(now, skew)
        counter = self.clients.get(client_point, ClientCounter()).counter
        return encode_session_info(
            counter=counter,
            public_key=self.public_point,
            epoch=self.epoch,
            clock_time=self.clock(now, skew),
        )

    def signed_session_info(
        self, client_point: bytes, challenge: bytes | None, now: float, skew: float
    ) -> tuple[bytes, bytes]:
        """SessionInfo bytes and the tag that authenticates them for ``challenge``."""
        info = self.session_info(client_point, now, skew)
        return info, crypto.session_info_tag(self.shared_key(client_point), self.vin, challenge, info)

    # ------------------------------------------------------------ verify
    def verify(
        self, client_point: bytes, data: HmacData, flags: int, payload: bytes, now: float, skew: float
    ) -> Verified | AuthFault:
        self._rotate_if_needed(now, skew)
        clock = self.clock(now, skew)
        client = self.clients.setdefault(client_point, ClientCounter())
        if data.epoch is not None and data.epoch != self.epoch:
            return AuthFault(FAULT_INCORRECT_EPOCH)
        if data.expires_at and data.expires_at < clock:
            return AuthFault(FAULT_TIME_EXPIRED)
        if data.expires_at > EPOCH_LENGTH:
            return AuthFault(FAULT_BAD_PARAMETER)
        if (data.counter == 0 or data.counter < client.counter) and (
            data.expires_at == 0 or data.expires_at - clock > MAX_SECONDS_WITHOUT_COUNTER
        ):
            return AuthFault(FAULT_TIME_TO_LIVE_TOO_LONG)
        k = self.shared_key(client_point)
        expected = crypto.command_tag(
            k,
            domain=self.domain,
            vin=self.vin,
            epoch=self.epoch,
            expires_at=data.expires_at,
            counter=data.counter,
            flags=flags,
            payload=payload,
        )
        if not hmac.compare_digest(expected, data.tag):
            return AuthFault(FAULT_INVALID_SIGNATURE)
        if data.counter > 0 and not self._accept_counter(client, data.counter):
            return AuthFault(FAULT_INVALID_TOKEN_OR_COUNTER)
        if client.counter == COUNTER_MAX:
            self.reboot(now)  # counter rollover: Go starts a new epoch
        return Verified(k=k, hmac_tag=data.tag)

    def _accept_counter(self, client: ClientCounter, counter: int) -> bool:
        if self.strict_order:
            # VCSEC requires messages in counter order (protocol.md, Metadata).
            if counter <= client.counter:
                return False
            client.counter = counter
            return True
        updated = slide_window(client.counter, client.window, counter)
        if updated is None:
            return False
        client.counter, client.window = updated
        return True
