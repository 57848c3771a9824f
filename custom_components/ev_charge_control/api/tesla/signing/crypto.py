"""The protocol's symmetric cryptography, once the ECDH key K is known.

Everything is bound to a *metadata* string, a tag-length-value list that names what a
tag or ciphertext is for (signature type, domain, VIN, epoch, expiry, counter, ...), so
a signature for one car, domain or moment cannot be replayed for another.
"""

from __future__ import annotations

from collections.abc import Iterable
import hashlib
import hmac
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .messages import Domain

# Signatures.Tag
TAG_SIGNATURE_TYPE: Final = 0
TAG_DOMAIN: Final = 1
TAG_PERSONALIZATION: Final = 2
TAG_EPOCH: Final = 3
TAG_EXPIRES_AT: Final = 4
TAG_COUNTER: Final = 5
TAG_CHALLENGE: Final = 6
TAG_FLAGS: Final = 7
TAG_REQUEST_HASH: Final = 8
TAG_FAULT: Final = 9
TAG_END: Final = 0xFF

# Signatures.SignatureType
SIGNATURE_TYPE_AES_GCM_PERSONALIZED: Final = 5
SIGNATURE_TYPE_HMAC: Final = 6
SIGNATURE_TYPE_HMAC_PERSONALIZED: Final = 8
SIGNATURE_TYPE_AES_GCM_RESPONSE: Final = 9

_LABEL_SESSION_INFO: Final = b"session info"
_LABEL_COMMAND: Final = b"authenticated command"
_VCSEC_REQUEST_HASH_LENGTH: Final = 17


class DecryptionFailed(Exception):
    """An encrypted reply did not authenticate under the session key."""


def be32(value: int) -> bytes:
    """A metadata integer: four bytes, big-endian."""
    return value.to_bytes(4, "big")


def metadata(items: Iterable[tuple[int, bytes]]) -> bytes:
    """``tag ‖ length ‖ value`` per item, in strictly ascending tag order, then 0xFF.

    The order and the one-byte lengths are what both sides hash; anything else would
    be a different string, so it is refused here rather than sent.
    """
    out = bytearray()
    last = -1
    for tag, value in items:
        if not last < tag < TAG_END:
            raise ValueError(f"metadata tags must ascend: {tag} after {last}")
        if len(value) > 255:
            raise ValueError(f"metadata value for tag {tag} is longer than 255 bytes")
        out += bytes((tag, len(value))) + value
        last = tag
    out.append(TAG_END)
    return bytes(out)


def _hmac(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha256).digest()


def session_info_key(shared_key: bytes) -> bytes:
    """SIK: the key that authenticates session info (HMAC-SHA256(K, "session info"))."""
    return _hmac(shared_key, _LABEL_SESSION_INFO)


def command_key(shared_key: bytes) -> bytes:
    """K_cmd: the key that signs commands (HMAC-SHA256(K, "authenticated command"))."""
    return _hmac(shared_key, _LABEL_COMMAND)


def session_info_metadata(vin: str, challenge: bytes) -> bytes:
    return metadata(
        (
            (TAG_SIGNATURE_TYPE, bytes((SIGNATURE_TYPE_HMAC,))),
            (TAG_PERSONALIZATION, vin.encode()),
            (TAG_CHALLENGE, challenge),
        )
    )


def session_info_tag(shared_key: bytes, vin: str, challenge: bytes, session_info: bytes) -> bytes:
    """The tag a car puts on session info it sends in answer to ``challenge`` (a request uuid)."""
    return _hmac(session_info_key(shared_key), session_info_metadata(vin, challenge) + session_info)


def session_info_tag_valid(
    shared_key: bytes, vin: str, challenge: bytes, session_info: bytes, tag: bytes
) -> bool:
    """Whether ``tag`` is right, compared in constant time."""
    return hmac.compare_digest(session_info_tag(shared_key, vin, challenge, session_info), tag)


def command_metadata(
    *, domain: int, vin: str, epoch: bytes, expires_at: int, counter: int, flags: int
) -> bytes:
    """What an HMAC-personalized command's tag covers besides the payload.

    Flags are only included when non-zero: older cars did not know the field, and a
    man in the middle who clears them changes the hash anyway.
    """
    items = [
        (TAG_SIGNATURE_TYPE, bytes((SIGNATURE_TYPE_HMAC_PERSONALIZED,))),
        (TAG_DOMAIN, bytes((domain,))),
        (TAG_PERSONALIZATION, vin.encode()),
        (TAG_EPOCH, epoch),
        (TAG_EXPIRES_AT, be32(expires_at)),
        (TAG_COUNTER, be32(counter)),
    ]
    if flags:
        items.append((TAG_FLAGS, be32(flags)))
    return metadata(items)


def command_tag(shared_key: bytes, command_metadata_bytes: bytes, payload: bytes) -> bytes:
    """HMAC-SHA256(K_cmd, metadata ‖ payload)."""
    return _hmac(command_key(shared_key), command_metadata_bytes + payload)


def request_hash(domain: int, hmac_tag: bytes) -> bytes:
    """What a reply's encryption is bound to: the signature type, then the request's tag.

    VCSEC has little memory, so for it the hash is cut to 17 bytes.
    """
    value = bytes((SIGNATURE_TYPE_HMAC_PERSONALIZED,)) + hmac_tag
    return value[:_VCSEC_REQUEST_HASH_LENGTH] if domain == Domain.VEHICLE_SECURITY else value


def response_aad(
    *, domain: int, vin: str, counter: int, flags: int, request_hash: bytes, fault: int
) -> bytes:
    """SHA-256 of the reply's metadata; unlike a request's, the flags are always present."""
    return hashlib.sha256(
        metadata(
            (
                (TAG_SIGNATURE_TYPE, bytes((SIGNATURE_TYPE_AES_GCM_RESPONSE,))),
                (TAG_DOMAIN, bytes((domain,))),
                (TAG_PERSONALIZATION, vin.encode()),
                (TAG_COUNTER, be32(counter)),
                (TAG_FLAGS, be32(flags)),
                (TAG_REQUEST_HASH, request_hash),
                (TAG_FAULT, be32(fault)),
            )
        )
    ).digest()


def decrypt_response(shared_key: bytes, nonce: bytes, ciphertext: bytes, tag: bytes, aad: bytes) -> bytes:
    """AES-128-GCM with K; raises ``DecryptionFailed`` when anything does not authenticate."""
    if len(nonce) != 12 or len(tag) != 16:
        raise DecryptionFailed("nonce or tag of the wrong length")
    try:
        return AESGCM(shared_key).decrypt(nonce, ciphertext + tag, aad)
    except InvalidTag as err:
        raise DecryptionFailed("the reply does not authenticate") from err


def encrypt_response(shared_key: bytes, nonce: bytes, plaintext: bytes, aad: bytes) -> tuple[bytes, bytes]:
    """The car's side of ``decrypt_response`` (ciphertext, tag): for tests and tools."""
    sealed = AESGCM(shared_key).encrypt(nonce, plaintext, aad)
    return sealed[:-16], sealed[-16:]
