"""Entities tell the truth: none that a car's API can never fill, icons that show the
state, skips decided on current values, and no "unavailable" for merely old values.

Every test runs Home Assistant against the simulator over HTTP.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import ATTR_ENTITY_ID, STATE_OFF, STATE_ON, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.icon import async_get_icons
from homeassistant.helpers.service import async_get_all_descriptions
from homeassistant.helpers.translation import async_get_translations
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import voluptuous as vol

from custom_components.ev_charge_control.const import (
    CONF_ACCESS_TOKEN,
    CONF_API_URL,
    CONF_PROVIDER,
    DOMAIN,
    PROVIDER_TESLA,
    TESLA_DECISION_MAX_AGE,
    TESLA_IDLE_DATA_INTERVAL,
    TESLA_STATE_INTERVAL,
)

from ..helpers import (
    ACCESS_TOKEN,
    ACCOUNT_ID,
    ENTITY_ID,
    REALTO_CLIENT_ID,
    VIN,
    SimulatorHandle,
    account_spec,
    realto_spec,
    vehicle_spec,
)
from .common import device_for, entity_state, move_both_clocks, realto_entry_data, sent_commands, tick

AWAKE = "binary_sensor.model_3_awake"
PORT = "binary_sensor.model_3_charge_port"
CLOSE_PORT = "button.model_3_close_charge_port"
# Plug icons of one region's connector: wrong for the cars of every other region.
REGIONAL_PLUGS = ("ev-plug-type1", "ev-plug-type2", "ev-plug-ccs1", "ev-plug-ccs2", "ev-plug-chademo")


def _entities(hass: HomeAssistant, entry_id: str) -> list[er.RegistryEntry]:
    return er.async_entries_for_config_entry(er.async_get(hass), entry_id)


@pytest.fixture
async def both(hass: HomeAssistant, sim: SimulatorHandle) -> dict[str, MockConfigEntry]:
    """A Tesla account and a re.alto client set up side by side."""
    entries = {
        "tesla": MockConfigEntry(
            domain=DOMAIN,
            unique_id=ACCOUNT_ID,
            data={CONF_PROVIDER: PROVIDER_TESLA, CONF_API_URL: sim.url, CONF_ACCESS_TOKEN: ACCESS_TOKEN},
        ),
        "realto": MockConfigEntry(domain=DOMAIN, unique_id=REALTO_CLIENT_ID, data=realto_entry_data(sim)),
    }
    for entry in entries.values():
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entries


class TestOnlyWhatTheProviderFills:
    @pytest.fixture
    def scenario(self) -> dict[str, Any]:
        return realto_spec(tesla=True)

    async def test_a_realto_car_has_no_awake_sensor_and_every_entity_has_a_value(
        self, hass: HomeAssistant, both: dict[str, MockConfigEntry]
    ) -> None:
        # re.alto's readings never say whether the car is awake: an Awake sensor there
        # would be "unknown" forever.
        entities = _entities(hass, both["realto"].entry_id)
        keys = {e.unique_id.removeprefix(f"{ENTITY_ID}_") for e in entities}
        assert "online" not in keys
        # Everything else is filled by the first reading; only the command sensors wait
        # for a command.
        waiting = {"last_command", "cooldown_end"}
        unknown = {
            e.unique_id.removeprefix(f"{ENTITY_ID}_")
            for e in entities
            if entity_state(hass, e.entity_id) == STATE_UNKNOWN
        }
        assert unknown == waiting

    async def test_a_tesla_has_its_awake_sensor(
        self, hass: HomeAssistant, both: dict[str, MockConfigEntry]
    ) -> None:
        keys = {e.unique_id.removeprefix(f"{VIN}_") for e in _entities(hass, both["tesla"].entry_id)}
        assert "online" in keys
        assert entity_state(hass, AWAKE) == STATE_ON

    async def test_awake_reads_awake_or_asleep_not_connected(
        self, hass: HomeAssistant, both: dict[str, MockConfigEntry]
    ) -> None:
        # A connectivity sensor would read "Connected"/"Disconnected" without its own
        # state names.
        strings = await async_get_translations(hass, "en", "entity", {DOMAIN})
        prefix = f"component.{DOMAIN}.entity.binary_sensor.online"
        assert strings[f"{prefix}.name"] == "Awake"
        assert strings[f"{prefix}.state.on"] == "Awake"
        assert strings[f"{prefix}.state.off"] == "Asleep"


class TestActions:
    @pytest.fixture
    def scenario(self) -> dict[str, Any]:
        return realto_spec(tesla=True)

    async def test_tesla_only_actions_offer_only_tesla_cars(
        self, hass: HomeAssistant, both: dict[str, MockConfigEntry]
    ) -> None:
        tesla, realto = device_for(hass, (DOMAIN, VIN)), device_for(hass, (DOMAIN, ENTITY_ID))
        assert tesla is not None
        assert realto is not None
        descriptions = (await async_get_all_descriptions(hass))[DOMAIN]

        def offered(service: str, manufacturer: str | None, model: str | None) -> bool:
            """What the device picker does with the selector's filters."""
            selector = descriptions[service]["fields"]["device_id"]["selector"]["device"]
            filters = selector.get("filter", [selector])
            return any(
                f.get("integration", DOMAIN) == DOMAIN
                and f.get("manufacturer", manufacturer) == manufacturer
                and f.get("model", model) == model
                for f in (filters if isinstance(filters, list) else [filters])
            )

        for service in ("set_scheduled_charging", "set_scheduled_departure"):
            assert offered(service, tesla.manufacturer, tesla.model), service
            assert not offered(service, realto.manufacturer, realto.model), service
        for service in ("schedule_charging", "cancel_scheduled_charging"):
            assert offered(service, realto.manufacturer, realto.model), service

    async def test_cancel_has_no_ignore_cooldown_field(
        self, hass: HomeAssistant, sim: SimulatorHandle, both: dict[str, MockConfigEntry]
    ) -> None:
        # Cancelling sends nothing to the car: no cooldown applies, so there is no field.
        descriptions = (await async_get_all_descriptions(hass))[DOMAIN]
        assert set(descriptions["cancel_scheduled_charging"]["fields"]) == {"device_id"}
        realto = device_for(hass, (DOMAIN, ENTITY_ID))
        assert realto is not None
        with pytest.raises(vol.Invalid):
            await hass.services.async_call(
                DOMAIN,
                "cancel_scheduled_charging",
                {"device_id": realto.id, "ignore_cooldown": True},
                blocking=True,
            )
        assert [r for r in await sim.requests(api="realto") if r["category"] == "command"] == []


