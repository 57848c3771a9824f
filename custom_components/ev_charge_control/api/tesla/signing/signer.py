"""Signing commands and reading the car's answers: the protocol logic, without HTTP.

The client asks this module for bytes to send and hands it the bytes that came back;
the signer keeps one session per (VIN, domain) and decides what an answer means.  It
never sends anything itself, so it can be tested with a fake car and used over any
transport.

Trust rules, from Tesla's protocol.md:
* Session info counts only with a valid tag over our request's uuid as challenge, made
  with the key derived from the car public key it carries.
* Within one epoch, the counter never goes back and older clock readings are ignored.
* An encrypted reply must authenticate, be for our request (its hash is in the AAD)
  and use a reply counter not seen before for that request.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
import logging
import os
import time
from typing import Any, Final, NoReturn, Protocol

from ...errors import (
    ApiError,
    KeyNotPaired,
    SessionInfoInvalid,
    SignedCommandFault,
    SignedReplyInvalid,
    VehicleBusy,
    fault_name,
)
from .crypto import (
    DecryptionFailed,
    command_metadata,
    command_tag,
    decrypt_response,
    request_hash,
    response_aad,
    session_info_tag_valid,
)
from .keys import SigningKey
from .messages import (
    FLAG_ENCRYPT_RESPONSE,
    SESSION_INFO_STATUS_KEY_NOT_ON_WHITELIST,
    CarServerResponse,
    Destination,
    Domain,
    HmacPersonalizedData,
    RoutableMessage,
    SessionInfo,
    SessionInfoRequest,
    SignatureData,
    VcsecResponse,
)
from .session import Session
from .wire import WireFormatError

_LOGGER = logging.getLogger(__name__)

DEFAULT_TTL: Final = 15.0
"""Seconds a signed command stays valid on the car's clock (the car refuses more than 30)."""
UUID_LENGTH: Final = 16

FAULT_BUSY: Final = 1
FAULT_UNKNOWN_KEY_ID: Final = 3
FAULT_INTERNAL: Final = 11
RESYNC_FAULTS: Final = frozenset({5, 6, 13, 15, 17, 20})
"""Authentication faults: the car did not run the command and sends its session state.

INVALID_SIGNATURE, INVALID_TOKEN_OR_COUNTER, BAD_PARAMETER, INCORRECT_EPOCH,
TIME_EXPIRED and TIME_TO_LIVE_TOO_LONG.
"""
BUSY_FAULTS: Final = frozenset({FAULT_BUSY, FAULT_INTERNAL})


class SessionStore(Protocol):
    """Where sessions live between restarts; synchronous, called on every change."""

    def load(self, vin: str, domain: int) -> Mapping[str, Any] | None: ...

    def save(self, vin: str, domain: int, state: Mapping[str, Any]) -> None: ...


class InMemorySessionStore:
    """A ``SessionStore`` in a dict: for scripts and tests (nothing survives the process)."""

    def __init__(self) -> None:
        self.sessions: dict[tuple[str, int], dict[str, Any]] = {}

    def load(self, vin: str, domain: int) -> Mapping[str, Any] | None:
        return self.sessions.get((vin, int(domain)))

    def save(self, vin: str, domain: int, state: Mapping[str, Any]) -> None:
        self.sessions[vin, int(domain)] = dict(state)


class SessionResync(ApiError):
    """The car refused a command for a session reason before running it, and the
    session is now up to date (or dropped, for a fresh handshake): sign it again.

    Internal to the client; it carries the fault code only.
    """

    def __init__(self, fault: int) -> None:
        super().__init__(f"session out of step with the car ({fault_name(fault)})")
        self.fault = fault


class NoSession(LookupError):
    """``sign`` was called before a handshake gave the domain a session."""


@dataclass(eq=False)
class PendingCommand:
    """A signed command on its way: what its answer has to match."""

    vin: str
    domain: int
    uuid: bytes
    request_hash: bytes
    session: Session = field(repr=False)
    seen_reply_counters: set[int] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class SignedReply:
    """The car's application-level answer: ``ok``, or the reason it refused."""

    domain: int
    ok: bool
    reason: str = ""
    encrypted: bool = False


