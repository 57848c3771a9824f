"""The car's side of Tesla's Vehicle Command Protocol ("signed commands").

* ``wire``: the protobuf wire format, encoded and decoded by hand (no ``protobuf``).
* ``messages``: RoutableMessage, SignatureData and SessionInfo.
* ``actions``: the commands inside (CarServer.Action, VCSEC.UnsignedMessage) and the
  car's application-level answers.
* ``crypto``: key agreement, metadata, tags and response encryption.
* ``verifier``: one domain's epoch, clock, counters and checks, as Go's ``Verifier``.
* ``car``: a car answering handshakes and commands; ``settings``: its knobs.
* ``routes``: ``signed_command`` and ``fleet_status`` over HTTP.

Facts come from Tesla's vehicle-command repository (``protocol.md`` and the Go
sources), summarised in ``reference/tesla-signed-commands.md``; the code is our own.
"""
