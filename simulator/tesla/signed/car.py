"""A car answering signed messages: handshakes, verified commands and faults.

``CarSigning`` holds one car's side of the Vehicle Command Protocol: a verifier per
domain, the keys paired with the car, and the knobs a scenario or the admin API turns.
``handle`` takes a decoded RoutableMessage and returns the car's reply; running a
command goes through ``SimVehicle.command``, the same code the REST path uses.

Order of the car's answers to a command (the faults are Tesla's ``MessageFault_E``):

1. no signature data or no payload: BAD_PARAMETER (13);
2. AES-GCM personalized: INVALID_COMMAND (9); Fleet API blocks them, as it cannot read
   the payload to check OAuth scopes (protocol.md).  The exact reply is not documented;
3. a signer key that is not paired: UNKNOWN_KEY_ID (3);
4. another signature type: BAD_PARAMETER (13);
5. a pending ``busy`` fault: BUSY (1), nothing checked or run;
6. the verifier's checks (``verifier.py``), with session info to resync;
7. a payload that does not decode: DECODING (10); a command the car does not know:
   INVALID_COMMAND (9);
8. the command runs; the car answers OK, or ERROR with the same reason as over REST.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
import os

from ..commands import signed_param_error
from ..vehicle import SimVehicle
from . import crypto
from .actions import Command, UnknownCommand, action_status, infotainment_command, vcsec_command, vcsec_status
from .messages import (
    DOMAIN_INFOTAINMENT,
    DOMAIN_VEHICLE_SECURITY,
    FAULT_BAD_PARAMETER,
    FAULT_BUSY,
    FAULT_DECODING,
    FAULT_INVALID_COMMAND,
    FAULT_INVALID_DOMAINS,
    FAULT_UNKNOWN_KEY_ID,
    FLAG_ENCRYPT_RESPONSE,
    OPERATION_ERROR,
    SESSION_INFO_KEY_NOT_ON_WHITELIST,
    Destination,
    Reply,
    RoutableMessage,
    encode_session_info,
)
from .verifier import AuthFault, DomainVerifier
from .wire import WireError

UNPAIRED_REPLIES = ("whitelist", "fault")
KeysForDomain = Callable[[str], set[bytes]]


def parse_point(text: str) -> bytes:
    """A public key written as hex of the uncompressed point; ``ValueError`` otherwise."""
    try:
        point = bytes.fromhex(text)
    except ValueError:
        raise ValueError(f"{text!r} is not hex") from None
    crypto.public_key_from_point(point)
    return point


@dataclass
class SigningKnobs:
    encrypt_responses: bool = True
    """Encrypt replies when the request asks (flags bit 1), as firmware 2024.38+ does."""
    unpaired_reply: str = "whitelist"
    """A handshake from an unpaired key: ``whitelist`` (SessionInfo status
    KEY_NOT_ON_WHITELIST) or ``fault`` (UNKNOWN_KEY_ID)."""
    clock_skew: float = 0.0
    """Seconds the car's clock runs ahead of the world's (negative: behind)."""


@dataclass
class Outcome:
    """The car's reply (an encoded RoutableMessage) and the fault it carries."""

    reply: bytes = b""
    fault: int = 0


