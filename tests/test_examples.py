"""The blueprint and the README's automations are accepted by Home Assistant itself.

Each is run through Home Assistant's own validation, the one it applies when it loads
``automations.yaml`` or a blueprint (``homeassistant.components.automation.config``,
``homeassistant.components.blueprint.models``), on every release the suite runs on:
the floor (2025.4.4) and the newest tier. They are also written in the current syntax
(plural ``triggers``/``conditions``/``actions``, ``- trigger: <kind>``, ``- action:``
in steps; accepted since 2024.10), which Home Assistant's editor writes and its
documentation shows; the old keys still load, so only a check of the text finds them.
"""

from __future__ import annotations

from collections.abc import Iterator
import json
from pathlib import Path
import re
from typing import Any

from homeassistant.components.automation.config import (
    AUTOMATION_BLUEPRINT_SCHEMA,
    _async_validate_config_item,
)
from homeassistant.components.blueprint import models
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.util import yaml as yaml_util
import pytest
import voluptuous as vol
import yaml

ROOT = Path(__file__).parents[1]
BLUEPRINTS = sorted((ROOT / "blueprints").rglob("*.yaml"))
README = (ROOT / "README.md").read_text()
FLOOR = json.loads((ROOT / "hacs.json").read_text())["homeassistant"]


def readme_automations() -> list[dict[str, Any]]:
    """Every automation in the README's YAML examples (``automation:`` lists)."""
    automations = []
    for block in re.findall(r"^```yaml\n(.*?)^```", README, re.M | re.S):
        data = yaml.safe_load(block)
        if isinstance(data, dict) and "automation" in data:
            automations.extend(data["automation"])
    return automations


AUTOMATIONS = readme_automations()


def _walk(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


def legacy_syntax(config: dict[str, Any]) -> list[str]:
    """The old keys in an automation: singular trigger/condition/action at the top,
    ``platform:`` in a trigger, ``service:`` in a step."""
    found = [f"top-level {key}:" for key in ("trigger", "condition", "action") if key in config]
    for node in _walk({k: v for k, v in config.items() if k not in ("blueprint", "variables")}):
        found += [f"{key}: {node[key]}" for key in ("platform", "service") if key in node]
    return found


async def _validate(hass: HomeAssistant, config: dict[str, Any]) -> None:
    """Home Assistant's own validation of one automation; raises on anything wrong."""
    await _async_validate_config_item(hass, config, True, False)


def test_the_readme_has_examples() -> None:
    assert len(AUTOMATIONS) >= 3
    assert BLUEPRINTS


@pytest.mark.parametrize("automation", AUTOMATIONS, ids=[a["alias"] for a in AUTOMATIONS])
async def test_readme_automation_is_accepted(hass: HomeAssistant, automation: dict[str, Any]) -> None:
    assert legacy_syntax(automation) == []
    await _validate(hass, automation)


def _blueprint(path: Path) -> models.Blueprint:
    return models.Blueprint(
        yaml_util.load_yaml_dict(str(path)),
        expected_domain="automation",
        schema=AUTOMATION_BLUEPRINT_SCHEMA,
    )


def _example_inputs(blueprint: models.Blueprint) -> dict[str, Any]:
    """An entity of the selector's domain for each input without a default."""
    inputs = {}
    for name, spec in blueprint.inputs.items():
        if spec and "default" in spec:
            continue
        domain = spec["selector"]["entity"]["domain"]
        if isinstance(domain, list):  # the selector schema makes it a list
            domain = domain[0]
        inputs[name] = f"{domain}.example_{name}"
    return inputs


@pytest.mark.parametrize("path", BLUEPRINTS, ids=[p.name for p in BLUEPRINTS])
async def test_blueprint_is_accepted(hass: HomeAssistant, path: Path) -> None:
    blueprint = _blueprint(path)
    assert blueprint.validate() is None  # runs on this Home Assistant (min_version)
    assert blueprint.metadata["homeassistant"]["min_version"] == FLOOR
    assert legacy_syntax(blueprint.data) == []
    relative = str(path.relative_to(ROOT / "blueprints" / "automation"))
    inputs = models.BlueprintInputs(
        blueprint,
        {
            "alias": "from the blueprint",
            "use_blueprint": {"path": relative, "input": _example_inputs(blueprint)},
        },
    )
    inputs.validate()
    await _validate(hass, inputs.async_substitute())


async def test_the_checks_can_fail(hass: HomeAssistant) -> None:
    legacy = {
        "alias": "old",
        "trigger": [{"platform": "time", "at": "23:00:00"}],
        "action": [{"service": "switch.turn_on", "target": {"entity_id": "switch.x"}}],
    }
    assert len(legacy_syntax(legacy)) == 4
    await _validate(hass, legacy)  # still accepted: only the text check finds it
    for broken in (
        {"alias": "no such trigger", "triggers": [{"trigger": "no_such_trigger"}], "actions": []},
        {"alias": "bad time", "triggers": [{"trigger": "time", "at": "25:99"}], "actions": []},
        {
            "alias": "bad step",
            "triggers": [{"trigger": "time", "at": "23:00"}],
            "actions": [{"actionn": "x.y"}],
        },
    ):
        with pytest.raises((vol.Invalid, HomeAssistantError)):
            await _validate(hass, broken)
    blueprint = _blueprint(BLUEPRINTS[0])
    with pytest.raises(models.MissingInput):
        models.BlueprintInputs(blueprint, {"use_blueprint": {"path": "x.yaml", "input": {}}}).validate()
