"""Tesla's Vehicle Command Protocol, client side: signed commands over the Fleet API.

Cars that require it accept commands only as protobuf messages signed with a key the
owner paired with the car.  This package holds the key (``keys``), the wire format
(``wire``, ``messages``), the cryptography (``crypto``), per-domain sessions
(``session``), our commands as protobuf (``actions``) and the logic that ties them
together (``signer``).  It does no I/O; ``TeslaClient`` sends what it produces.
"""

from .actions import command_payload
from .keys import SigningKey
from .messages import Domain
from .session import Session
from .signer import (
    CommandSigner,
    InMemorySessionStore,
    NoSession,
    PendingCommand,
    SessionResync,
    SessionStore,
    SignedReply,
)

__all__ = [
    "CommandSigner",
    "Domain",
    "InMemorySessionStore",
    "NoSession",
    "PendingCommand",
    "Session",
    "SessionResync",
    "SessionStore",
    "SignedReply",
    "SigningKey",
    "command_payload",
]
