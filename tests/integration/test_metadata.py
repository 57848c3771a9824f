"""The files hassfest and HACS read, and the translations every message needs.

hassfest and the HACS action need Docker and GitHub, which CI does not have here, so
the rules they apply to a custom integration are checked directly.
"""

from __future__ import annotations

import json
from pathlib import Path
import re
from typing import Any

import pytest
import yaml

from custom_components.ev_charge_control import (
    binary_sensor,
    button,
    home_energy_sensor,
    number,
    ready_by_entities,
    sensor,
    switch,
)
from custom_components.ev_charge_control.helpers import SIGNED_FAULTS
from custom_components.ev_charge_control.realto import RealtoVehicle
from custom_components.ev_charge_control.tesla import TeslaVehicle

ROOT = Path(__file__).parents[2]
PACKAGE = ROOT / "custom_components" / "ev_charge_control"
MANIFEST = json.loads((PACKAGE / "manifest.json").read_text())
STRINGS = json.loads((PACKAGE / "translations" / "en.json").read_text())
ICONS = json.loads((PACKAGE / "icons.json").read_text())
SERVICES = yaml.safe_load((PACKAGE / "services.yaml").read_text())
DESCRIPTIONS: dict[str, tuple[Any, ...]] = {
    "binary_sensor": binary_sensor.BINARY_SENSORS,
    "button": button.BUTTONS,
    "number": number.NUMBERS + ready_by_entities.READY_BY_NUMBERS,
    "sensor": sensor.SENSORS + ready_by_entities.READY_BY_SENSORS + home_energy_sensor.HOME_ENERGY_SENSORS,
    "switch": switch.SWITCHES + ready_by_entities.READY_BY_SWITCHES,
    "time": ready_by_entities.READY_BY_TIMES,
}


def test_manifest_is_what_hassfest_and_hacs_accept() -> None:
    keys = list(MANIFEST)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:]), "hassfest wants domain, name, then sorted keys"
    assert MANIFEST["domain"] == PACKAGE.name
    for key in ("codeowners", "documentation", "issue_tracker", "iot_class", "version"):
        assert MANIFEST[key], key
    assert re.fullmatch(r"\d+\.\d+\.\d+", MANIFEST["version"])
    assert MANIFEST["documentation"].startswith("https://")
    assert MANIFEST["config_flow"] is True
    assert "application_credentials" in MANIFEST["dependencies"]


@pytest.mark.parametrize("platform", list(DESCRIPTIONS))
def test_every_entity_is_translated(platform: str) -> None:
    translated = STRINGS["entity"].get(platform, {})
    for description in DESCRIPTIONS[platform]:
        key = description.translation_key
        if key is None:
            assert description.device_class is not None, description.key  # named by device class
            continue
        assert translated[key]["name"], key
        if getattr(description, "options", None):
            assert set(description.options) == set(translated[key]["state"]), key


@pytest.mark.parametrize("platform", list(DESCRIPTIONS))
def test_icons_match_entities(platform: str) -> None:
    keys = {d.translation_key for d in DESCRIPTIONS[platform] if d.translation_key}
    icons = ICONS["entity"].get(platform, {})
    assert set(icons) <= keys, "icons for entities that do not exist"
    for key, icon in icons.items():
        assert icon["default"].startswith("mdi:"), key
        for state_icon in icon.get("state", {}).values():
            assert state_icon.startswith("mdi:"), key


def test_every_action_is_described_translated_and_has_an_icon() -> None:
    assert set(SERVICES) == set(STRINGS["services"]) == set(ICONS["services"])
    for name, spec in SERVICES.items():
        translated = STRINGS["services"][name]
        assert translated["name"]
        assert translated["description"]
        assert set(spec["fields"]) == set(translated["fields"]), name
        for field in spec["fields"]:
            assert translated["fields"][field]["name"], (name, field)
        # A device filter under target fails validation from 2026.11: use a field.
        assert "target" not in spec, name


def _used_translation_keys() -> set[str]:
    """Every exception translation key the code raises with."""
    pattern = re.compile(
        r'(?:refuse|_error|Refusal)\(\s*"([a-z_]+)"|translation_domain=DOMAIN,\s*translation_key="([a-z_]+)"'
    )
    keys: set[str] = set()
    for path in PACKAGE.glob("*.py"):
        for match in pattern.finditer(path.read_text()):
            keys.update(k for k in match.groups() if k)
    # The poll errors' keys are chosen by a function that returns them.
    keys.update(re.findall(r'return "([a-z_]+)"', (PACKAGE / "coordinator.py").read_text()))
    for vehicle_class in (TeslaVehicle, RealtoVehicle):
        keys.update(vehicle_class.refusals.values())
    keys.update(SIGNED_FAULTS.values())
    return keys


def test_every_error_message_is_translated() -> None:
    exceptions = STRINGS["exceptions"]
    used = _used_translation_keys()
    assert used, "the scan found nothing: the pattern is broken"
    missing = sorted(k for k in used if k not in exceptions and k not in STRINGS.get("issues", {}))
    assert missing == []
    for key, value in exceptions.items():
        assert value["message"], key


def test_signing_set_up_and_repair_strings() -> None:
    """The errors registration and the pairing repair return are translated where shown."""
    config_errors = set(STRINGS["config"]["error"])
    partner = set(re.findall(r'return "([a-z_]+)", ', (PACKAGE / "partner.py").read_text()))
    assert partner
    assert partner <= config_errors
    fix_flow = STRINGS["issues"]["key_not_paired"]["fix_flow"]
    assert set(fix_flow["step"]) == {"pair"}
    checks = set(re.findall(r'return "([a-z_]+)"', (PACKAGE / "repairs.py").read_text())) - {"paired"}
    assert checks
    assert checks <= set(fix_flow["error"])
    # Every repair's key is an ISSUE_* constant, wherever it is raised.
    source = "\n".join(path.read_text() for path in PACKAGE.glob("*.py"))
    issues = set(re.findall(r'^ISSUE_[A-Z_]+ = "([a-z_]+)"', source, re.M))
    assert issues == set(STRINGS["issues"])


def test_the_options_form_is_translated() -> None:
    source = (PACKAGE / "options_flow.py").read_text()
    steps = set(re.findall(r'step_id="([a-z_]+)"', source))
    assert steps == set(STRINGS["options"]["step"])
    fields = set(re.findall(r"vol\.Optional\(\s*([A-Z_]+)", source))
    assert fields == {"CONF_PRICE_ENTITY"}
    assert set(STRINGS["options"]["step"]["init"]["data"]) == {"price_entity"}


def test_config_flow_strings_cover_every_step() -> None:
    # The flow is config_flow.py and the steps of each provider in flow_*.py.
    source = "\n".join(path.read_text() for path in [PACKAGE / "config_flow.py", *PACKAGE.glob("flow_*.py")])
    steps = set(re.findall(r'step_id="([a-z_]+)"', source)) | set(
        re.findall(r"async_step_([a-z_]+)\(", source)
    )
    # No form of their own: handled by Home Assistant's OAuth flow, a menu choice, or
    # the way to the entry's provider's reauth and reconfigure steps.
    steps -= {
        "reauth",
        "reconfigure",
        "creation",
        "auth",
        "authorize_rejected",
        "tesla_oauth",
        "plain_commands",
    }
    missing = sorted(step for step in steps if step not in STRINGS["config"]["step"])
    assert missing == []
    errors = set(
        re.findall(
            r'"(invalid_[a-z_]+|empty_[a-z_]+|no_vehicles[a-z_]*|cannot_connect|missing_scope)"', source
        )
    )
    assert errors <= set(STRINGS["config"]["error"])