class TestIcons:
    async def test_icons_leave_the_device_class_icons_alone(
        self, hass: HomeAssistant, setup_integration: MockConfigEntry
    ) -> None:
        ours = (await async_get_icons(hass, "entity", [DOMAIN]))[DOMAIN]
        checked = 0
        for entity in _entities(hass, setup_integration.entry_id):
            icon = ours.get(entity.domain, {}).get(entity.translation_key or "")
            if icon is None or entity.original_device_class is None:
                continue
            checked += 1
            device_class = (await async_get_icons(hass, "entity_component", [entity.domain]))[entity.domain][
                entity.original_device_class
            ]
            states = icon.get("state", {})
            if device_class.get("state"):
                # The device class shows the state (plug in or out, door open or
                # closed); an icon here must show it too.
                on = states.get("on", icon["default"])
                off = states.get("off", icon["default"])
                assert on != off, entity.entity_id
            else:
                assert states or icon["default"] != device_class["default"], f"{entity.entity_id}: redundant"
        assert checked

    async def test_a_car_not_charging_does_not_look_unplugged(
        self, hass: HomeAssistant, setup_integration: MockConfigEntry
    ) -> None:
        # The fixture's car is plugged in and not charging.
        assert entity_state(hass, "binary_sensor.model_3_plugged_in") == STATE_ON
        assert entity_state(hass, "switch.model_3_charging") == STATE_OFF
        switch = (await async_get_icons(hass, "entity", [DOMAIN]))[DOMAIN]["switch"]["charging"]
        off = switch.get("state", {}).get("off", switch["default"])
        assert "plug-off" not in off

    async def test_no_icon_shows_one_regions_connector(
        self, hass: HomeAssistant, setup_integration: MockConfigEntry
    ) -> None:
        ours = (await async_get_icons(hass, "entity", [DOMAIN]))[DOMAIN]
        icons = [
            value
            for platform in ours.values()
            for icon in platform.values()
            for value in (icon.get("default"), *icon.get("state", {}).values())
        ]
        assert icons
        assert not [icon for icon in icons if any(plug in icon for plug in REGIONAL_PLUGS)]


