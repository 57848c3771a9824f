"""The client key: generation, PEM in both private formats, what it shows of itself."""

from __future__ import annotations

import os
from pathlib import Path
import stat

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
import pytest

from custom_components.ev_charge_control.api import InvalidArgument
from custom_components.ev_charge_control.api.tesla.signing import SigningKey

from .test_signing_vectors import CLIENT_KEY, CLIENT_POINT, VEHICLE_POINT


def private_number(key: SigningKey) -> int:
    loaded = serialization.load_pem_private_key(key.private_pem(), password=None)
    assert isinstance(loaded, ec.EllipticCurvePrivateKey)
    return loaded.private_numbers().private_value


def test_generated_keys_are_p256_and_distinct() -> None:
    first, second = SigningKey.generate(), SigningKey.generate()
    assert len(first.public_point()) == 65
    assert first.public_point()[0] == 4
    assert first.public_hex() != second.public_hex()
    assert first.public_hex() == first.public_point().hex()


def test_sec1_and_pkcs8_read_the_same_key() -> None:
    sec1 = SigningKey.from_pem(CLIENT_KEY)
    pkcs8 = sec1.private_pem()
    assert pkcs8.startswith(b"-----BEGIN PRIVATE KEY-----")
    again = SigningKey.from_pem(pkcs8)
    assert again.public_hex() == CLIENT_POINT
    assert private_number(again) == private_number(sec1)


def test_public_pem_is_subject_public_key_info() -> None:
    key = SigningKey.generate()
    pem = key.public_pem()
    assert pem.startswith(b"-----BEGIN PUBLIC KEY-----")
    public = serialization.load_pem_public_key(pem)
    assert isinstance(public, ec.EllipticCurvePublicKey)
    assert public.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint) == (
        key.public_point()
    )


@pytest.mark.parametrize(
    "pem",
    [
        b"not a key",
        # A public key is not a private key. A fixed id: the key differs in every
        # process, and pytest-xdist's workers must collect the same test ids.
        pytest.param(SigningKey.generate().public_pem(), id="public-key"),
        b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    ],
)
def test_unreadable_keys_are_refused(pem: bytes) -> None:
    with pytest.raises(InvalidArgument, match="key"):
        SigningKey.from_pem(pem)


def test_other_curves_and_algorithms_are_refused() -> None:
    other_curve = ec.generate_private_key(ec.SECP384R1())
    with pytest.raises(InvalidArgument, match="P-256"):
        SigningKey(other_curve)
    pem = other_curve.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(InvalidArgument, match="P-256"):
        SigningKey.from_pem(pem)
    ed = ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(InvalidArgument, match="elliptic-curve"):
        SigningKey.from_pem(ed)


def test_text_shows_no_private_material() -> None:
    key = SigningKey.from_pem(CLIENT_KEY)
    secret_hex = f"{private_number(key):064x}"
    for text in (repr(key), str(key), f"{key}", f"{key!r}"):
        assert secret_hex not in text.lower()
        assert "PRIVATE" not in text
        assert text.startswith("SigningKey(public=04b2b6bc")


def test_save_writes_an_owner_only_file_and_never_overwrites(tmp_path: Path) -> None:
    key = SigningKey.generate()
    path = tmp_path / "key.pem"
    key.save(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert SigningKey.load(path).public_hex() == key.public_hex()
    with pytest.raises(FileExistsError):
        SigningKey.generate().save(path)
    assert SigningKey.load(path).public_hex() == key.public_hex()


def test_shared_key_refuses_a_point_off_the_curve() -> None:
    key = SigningKey.from_pem(CLIENT_KEY)
    bad = bytearray.fromhex(VEHICLE_POINT)
    bad[-1] ^= 1
    with pytest.raises(ValueError):  # noqa: PT011 - cryptography's own message
        key.shared_key(bytes(bad))
