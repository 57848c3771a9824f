"""Our hand-written protobuf against Google's: Tesla's .proto files, compiled.

``tesla-fleet-api`` (test-only, see requirements_test.txt) ships classes generated from
Tesla's ``.proto`` files.  Whatever our encoder writes must parse there with the meaning
we intended, and whatever they write our decoder must read: that pins field numbers,
wire types, signedness and the float encoding to the schema rather than to our reading
of it.  Nothing at runtime uses the ``protobuf`` package.
"""

from __future__ import annotations

from typing import Any

import pytest
from tesla_fleet_api.tesla.vehicle.proto import (
    car_server_pb2,
    common_pb2,
    signatures_pb2,
    universal_message_pb2,
    vcsec_pb2,
)

from custom_components.ev_charge_control.api.tesla.signing import (
    CommandSigner,
    Domain,
    InMemorySessionStore,
    SigningKey,
    command_payload,
)
from custom_components.ev_charge_control.api.tesla.signing.messages import (
    CarServerResponse,
    RoutableMessage,
    SessionInfo,
    VcsecResponse,
)

from .test_signing_vectors import CLIENT_KEY, SESSION_INFO, VEHICLE_POINT

VIN = "5YJ30123456789ABC"


def action(name: str, params: dict[str, Any] | None = None) -> Any:
    domain, payload = command_payload(name, params or {})
    assert domain == Domain.INFOTAINMENT
    parsed = car_server_pb2.Action.FromString(payload)
    assert parsed.WhichOneof("action_msg") == "vehicleAction"
    return parsed.vehicleAction


@pytest.mark.parametrize(
    ("name", "member"),
    [("charge_start", "start"), ("charge_stop", "stop"), ("charge_standard", "start_standard"),
     ("charge_max_range", "start_max_range")],
)  # fmt: skip
def test_start_stop(name: str, member: str) -> None:
    vehicle_action = action(name)
    assert vehicle_action.WhichOneof("vehicle_action_msg") == "chargingStartStopAction"
    assert vehicle_action.chargingStartStopAction.WhichOneof("charging_action") == member


def test_limits_amps_and_port() -> None:
    assert action("set_charge_limit", {"percent": 85}).chargingSetLimitAction.percent == 85
    assert action("set_charging_amps", {"charging_amps": 13}).setChargingAmpsAction.charging_amps == 13
    assert action("charge_port_door_open").WhichOneof("vehicle_action_msg") == "chargePortDoorOpen"
    assert action("charge_port_door_close").WhichOneof("vehicle_action_msg") == "chargePortDoorClose"


def test_scheduled_charging_and_departure() -> None:
    charging = action("set_scheduled_charging", {"enable": True, "time": 1410}).scheduledChargingAction
    assert (charging.enabled, charging.charging_time) == (True, 1410)
    departure = action(
        "set_scheduled_departure",
        {
            "enable": True,
            "departure_time": 450,
            "preconditioning_enabled": True,
            "off_peak_charging_weekdays_only": True,
            "end_off_peak_time": 360,
        },
    ).scheduledDepartureAction
    assert (departure.enabled, departure.departure_time, departure.off_peak_hours_end_time) == (
        True,
        450,
        360,
    )
    assert departure.preconditioning_times.WhichOneof("times") == "all_week"
    assert departure.off_peak_charging_times.WhichOneof("times") == "weekdays"
    off = action("set_scheduled_departure", {"enable": False}).scheduledDepartureAction
    assert off == car_server_pb2.ScheduledDepartureAction(enabled=False)
    assert not off.HasField("preconditioning_times")


def test_schedules() -> None:
    params = {
        "id": 1_700_000_000,
        "name": "Home",
        "days_of_week": 62,
        "start_enabled": True,
        "start_time": 120,
        "end_enabled": True,
        "end_time": 420,
        "one_time": True,
        "enabled": True,
        "latitude": 52.25,
        "longitude": -4.5,
    }
    assert action("add_charge_schedule", params).addChargeScheduleAction == common_pb2.ChargeSchedule(
        **params
    )
    precondition = {
        "id": 2**64 - 1,
        "name": "",
        "days_of_week": 127,
        "precondition_time": 450,
        "one_time": False,
        "enabled": True,
        "latitude": -33.5,
        "longitude": 151.25,
    }
    assert action("add_precondition_schedule", precondition).addPreconditionScheduleAction == (
        common_pb2.PreconditionSchedule(**precondition)
    )
    assert action("remove_charge_schedule", {"id": 7}).removeChargeScheduleAction.id == 7
    assert action("remove_precondition_schedule", {"id": 8}).removePreconditionScheduleAction.id == 8


def test_a_negative_int32_reads_back_negative() -> None:
    assert action("set_charge_limit", {"percent": -5}).chargingSetLimitAction.percent == -5