class TestButtonsDecideOnCurrentValues:
    @pytest.fixture
    def scenario(self) -> dict[str, Any]:
        # Unplugged, port closed.
        return account_spec(vehicle_spec(plugged_in=False, charge_port_door_open=False))

    async def test_close_port_opened_at_the_car_since_the_last_poll(
        self,
        hass: HomeAssistant,
        setup_integration: MockConfigEntry,
        sim: SimulatorHandle,
        freezer: FrozenDateTimeFactory,
    ) -> None:
        assert entity_state(hass, PORT) == STATE_OFF
        # At the car: a cable in and out again leaves the port open.
        await sim.vehicle(action="plug_in")
        await sim.vehicle(action="unplug")
        assert (await sim.vehicle())["charge_state"]["charge_port_door_open"] is True
        await move_both_clocks(hass, sim, freezer, TESLA_DECISION_MAX_AGE + timedelta(seconds=1))
        assert entity_state(hass, PORT) == STATE_OFF  # no poll since: the old value
        before = len(sent_commands(await sim.requests()))

        await hass.services.async_call("button", "press", {ATTR_ENTITY_ID: CLOSE_PORT}, blocking=True)

        assert sent_commands(await sim.requests())[before:] == [("charge_port_door_close", {})]
        assert (await sim.vehicle())["charge_state"]["charge_port_door_open"] is False
        assert entity_state(hass, PORT) == STATE_OFF

    async def test_fresh_values_skip_without_a_data_request(
        self, hass: HomeAssistant, setup_integration: MockConfigEntry, sim: SimulatorHandle
    ) -> None:
        # Values just fetched are current: nothing is asked, nothing is sent.
        before = await sim.requests()
        await hass.services.async_call("button", "press", {ATTR_ENTITY_ID: CLOSE_PORT}, blocking=True)
        assert await sim.requests() == before


class TestOldValuesStayAvailable:
    async def test_a_sleeping_cars_entities_keep_their_last_values(
        self,
        hass: HomeAssistant,
        setup_integration: MockConfigEntry,
        sim: SimulatorHandle,
        freezer: FrozenDateTimeFactory,
    ) -> None:
        entities = [e.entity_id for e in _entities(hass, setup_integration.entry_id) if e.disabled_by is None]
        before = {entity_id: entity_state(hass, entity_id) for entity_id in entities}
        await sim.vehicle(action="state", state="asleep")
        # Hours asleep: many state checks, no data, values far older than a data interval.
        elapsed = timedelta(0)
        while elapsed < 4 * TESLA_IDLE_DATA_INTERVAL:
            await tick(hass, freezer, TESLA_STATE_INTERVAL)
            elapsed += TESLA_STATE_INTERVAL
        after = {entity_id: entity_state(hass, entity_id) for entity_id in entities}
        assert not [entity_id for entity_id, state in after.items() if state == STATE_UNAVAILABLE]
        assert after.pop(AWAKE) == STATE_OFF
        before.pop(AWAKE)
        assert after == before
