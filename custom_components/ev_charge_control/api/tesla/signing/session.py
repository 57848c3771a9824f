"""One car domain's session: what a signed command is counted and timed against.

After a handshake the client knows the domain's public key (and from it, with our
private key, the shared key K), its epoch (a random id of the boot), its anti-replay
counter, and its clock.  The car's clock counts seconds since the epoch began, so the
client keeps the difference to its own clock and computes expiry times from that.

A session outlives the process: ``export()`` gives plain JSON data to store and
``from_export`` picks it up again, so a restart costs no handshake.  What is stored is
public information only; K is derived again from the private key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
import math
from typing import Any, Final

from .keys import POINT_LENGTH, SigningKey
from .messages import SessionInfo

EXPORT_VERSION: Final = 1
EPOCH_LENGTH: Final = 16
COUNTER_MAX: Final = 0xFFFFFFFF
_EXPIRES_AT_MAX: Final = 0xFFFFFFFF


@dataclass(eq=False, slots=True)
class Session:
    """Mutable state for one (VIN, domain); the signer owns it."""

    vin: str
    domain: int
    client_public_key: bytes
    vehicle_public_key: bytes
    epoch: bytes
    counter: int
    clock_time: int
    """The car's clock in the last session info accepted (seconds since the epoch began)."""
    clock_offset: float
    """Local clock minus the car's clock at that moment."""
    shared_key: bytes = field(repr=False)
    """K; derived from the keys, never exported."""

    @classmethod
    def start(cls, key: SigningKey, vin: str, domain: int, info: SessionInfo, now: float) -> Session:
        """A session from handshake info; ``ValueError`` if the car's key is not a P-256 point."""
        if len(info.epoch) != EPOCH_LENGTH:
            raise ValueError(f"epoch of {len(info.epoch)} bytes, expected {EPOCH_LENGTH}")
        return cls(
            vin=vin,
            domain=int(domain),
            client_public_key=key.public_point(),
            vehicle_public_key=info.public_key,
            epoch=info.epoch,
            counter=info.counter,
            clock_time=info.clock_time,
            clock_offset=now - info.clock_time,
            shared_key=key.shared_key(info.public_key),
        )

    def car_time(self, now: float) -> float:
        """The car's clock now, as the client estimates it."""
        return now - self.clock_offset

    def expires_at(self, ttl: float, now: float) -> int:
        """``ttl`` seconds from now on the car's clock (whole seconds, as Go truncates).

        Never 0, which the car reads as "does not expire": a clock estimate gone wrong
        should earn a TIME_EXPIRED (and fresh session info), not an unbounded command.
        """
        return min(max(math.floor(self.car_time(now) + ttl), 1), _EXPIRES_AT_MAX)

    @property
    def exhausted(self) -> bool:
        """The counter cannot go up any more: only a new epoch helps."""
        return self.counter >= COUNTER_MAX

    def next_counter(self) -> int:
        """Count one command; every command needs a counter the car has not seen."""
        if self.exhausted:
            raise OverflowError("the session's counter is used up")
        self.counter += 1
        return self.counter

    def update_from(self, info: SessionInfo, now: float) -> bool:
        """Take newer authenticated session info; ``False`` when it was discarded.

        Within one epoch the counter never goes back (replies can arrive out of order,
        and a lower counter would only earn refusals), and info whose clock is older
        than what we already have is stale.  A new epoch (the car rebooted) replaces
        everything.  The car's public key is the caller's to compare: a different key
        is a different session, not an update.
        """
        if info.epoch == self.epoch:
            if info.clock_time < self.clock_time:
                return False
            self.counter = max(self.counter, info.counter)
        else:
            self.epoch = info.epoch
            self.counter = info.counter
        self.clock_time = info.clock_time
        self.clock_offset = now - info.clock_time
        return True

    def export(self) -> dict[str, Any]:
        """JSON-safe state to store: hex strings, ints and a float. No key material."""
        return {
            "version": EXPORT_VERSION,
            "vin": self.vin,
            "domain": self.domain,
            "client_public_key": self.client_public_key.hex(),
            "vehicle_public_key": self.vehicle_public_key.hex(),
            "epoch": self.epoch.hex(),
            "counter": self.counter,
            "clock_time": self.clock_time,
            "clock_offset": self.clock_offset,
        }

    @classmethod
    def from_export(cls, data: Mapping[str, Any], key: SigningKey) -> Session:
        """The session ``export()`` described; ``ValueError`` if it is not one, or is for
        another client key (the car would refuse every command signed with it)."""
        if data.get("version") != EXPORT_VERSION:
            raise ValueError("unknown session format")
        client_public_key = _hex(data, "client_public_key", POINT_LENGTH)
        if client_public_key != key.public_point():
            raise ValueError("the session was made with another key")
        vehicle_public_key = _hex(data, "vehicle_public_key", POINT_LENGTH)
        vin = data.get("vin")
        if not isinstance(vin, str) or not vin:
            raise ValueError("session without a VIN")
        offset = data.get("clock_offset")
        if isinstance(offset, bool) or not isinstance(offset, int | float) or not math.isfinite(offset):
            raise ValueError("session without a clock offset")
        return cls(
            vin=vin,
            domain=_int(data, "domain", 255),
            client_public_key=client_public_key,
            vehicle_public_key=vehicle_public_key,
            epoch=_hex(data, "epoch", EPOCH_LENGTH),
            counter=_int(data, "counter", COUNTER_MAX),
            clock_time=_int(data, "clock_time", _EXPIRES_AT_MAX),
            clock_offset=float(offset),
            shared_key=key.shared_key(vehicle_public_key),
        )


def _hex(data: Mapping[str, Any], name: str, length: int) -> bytes:
    value = data.get(name)
    raw = bytes.fromhex(value) if isinstance(value, str) else b""
    if len(raw) != length:
        raise ValueError(f"session {name} is not {length} bytes in hex")
    return raw


def _int(data: Mapping[str, Any], name: str, high: int) -> int:
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= high:
        raise ValueError(f"session {name} is not an integer in 0..{high}")
    return value
