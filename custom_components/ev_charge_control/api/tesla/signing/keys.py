"""The client's key pair: an EC P-256 key, the only kind Tesla's cars accept.

The public half is what the application's domain hosts, what Tesla registers for the
developer application and what the owner pairs with each car.  The private half signs
nothing directly: it takes part in one ECDH per car domain, whose result keys the
session.  It must never show up in a log, so the object's text names only the public key.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import override

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ...errors import InvalidArgument

POINT_LENGTH = 65
"""An uncompressed P-256 point: 0x04, then x and y, 32 bytes each."""
SHARED_KEY_LENGTH = 16


class SigningKey:
    """An EC P-256 private key for the Vehicle Command Protocol."""

    __slots__ = ("_private", "_public_point")

    def __init__(self, private_key: ec.EllipticCurvePrivateKey) -> None:
        if not isinstance(private_key.curve, ec.SECP256R1):
            raise InvalidArgument("key", f"must be on curve P-256 (prime256v1), not {private_key.curve.name}")
        self._private = private_key
        self._public_point = private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(ec.generate_private_key(ec.SECP256R1()))

    @classmethod
    def from_pem(cls, data: bytes | str) -> SigningKey:
        """Read an unencrypted private key: PKCS#8 ("PRIVATE KEY") or SEC1 ("EC PRIVATE KEY").

        SEC1 is what ``openssl ecparam -genkey`` (Tesla's recipe) and Home Assistant's
        own Tesla integration write, so a key made for either can be reused.
        """
        pem = data.encode("ascii", errors="replace") if isinstance(data, str) else bytes(data)
        try:
            key = serialization.load_pem_private_key(pem, password=None)
        except (ValueError, TypeError) as err:
            # The library's message never quotes the key, but ours says less still.
            raise InvalidArgument("key", "not an unencrypted PEM private key") from err
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise InvalidArgument("key", "not an elliptic-curve key")
        return cls(key)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> SigningKey:
        """Read a key file (blocking: call it from an executor in an event loop)."""
        return cls.from_pem(Path(path).read_bytes())

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the private key as PKCS#8 PEM to a new file only the owner can read.

        Blocking; refuses to overwrite, so a second key can never replace a paired one.
        """
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(self.private_pem())

    def private_pem(self) -> bytes:
        """The private key, PKCS#8 PEM, unencrypted: for the key file only."""
        return self._private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    def public_pem(self) -> bytes:
        """SubjectPublicKeyInfo PEM: the file served at the domain's well-known path."""
        return self._private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def public_point(self) -> bytes:
        """The 65-byte uncompressed point, as the protocol sends it."""
        return self._public_point

    def public_hex(self) -> str:
        """The point in lower-case hex: how Tesla's partner API reports the registered key."""
        return self._public_point.hex()

    def shared_key(self, peer_point: bytes) -> bytes:
        """K = SHA1(ECDH x-coordinate)[:16], the session key shared with one car domain.

        Raises ``ValueError`` when ``peer_point`` is not a point on P-256.
        """
        peer = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), bytes(peer_point))
        secret = self._private.exchange(ec.ECDH(), peer)
        return hashlib.sha1(secret).digest()[:SHARED_KEY_LENGTH]  # noqa: S324 - the protocol's KDF

    @override
    def __repr__(self) -> str:
        return f"SigningKey(public={self.public_hex()[:18]}…)"

    @override
    def __str__(self) -> str:
        return self.__repr__()