class CarSigning:
    """One car's verifiers, paired keys and signing knobs."""

    def __init__(self, vin: str, now: float) -> None:
        self.vin = vin
        self.knobs = SigningKnobs()
        self.paired_keys: set[bytes] = set()
        self.paired_domains: set[str] = set()
        self.busy = 0
        """The next this many signed commands answer BUSY."""
        self.infotainment_unavailable = 0
        """The next this many INFOTAINMENT messages get HTTP 408 while VCSEC answers."""
        self.verifiers = {
            DOMAIN_VEHICLE_SECURITY: DomainVerifier(vin, DOMAIN_VEHICLE_SECURITY, strict_order=True),
            DOMAIN_INFOTAINMENT: DomainVerifier(vin, DOMAIN_INFOTAINMENT, strict_order=False),
        }
        for verifier in self.verifiers.values():
            verifier.reboot(now)

    # ------------------------------------------------------------ keys
    def pair(self, point: bytes) -> None:
        crypto.public_key_from_point(point)
        self.paired_keys.add(point)

    def is_paired(self, point: bytes | None, keys_for_domain: KeysForDomain) -> bool:
        return bool(point) and point in self.all_paired_keys(keys_for_domain)

    def all_paired_keys(self, keys_for_domain: KeysForDomain) -> set[bytes]:
        """The keys paired by value, and whatever key each paired domain has registered."""
        keys = set(self.paired_keys)
        for domain in self.paired_domains:
            keys |= keys_for_domain(domain)
        return keys

    def reboot(self, now: float, domain: int | None = None) -> None:
        for number, verifier in self.verifiers.items():
            if domain is None or number == domain:
                verifier.reboot(now)

    # ---------------------------------------------------------- reaching
    def reachable(self, domain: int | None, vehicle: SimVehicle) -> bool:
        """Whether a message for ``domain`` gets to the car (else HTTP 408).

        INFOTAINMENT needs the car online.  VCSEC answers while the car sleeps
        (protocol.md, Domains), but not when it is offline altogether.
        """
        if domain == DOMAIN_INFOTAINMENT:
            if self.infotainment_unavailable > 0:
                self.infotainment_unavailable -= 1
                return False
            return vehicle.state == "online"
        return not vehicle.forced_offline

    # ---------------------------------------------------------- messages
    def handle(
        self, message: RoutableMessage, vehicle: SimVehicle, keys_for_domain: KeysForDomain, now: float
    ) -> Outcome:
        domain = message.domain
        reply = Reply(
            to_destination=message.from_destination,
            from_destination=Destination(domain=domain) if domain is not None else None,
            # VCSEC leaves request_uuid empty for lack of memory (protocol.md).
            request_uuid=message.uuid if domain != DOMAIN_VEHICLE_SECURITY else None,
            uuid=os.urandom(16),
            flags=message.flags,
        )
        outcome = Outcome()
        verifier = self.verifiers.get(domain or -1)
        if verifier is None:
            return self._fault(outcome, reply, FAULT_INVALID_DOMAINS)
        if domain == DOMAIN_INFOTAINMENT:
            vehicle.touch()  # the car's computer answered: activity, as a REST command is
        if message.is_handshake:
            return self._handshake(outcome, reply, message, verifier, keys_for_domain, now)
        return self._command(outcome, reply, message, verifier, vehicle, keys_for_domain, now)

    def _fault(self, outcome: Outcome, reply: Reply, fault: int) -> Outcome:
        reply.operation_status = OPERATION_ERROR
        reply.fault = fault
        outcome.fault = fault
        outcome.reply = reply.encode()
        return outcome

    def _handshake(
        self,
        outcome: Outcome,
        reply: Reply,
        message: RoutableMessage,
        verifier: DomainVerifier,
        keys_for_domain: KeysForDomain,
        now: float,
    ) -> Outcome:
        point = message.session_info_request_key
        if not self.is_paired(point, keys_for_domain):
            if self.knobs.unpaired_reply == "fault":
                return self._fault(outcome, reply, FAULT_UNKNOWN_KEY_ID)
            # No public key and no tag: the client cannot (and need not) check it.
            reply.session_info = encode_session_info(
                counter=0, public_key=None, epoch=None, clock_time=0, status=SESSION_INFO_KEY_NOT_ON_WHITELIST
            )
            outcome.reply = reply.encode()
            return outcome
        assert point is not None
        reply.session_info, reply.session_info_tag = verifier.signed_session_info(
            point, message.uuid, now, self.knobs.clock_skew
        )
        outcome.reply = reply.encode()
        return outcome

    def _command(
        self,
        outcome: Outcome,
        reply: Reply,
        message: RoutableMessage,
        verifier: DomainVerifier,
        vehicle: SimVehicle,
        keys_for_domain: KeysForDomain,
        now: float,
    ) -> Outcome:
        signature = message.signature
        if signature is None or message.payload is None:
            return self._fault(outcome, reply, FAULT_BAD_PARAMETER)
        if signature.aes_gcm:
            return self._fault(outcome, reply, FAULT_INVALID_COMMAND)
        point = signature.signer_public_key
        if not self.is_paired(point, keys_for_domain):
            return self._fault(outcome, reply, FAULT_UNKNOWN_KEY_ID)
        assert point is not None
        if signature.hmac is None:
            return self._fault(outcome, reply, FAULT_BAD_PARAMETER)
        if self.busy > 0:
            self.busy -= 1
            return self._fault(outcome, reply, FAULT_BUSY)
        skew = self.knobs.clock_skew
        checked = verifier.verify(point, signature.hmac, message.flags, message.payload, now, skew)
        if isinstance(checked, AuthFault):
            reply.session_info, reply.session_info_tag = verifier.signed_session_info(
                point, message.uuid, now, skew
            )
            return self._fault(outcome, reply, checked.code)
        try:
            command = self._decode(verifier.domain, message.payload)
        except WireError:
            return self._fault(outcome, reply, FAULT_DECODING)
        except UnknownCommand:
            return self._fault(outcome, reply, FAULT_INVALID_COMMAND)
        result, reason = self._run(vehicle, command)
        if verifier.domain == DOMAIN_INFOTAINMENT:
            payload = action_status(result, reason)
        else:
            payload = vcsec_status(result)
        if message.flags & FLAG_ENCRYPT_RESPONSE and self.knobs.encrypt_responses:
            counter = signature.hmac.counter
            aad = crypto.response_aad(
                domain=verifier.domain,
                vin=self.vin,
                counter=counter,
                flags=reply.flags,
                request_digest=crypto.request_hash(
                    verifier.domain, checked.hmac_tag, DOMAIN_VEHICLE_SECURITY
                ),
                fault=0,
            )
            reply.response_nonce, payload, reply.response_tag = crypto.encrypt(checked.k, payload, aad)
            reply.response_counter = counter
        reply.payload = payload
        outcome.reply = reply.encode()
        return outcome

    @staticmethod
    def _decode(domain: int, payload: bytes) -> Command:
        if domain == DOMAIN_INFOTAINMENT:
            return infotainment_command(payload)
        return vcsec_command(payload)

    @staticmethod
    def _run(vehicle: SimVehicle, command: Command) -> tuple[bool, str]:
        problem = signed_param_error(command.name, command.params)
        if problem is not None:
            vehicle.touch()
            return False, problem
        return vehicle.command(command.name, command.params)
