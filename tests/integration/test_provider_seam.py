"""The provider seam: a third provider plugs in through the registry alone.

``Plugmotors`` is a made-up car API with two capabilities.  Registering it in
``PROVIDERS`` is all it takes: its entry sets up, its device is named as the owner
named the car, exactly the entities its capabilities allow are created, commands
and refusals reach it through the generic entities, and diagnostics hide its secret.
No entity, coordinator or action module knows it exists.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta
import inspect
from typing import Any, ClassVar, override

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.const import ATTR_ENTITY_ID, SERVICE_TURN_ON
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import get_diagnostics_for_config_entry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.ev_charge_control.api import CommandRefused
from custom_components.ev_charge_control.config_flow import EVChargeControlConfigFlow
from custom_components.ev_charge_control.const import CONF_PROVIDER, DOMAIN
from custom_components.ev_charge_control.coordinator import EVChargeControlConfigEntry
from custom_components.ev_charge_control.data import Capability, EVData
from custom_components.ev_charge_control.provider import AccountFound, Provider
from custom_components.ev_charge_control.providers import PROVIDERS
from custom_components.ev_charge_control.realto import RealtoVehicle
from custom_components.ev_charge_control.tesla import TeslaVehicle
from custom_components.ev_charge_control.vehicle import AccountVehicles, CommandOutcome, PollResult, Vehicle

from .common import tick

SECRET = "plugmotors-api-key-0000"

# The Vehicle methods each capability needs: a provider that claims one must have them.
COMMANDS: dict[Capability, tuple[str, ...]] = {
    Capability.CHARGING: ("async_start_charging", "async_stop_charging"),
    Capability.CHARGE_LIMIT: ("async_set_charge_limit",),
    Capability.CHARGING_AMPS: ("async_set_charging_amps",),
    Capability.CHARGE_PORT: ("async_open_charge_port", "async_close_charge_port"),
    Capability.CHARGE_LIMIT_PRESETS: ("async_charge_max_range", "async_charge_standard"),
    Capability.SCHEDULED_CHARGING: ("async_set_scheduled_charging",),
    Capability.SCHEDULED_DEPARTURE: ("async_set_scheduled_departure",),
    Capability.CHARGING_WINDOWS: ("async_schedule_charging", "async_cancel_scheduled_charging"),
    Capability.CHARGE_PLAN: ("async_write_charge_plan",),
}


class PlugmotorsCar(Vehicle):
    """A car of a third, made-up provider: it charges and has a charge limit."""

    capabilities = frozenset({Capability.CHARGING, Capability.CHARGE_LIMIT})
    manufacturer = "Plugmotors"
    refusals: ClassVar[Mapping[str, str]] = {"battery_too_cold": "refused_no_power"}

    def __init__(self) -> None:
        self.unique_id = "PM-0001"
        self.name = "Bolt"
        self.model = "P1"
        self.sent: list[tuple[str, Any]] = []
        self.refuse_with: str | None = None
        self.charging = False
        self.limit = 80

    @override
    async def async_poll(self, previous: EVData | None) -> PollResult:
        data = EVData(
            updated_at=dt_util.utcnow(),
            battery_level=42,
            range_km=180.0,
            plugged_in=True,
            charging=self.charging,
            charge_limit=self.limit,
            charge_limit_min=50,
            charge_limit_max=100,
        )
        return PollResult(data, timedelta(minutes=5))

    @override
    async def async_start_charging(self) -> CommandOutcome:
        if self.refuse_with:
            raise CommandRefused("the car said no", reason=self.refuse_with)
        self.sent.append(("start", None))
        self.charging = True
        return CommandOutcome(lambda data: replace(data, charging=True))

    @override
    async def async_stop_charging(self) -> CommandOutcome:
        self.sent.append(("stop", None))
        self.charging = False
        return CommandOutcome(lambda data: replace(data, charging=False))

    @override
    async def async_set_charge_limit(self, percent: int) -> CommandOutcome:
        self.sent.append(("limit", percent))
        self.limit = percent
        return CommandOutcome(lambda data: replace(data, charge_limit=percent))


@pytest.fixture
def car() -> PlugmotorsCar:
    return PlugmotorsCar()


@pytest.fixture
def plugmotors(monkeypatch: pytest.MonkeyPatch, car: PlugmotorsCar) -> Provider:
    """The third provider, registered for the test only."""

    async def setup(_hass: HomeAssistant, _entry: EVChargeControlConfigEntry) -> AccountVehicles:
        async def discover() -> list[Vehicle]:
            return [car]

        return AccountVehicles([car], discover)

    async def probe(
        _hass: HomeAssistant, _data: Mapping[str, Any], _entry: ConfigEntry[Any] | None
    ) -> AccountFound:
        return AccountFound(account_id="pm-account", title="Plugmotors", vehicles={car.unique_id: car.name})

    provider = Provider(
        key="plugmotors",
        menu_steps=(),
        async_probe=probe,
        async_setup=setup,
        reauth_step=lambda _data: "reauth_confirm",
        reconfigure_step=lambda _data: "reconfigure_commands",
        secret_keys=frozenset({"api_key"}),
    )
    monkeypatch.setitem(PROVIDERS, provider.key, provider)
    return provider


@pytest.fixture
async def plugmotors_entry(hass: HomeAssistant, plugmotors: Provider) -> MockConfigEntry:
    entry = MockConfigEntry(
        domain=DOMAIN, unique_id="pm-account", data={CONF_PROVIDER: plugmotors.key, "api_key": SECRET}
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def test_a_third_provider_gets_exactly_the_entities_its_capabilities_allow(
    hass: HomeAssistant, plugmotors_entry: MockConfigEntry
) -> None:
    assert plugmotors_entry.state is ConfigEntryState.LOADED
    entities = sorted(
        entry.entity_id
        for entry in er.async_entries_for_config_entry(er.async_get(hass), plugmotors_entry.entry_id)
    )
    assert entities == [
        "binary_sensor.bolt_plugged_in",
        "number.bolt_charge_limit",
        "sensor.bolt_battery",
        "sensor.bolt_charge_limit",
        "sensor.bolt_data_updated",
        "sensor.bolt_range",
        "switch.bolt_charging",
    ]
    assert hass.states.get("sensor.bolt_battery").state == "42"  # type: ignore[union-attr]
    assert hass.states.get("number.bolt_charge_limit").state == "80"  # type: ignore[union-attr]


async def test_a_third_providers_car_is_commanded_through_the_generic_entities(
    hass: HomeAssistant, plugmotors_entry: MockConfigEntry, car: PlugmotorsCar, freezer: FrozenDateTimeFactory
) -> None:
    await hass.services.async_call(
        "switch", SERVICE_TURN_ON, {ATTR_ENTITY_ID: "switch.bolt_charging"}, blocking=True
    )
    await hass.services.async_call(
        "number", "set_value", {ATTR_ENTITY_ID: "number.bolt_charge_limit", "value": 90}
    )
    await tick(hass, freezer, timedelta(seconds=2))  # numbers wait for the slider to rest
    assert car.sent == [("start", None), ("limit", 90)]
    assert hass.states.get("switch.bolt_charging").state == "on"  # type: ignore[union-attr]
    assert hass.states.get("number.bolt_charge_limit").state == "90"  # type: ignore[union-attr]


async def test_a_third_providers_own_refusal_is_translated(
    hass: HomeAssistant, plugmotors_entry: MockConfigEntry, car: PlugmotorsCar
) -> None:
    car.refuse_with = "battery_too_cold"
    with pytest.raises(HomeAssistantError) as info:
        await hass.services.async_call(
            "switch", SERVICE_TURN_ON, {ATTR_ENTITY_ID: "switch.bolt_charging"}, blocking=True
        )
    assert info.value.translation_key == "refused_no_power"
    assert car.sent == []


async def test_a_third_providers_secret_is_hidden_in_diagnostics(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, plugmotors_entry: MockConfigEntry
) -> None:
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, plugmotors_entry)
    assert SECRET not in str(diagnostics)
    assert diagnostics["vehicles"][0]["capabilities"] == ["charge_limit", "charging"]


async def test_an_entry_of_a_provider_this_version_does_not_know_fails_with_a_reason(
    hass: HomeAssistant,
) -> None:
    """Not set up as a Tesla, as an unknown provider once silently was."""
    entry = MockConfigEntry(domain=DOMAIN, unique_id="x", data={CONF_PROVIDER: "hyperloop"})
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert entry.reason is not None
    assert "hyperloop" in entry.reason
    for start in (entry.start_reauth_flow, entry.start_reconfigure_flow):
        result = await start(hass)
        assert result["reason"] == "unknown_provider"


@pytest.mark.parametrize("vehicle_class", [TeslaVehicle, RealtoVehicle, PlugmotorsCar])
def test_every_capability_a_vehicle_claims_has_its_commands(vehicle_class: type[Vehicle]) -> None:
    """A claimed capability creates entities that call these methods: none may be missing."""
    for capability in vehicle_class.capabilities:
        for method in COMMANDS.get(capability, ()):
            assert getattr(vehicle_class, method) is not getattr(Vehicle, method), (capability, method)


def test_every_providers_steps_are_on_the_config_flow() -> None:
    """The menu, reauth and reconfigure name steps: each must exist on the flow."""
    data_kinds: list[dict[str, Any]] = [{}, {"access_token": "x"}, {"token": {}}]
    for provider in PROVIDERS.values():
        steps = {*provider.menu_steps}
        steps |= {provider.reauth_step(data) for data in data_kinds}
        steps |= {provider.reconfigure_step(data) for data in data_kinds}
        for step in steps:
            assert inspect.iscoroutinefunction(getattr(EVChargeControlConfigFlow, f"async_step_{step}")), step
