"""The signing knobs a scenario file and the admin API set on a car.

Checked in full before anything changes, so a bad value is an error that changes
nothing.  ``paired_keys`` entries are either a public key (hex of the 65-byte
uncompressed point) or a domain: a paired domain follows its registration, so whatever
key is registered for it (in any region) counts as paired.
"""

from __future__ import annotations

import math
from typing import Any

from ..partner import PartnerError, split_domain
from .car import UNPAIRED_REPLIES, CarSigning, parse_point

KNOBS = ("encrypt_responses", "unpaired_reply", "clock_skew", "paired_keys")


def parse_paired(entries: Any) -> tuple[set[bytes], set[str]]:
    """``paired_keys`` as (keys, domains); ``ValueError``/``TypeError`` when malformed."""
    if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
        raise TypeError("paired_keys must be a list of hex public keys or domains")
    keys: set[bytes] = set()
    domains: set[str] = set()
    for entry in entries:
        text = entry.strip().lower()
        if text.startswith("04") and len(text) == 130:
            keys.add(parse_point(text))
            continue
        try:
            split_domain(text)
        except PartnerError:
            raise ValueError(f"paired_keys: {entry!r} is neither a public key nor a domain") from None
        domains.add(text)
    return keys, domains


def check_knobs(values: dict[str, Any]) -> dict[str, Any]:
    """The knobs in ``values`` (others are ignored), typed and checked."""
    checked: dict[str, Any] = {}
    if "encrypt_responses" in values:
        if not isinstance(values["encrypt_responses"], bool):
            raise TypeError("encrypt_responses must be true or false")
        checked["encrypt_responses"] = values["encrypt_responses"]
    if "unpaired_reply" in values:
        if values["unpaired_reply"] not in UNPAIRED_REPLIES:
            raise ValueError(f"unpaired_reply must be one of {', '.join(UNPAIRED_REPLIES)}")
        checked["unpaired_reply"] = values["unpaired_reply"]
    if "clock_skew" in values:
        skew = values["clock_skew"]
        if isinstance(skew, bool) or not isinstance(skew, (int, float)) or not math.isfinite(skew):
            raise TypeError("clock_skew must be a number of seconds")
        checked["clock_skew"] = float(skew)
    if "paired_keys" in values:
        checked["paired_keys"] = parse_paired(values["paired_keys"])
    return checked


def apply_knobs(car: CarSigning, checked: dict[str, Any]) -> None:
    for name in ("encrypt_responses", "unpaired_reply", "clock_skew"):
        if name in checked:
            setattr(car.knobs, name, checked[name])
    if "paired_keys" in checked:
        car.paired_keys, car.paired_domains = checked["paired_keys"]