def test_a_signed_request_parses_with_the_schema() -> None:
    store = InMemorySessionStore()
    key = SigningKey.from_pem(CLIENT_KEY)
    info = SessionInfo.decode(bytes.fromhex(SESSION_INFO))
    signer = CommandSigner(key, store, clock=lambda: 1_000_000.0)
    # A stored session stands in for the handshake.
    store.save(
        VIN,
        Domain.INFOTAINMENT,
        {
            "version": 1,
            "vin": VIN,
            "domain": 3,
            "client_public_key": key.public_hex(),
            "vehicle_public_key": VEHICLE_POINT,
            "epoch": info.epoch.hex(),
            "counter": info.counter,
            "clock_time": info.clock_time,
            "clock_offset": 1_000_000.0 - info.clock_time,
        },
    )
    payload = command_payload("charge_start", {})[1]
    request, pending = signer.sign(VIN, Domain.INFOTAINMENT, payload)
    parsed = universal_message_pb2.RoutableMessage.FromString(request)
    assert parsed.to_destination.domain == universal_message_pb2.DOMAIN_INFOTAINMENT
    assert len(parsed.from_destination.routing_address) == 16
    assert parsed.protobuf_message_as_bytes == payload
    assert parsed.uuid == pending.uuid
    assert parsed.flags == 1 << universal_message_pb2.FLAG_ENCRYPT_RESPONSE
    signature = parsed.signature_data
    assert signature.signer_identity.public_key == key.public_point()
    hmac_data = signature.HMAC_Personalized_data
    assert (hmac_data.epoch, hmac_data.counter, hmac_data.expires_at) == (info.epoch, 7, 2650 + 15)
    assert len(hmac_data.tag) == 32


def test_a_handshake_request_parses_with_the_schema() -> None:
    key = SigningKey.generate()
    request, uuid = CommandSigner(key).session_request(VIN, Domain.VEHICLE_SECURITY)
    parsed = universal_message_pb2.RoutableMessage.FromString(request)
    assert parsed.to_destination.domain == universal_message_pb2.DOMAIN_VEHICLE_SECURITY
    assert parsed.session_info_request.public_key == key.public_point()
    assert parsed.uuid == uuid


def test_we_read_replies_written_by_protobuf() -> None:
    reply = universal_message_pb2.RoutableMessage(
        to_destination=universal_message_pb2.Destination(routing_address=bytes(16)),
        from_destination=universal_message_pb2.Destination(domain=universal_message_pb2.DOMAIN_INFOTAINMENT),
        signedMessageStatus=universal_message_pb2.MessageStatus(
            operation_status=universal_message_pb2.OPERATIONSTATUS_ERROR,
            signed_message_fault=universal_message_pb2.MESSAGEFAULT_ERROR_INCORRECT_EPOCH,
        ),
        session_info=bytes.fromhex(SESSION_INFO),
        signature_data=signatures_pb2.SignatureData(
            session_info_tag=signatures_pb2.HMAC_Signature_Data(tag=bytes(range(32)))
        ),
        request_uuid=bytes(range(16)),
        flags=2,
    )
    ours = RoutableMessage.decode(reply.SerializeToString())
    assert ours.fault == 15
    assert ours.status is not None
    assert ours.status.operation_status == 2
    assert ours.from_domain == Domain.INFOTAINMENT
    assert ours.session_info == bytes.fromhex(SESSION_INFO)
    assert ours.signature_data is not None
    assert ours.signature_data.session_info_tag == bytes(range(32))
    assert (ours.request_uuid, ours.flags) == (bytes(range(16)), 2)

    encrypted = universal_message_pb2.RoutableMessage(
        protobuf_message_as_bytes=b"\x01\x02",
        signature_data=signatures_pb2.SignatureData(
            AES_GCM_Response_data=signatures_pb2.AES_GCM_Response_Signature_Data(
                nonce=bytes(12), counter=9, tag=bytes(16)
            )
        ),
    )
    gcm = RoutableMessage.decode(encrypted.SerializeToString()).signature_data
    assert gcm is not None
    assert gcm.aes_gcm_response is not None
    assert (gcm.aes_gcm_response.counter, gcm.aes_gcm_response.nonce) == (9, bytes(12))


def test_session_info_both_ways() -> None:
    theirs = signatures_pb2.SessionInfo(
        counter=6,
        publicKey=bytes.fromhex(VEHICLE_POINT),
        epoch=bytes(16),
        clock_time=2650,
        status=1,
        handle=4,
    )
    ours = SessionInfo.decode(theirs.SerializeToString())
    assert (ours.counter, ours.clock_time, ours.status, ours.handle) == (6, 2650, 1, 4)
    assert signatures_pb2.SessionInfo.FromString(ours.encode()) == theirs


def test_application_replies_both_ways() -> None:
    refused = car_server_pb2.Response(
        actionStatus=car_server_pb2.ActionStatus(
            result=car_server_pb2.OPERATIONSTATUS_ERROR,
            result_reason=car_server_pb2.ResultReason(plain_text="not_charging"),
        )
    )
    assert CarServerResponse.decode(refused.SerializeToString()) == CarServerResponse(1, "not_charging")
    assert car_server_pb2.Response.FromString(CarServerResponse(1, "not_charging").encode()) == refused
    vcsec = vcsec_pb2.FromVCSECMessage()
    vcsec.nominalError.genericError = 6
    assert VcsecResponse.decode(vcsec.SerializeToString()).error_name == "unauthorized"
    wait = vcsec_pb2.FromVCSECMessage()
    wait.commandStatus.operationStatus = vcsec_pb2.OPERATIONSTATUS_WAIT
    assert VcsecResponse.decode(wait.SerializeToString()).busy