class CommandSigner:
    """Signs commands for the cars of one client key, one session per (VIN, domain)."""

    def __init__(
        self,
        key: SigningKey,
        session_store: SessionStore | None = None,
        clock: Callable[[], float] = time.time,
        ttl: float = DEFAULT_TTL,
    ) -> None:
        self.key = key
        self._store = session_store
        self._clock = clock
        self.ttl = ttl
        # None records "no session" (never made, or dropped) so the store is read once.
        self._sessions: dict[tuple[str, int], Session | None] = {}

    # ------------------------------------------------------------ sessions
    def session(self, vin: str, domain: int) -> Session | None:
        """The current session for ``(vin, domain)``: in memory, else from the store."""
        slot = (vin, int(domain))
        if slot not in self._sessions:
            self._sessions[slot] = self._load(vin, int(domain))
        return self._sessions[slot]

    def has_session(self, vin: str, domain: int) -> bool:
        session = self.session(vin, domain)
        return session is not None and not session.exhausted

    def forget(self, vin: str, domain: int) -> None:
        """Drop a session: the next command starts with a handshake."""
        self._sessions[vin, int(domain)] = None

    def _load(self, vin: str, domain: int) -> Session | None:
        if self._store is None:
            return None
        data = self._store.load(vin, domain)
        if not isinstance(data, Mapping):
            return None
        try:
            session = Session.from_export(data, self.key)
        except (ValueError, TypeError) as err:
            _LOGGER.debug("Ignoring the stored session for %s domain %s: %s", vin, domain, err)
            return None
        if session.vin != vin or session.domain != domain:
            return None
        return session

    def _keep(self, session: Session) -> None:
        self._sessions[session.vin, session.domain] = session
        if self._store is not None:
            self._store.save(session.vin, session.domain, session.export())

    # ------------------------------------------------------------ handshake
    def session_request(self, vin: str, domain: int) -> tuple[bytes, bytes]:
        """A handshake request and its uuid, the challenge the answer's tag must cover."""
        uuid = os.urandom(UUID_LENGTH)
        message = RoutableMessage(
            to_destination=Destination(domain=int(domain)),
            from_destination=Destination(routing_address=os.urandom(UUID_LENGTH)),
            session_info_request=SessionInfoRequest(public_key=self.key.public_point()),
            uuid=uuid,
        )
        return message.encode(), uuid

    def accept_session_info(self, vin: str, domain: int, reply: bytes, uuid: bytes) -> Session:
        """Take the car's answer to ``session_request``; the session it gives.

        Raises ``KeyNotPaired`` when the car does not know our key, and
        ``SessionInfoInvalid`` when the answer does not verify.
        """
        try:
            message = RoutableMessage.decode(reply)
        except WireFormatError as err:
            raise SessionInfoInvalid("the car's session answer is not a protocol message") from err
        if message.request_uuid and message.request_uuid != uuid:
            raise SessionInfoInvalid("the session answer is for another request")
        if message.fault:
            _raise_fault(message.fault)
        if message.session_info is None:
            raise SessionInfoInvalid("the car's answer holds no session info")
        return self._accept(vin, int(domain), message, uuid)

    def _accept(self, vin: str, domain: int, message: RoutableMessage, challenge: bytes) -> Session:
        """Verify session info from ``message`` and apply it to the session."""
        encoded = message.session_info or b""
        try:
            info = SessionInfo.decode(encoded)
        except WireFormatError as err:
            raise SessionInfoInvalid("the car's session info is not readable") from err
        if info.status == SESSION_INFO_STATUS_KEY_NOT_ON_WHITELIST:
            # This answer carries no key and no tag; it can only be taken at its word.
            raise KeyNotPaired("the car does not know this key: pair it in the Tesla app")
        tag = message.signature_data.session_info_tag if message.signature_data is not None else None
        if not tag:
            raise SessionInfoInvalid("the car's session info carries no tag")
        try:
            shared_key = self.key.shared_key(info.public_key)
        except ValueError as err:
            raise SessionInfoInvalid("the car's session info has no valid public key") from err
        if not session_info_tag_valid(shared_key, vin, challenge, encoded, tag):
            raise SessionInfoInvalid("the car's session info failed verification")
        now = self._clock()
        current = self.session(vin, domain)
        if current is not None and current.vehicle_public_key == info.public_key:
            if not current.update_from(info, now):
                _LOGGER.debug("Discarded stale session info for %s domain %s", vin, domain)
            session = current
        else:
            if current is not None:
                _LOGGER.debug("The car's key for %s domain %s changed: new session", vin, domain)
            try:
                session = Session.start(self.key, vin, domain, info, now)
            except ValueError as err:
                raise SessionInfoInvalid(f"the car's session info is unusable: {err}") from err
        self._keep(session)
        return session

    # ------------------------------------------------------------ commands
    def sign(self, vin: str, domain: int, payload: bytes) -> tuple[bytes, PendingCommand]:
        """A signed request for ``payload`` and what its answer must match.

        Raises ``NoSession`` when the domain needs a handshake first.  The counter goes
        up (and is stored) before the bytes exist, so they are never reused.
        """
        session = self.session(vin, domain)
        if session is None or session.exhausted:
            raise NoSession(f"no session for {vin} domain {int(domain)}")
        counter = session.next_counter()
        expires_at = session.expires_at(self.ttl, self._clock())
        flags = FLAG_ENCRYPT_RESPONSE
        metadata = command_metadata(
            domain=session.domain,
            vin=vin,
            epoch=session.epoch,
            expires_at=expires_at,
            counter=counter,
            flags=flags,
        )
        tag = command_tag(session.shared_key, metadata, payload)
        uuid = os.urandom(UUID_LENGTH)
        message = RoutableMessage(
            to_destination=Destination(domain=session.domain),
            from_destination=Destination(routing_address=os.urandom(UUID_LENGTH)),
            payload=payload,
            signature_data=SignatureData(
                signer_public_key=self.key.public_point(),
                hmac_personalized=HmacPersonalizedData(
                    epoch=session.epoch, counter=counter, expires_at=expires_at, tag=tag
                ),
            ),
            uuid=uuid,
            flags=flags,
        )
        self._keep(session)
        pending = PendingCommand(vin, session.domain, uuid, request_hash(session.domain, tag), session)
        return message.encode(), pending

    def open_reply(self, pending: PendingCommand, reply: bytes) -> SignedReply:
        """What the car said about ``pending``.

        Raises ``SessionResync`` when the car refused on session grounds (sign and send
        again, once), ``KeyNotPaired``, ``VehicleBusy``, ``SignedCommandFault`` for other
        protocol refusals, and ``SignedReplyInvalid`` for a reply that is not trusted.
        """
        try:
            message = RoutableMessage.decode(reply)
        except WireFormatError as err:
            raise SignedReplyInvalid(f"the car's reply is not a protocol message: {err.message}") from err
        if message.request_uuid and message.request_uuid != pending.uuid:
            raise SignedReplyInvalid("the reply answers another request")
        if message.fault:
            self._refused(pending, message)
        payload = message.payload or b""
        gcm = message.signature_data.aes_gcm_response if message.signature_data is not None else None
        if gcm is not None:
            if gcm.counter in pending.seen_reply_counters:
                raise SignedReplyInvalid("the car's reply repeats one already read")
            from_domain = message.from_domain
            aad = response_aad(
                domain=pending.domain if from_domain is None else from_domain,
                vin=pending.vin,
                counter=gcm.counter,
                flags=message.flags,
                request_hash=pending.request_hash,
                fault=message.fault,
            )
            try:
                payload = decrypt_response(pending.session.shared_key, gcm.nonce, payload, gcm.tag, aad)
            except DecryptionFailed as err:
                raise SignedReplyInvalid("the car's encrypted reply failed authentication") from err
            pending.seen_reply_counters.add(gcm.counter)
        try:
            return _application_reply(pending.domain, payload, encrypted=gcm is not None)
        except WireFormatError as err:
            raise SignedReplyInvalid(f"the car's answer is not readable: {err.message}") from err

    def _refused(self, pending: PendingCommand, message: RoutableMessage) -> NoReturn:
        fault = message.fault
        if fault in RESYNC_FAULTS:
            if message.session_info is None:
                # Nothing to resync from: start over with a handshake.
                self.forget(pending.vin, pending.domain)
            else:
                # The challenge is the refused request's uuid; a bad tag raises here.
                self._accept(pending.vin, pending.domain, message, pending.uuid)
            raise SessionResync(fault)
        _raise_fault(fault)


def _raise_fault(fault: int) -> NoReturn:
    if fault == FAULT_UNKNOWN_KEY_ID:
        raise KeyNotPaired("the car does not know this key: pair it in the Tesla app")
    if fault in BUSY_FAULTS:
        raise VehicleBusy(f"the car is busy ({fault_name(fault)}); it did not run the command")
    raise SignedCommandFault(fault)


def _application_reply(domain: int, payload: bytes, *, encrypted: bool) -> SignedReply:
    if domain == Domain.VEHICLE_SECURITY:
        vcsec = VcsecResponse.decode(payload)
        if vcsec.error_name is not None:
            return SignedReply(domain, ok=False, reason=f"vcsec: {vcsec.error_name}", encrypted=encrypted)
        if vcsec.busy:
            raise VehicleBusy("the car's security controller is busy; it did not run the command")
        return SignedReply(domain, ok=True, encrypted=encrypted)
    response = CarServerResponse.decode(payload)
    return SignedReply(domain, ok=response.ok, reason=response.reason, encrypted=encrypted)
