"""The cryptography of the Vehicle Command Protocol, on the car's side.

Facts from Tesla's ``protocol.md`` (sections Key Agreement, Response authentication,
Metadata, HMAC-SHA256 authentication, Response decryption):

* ``K = SHA1(ECDH x-coordinate, 32 bytes big-endian)[:16]``; it is also the AES-GCM key.
* Sub-keys: ``HMAC-SHA256(K, "session info")`` and ``HMAC-SHA256(K, "authenticated command")``.
* Metadata is tag, length, value in ascending tag order, closed by ``0xFF``; integers are
  four bytes big-endian.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

# Signatures.Tag
TAG_SIGNATURE_TYPE = 0
TAG_DOMAIN = 1
TAG_PERSONALIZATION = 2
TAG_EPOCH = 3
TAG_EXPIRES_AT = 4
TAG_COUNTER = 5
TAG_CHALLENGE = 6
TAG_FLAGS = 7
TAG_REQUEST_HASH = 8
TAG_FAULT = 9
TAG_END = 0xFF
# Signatures.SignatureType
SIGNATURE_TYPE_AES_GCM_PERSONALIZED = 5
SIGNATURE_TYPE_HMAC = 6
SIGNATURE_TYPE_HMAC_PERSONALIZED = 8
SIGNATURE_TYPE_AES_GCM_RESPONSE = 9

POINT_LENGTH = 65  # 0x04 || X(32) || Y(32)


def new_private_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def point_of(key: ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey) -> bytes:
    """The uncompressed point, ``ENCODE_PUBLIC(P)`` in protocol.md."""
    public = key.public_key() if isinstance(key, ec.EllipticCurvePrivateKey) else key
    numbers = public.public_numbers()
    return b"\x04" + numbers.x.to_bytes(32, "big") + numbers.y.to_bytes(32, "big")


def public_key_from_point(point: bytes) -> ec.EllipticCurvePublicKey:
    """Raises ``ValueError`` for anything but an uncompressed point on P-256."""
    if len(point) != POINT_LENGTH or point[0] != 0x04:
        raise ValueError("not a 65-byte uncompressed P-256 point")
    return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)


def shared_key(private: ec.EllipticCurvePrivateKey, peer_point: bytes) -> bytes:
    """``K``: the first 16 bytes of SHA-1 over the ECDH x-coordinate."""
    secret = private.exchange(ec.ECDH(), public_key_from_point(peer_point))
    return hashlib.sha1(secret).digest()[:16]  # noqa: S324 - the protocol's choice, not ours


def subkey(k: bytes, label: bytes) -> bytes:
    return hmac.new(k, label, hashlib.sha256).digest()


def u32(value: int) -> bytes:
    return value.to_bytes(4, "big")


def metadata(*items: tuple[int, bytes | None]) -> bytes:
    """Serialize metadata items; ``None`` values are left out, as absent fields are."""
    out = bytearray()
    last = -1
    for tag, value in items:
        if tag < last:
            raise ValueError("metadata tags must be in ascending order")
        if value is None:
            continue
        if len(value) > 255:
            raise ValueError("metadata values are at most 255 bytes")
        out += bytes((tag, len(value))) + value
        last = tag
    out.append(TAG_END)
    return bytes(out)


def session_info_tag(k: bytes, vin: str, challenge: bytes | None, encoded_info: bytes) -> bytes:
    """The tag that lets the client check a SessionInfo; the challenge is the request's uuid."""
    meta = metadata(
        (TAG_SIGNATURE_TYPE, bytes((SIGNATURE_TYPE_HMAC,))),
        (TAG_PERSONALIZATION, vin.encode()),
        (TAG_CHALLENGE, challenge),
    )
    return hmac.new(subkey(k, b"session info"), meta + encoded_info, hashlib.sha256).digest()


def command_tag(
    k: bytes,
    *,
    domain: int,
    vin: str,
    epoch: bytes,
    expires_at: int,
    counter: int,
    flags: int,
    payload: bytes,
) -> bytes:
    """The HMAC-personalized tag a paired key puts on a command.

    ``epoch`` is the car's own: a command that omits it still has to match it.  The flags
    are authenticated only when some are set (backwards compatibility in Go's ``peer.go``).
    """
    meta = metadata(
        (TAG_SIGNATURE_TYPE, bytes((SIGNATURE_TYPE_HMAC_PERSONALIZED,))),
        (TAG_DOMAIN, bytes((domain,))),
        (TAG_PERSONALIZATION, vin.encode()),
        (TAG_EPOCH, epoch),
        (TAG_EXPIRES_AT, u32(expires_at)),
        (TAG_COUNTER, u32(counter)),
        (TAG_FLAGS, u32(flags) if flags else None),
    )
    return hmac.new(subkey(k, b"authenticated command"), meta + payload, hashlib.sha256).digest()


def request_hash(domain: int, hmac_tag: bytes, vcsec: int) -> bytes:
    """The signature type byte and the request's tag, cut to 17 bytes for VCSEC."""
    tag = hmac_tag[:16] if domain == vcsec else hmac_tag
    return bytes((SIGNATURE_TYPE_HMAC_PERSONALIZED,)) + tag


def response_aad(
    *, domain: int, vin: str, counter: int, flags: int, request_digest: bytes, fault: int
) -> bytes:
    """SHA-256 of the response metadata; the reply's flags are always included."""
    meta = metadata(
        (TAG_SIGNATURE_TYPE, bytes((SIGNATURE_TYPE_AES_GCM_RESPONSE,))),
        (TAG_DOMAIN, bytes((domain,))),
        (TAG_PERSONALIZATION, vin.encode()),
        (TAG_COUNTER, u32(counter)),
        (TAG_FLAGS, u32(flags)),
        (TAG_REQUEST_HASH, request_digest),
        (TAG_FAULT, u32(fault)),
    )
    digest = hashes.Hash(hashes.SHA256())
    digest.update(meta)
    return digest.finalize()


def encrypt(k: bytes, plaintext: bytes, aad: bytes) -> tuple[bytes, bytes, bytes]:
    """AES-GCM with a random 12-byte nonce: ``(nonce, ciphertext, 16-byte tag)``."""
    nonce = os.urandom(12)
    sealed = AESGCM(k).encrypt(nonce, plaintext, aad)
    return nonce, sealed[:-16], sealed[-16:]
