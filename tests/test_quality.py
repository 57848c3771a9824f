"""The quality bar: every rule of the quality scale listed, and what code can prove, proved.

hassfest does not read a custom integration's quality_scale.yaml, so this does.
"""

from __future__ import annotations

import ast
import importlib
import json
from pathlib import Path
import re
import struct

import pytest
import yaml

ROOT = Path(__file__).parents[1]
PACKAGE = ROOT / "custom_components" / "ev_charge_control"
RULES = yaml.safe_load((PACKAGE / "quality_scale.yaml").read_text())["rules"]
README = (ROOT / "README.md").read_text()

BRONZE = [
    "action-setup", "appropriate-polling", "brands", "common-modules", "config-flow-test-coverage",
    "config-flow", "dependency-transparency", "docs-actions", "docs-conditions",
    "docs-high-level-description", "docs-installation-instructions", "docs-removal-instructions",
    "docs-triggers", "entity-event-setup", "entity-unique-id", "has-entity-name", "runtime-data",
    "test-before-configure", "test-before-setup", "unique-config-entry",
]  # fmt: skip
SILVER = [
    "action-exceptions", "config-entry-unloading", "docs-configuration-parameters",
    "docs-installation-parameters", "entity-unavailable", "integration-owner", "log-when-unavailable",
    "parallel-updates", "reauthentication-flow", "test-coverage",
]  # fmt: skip
GOLD = [
    "devices", "diagnostics", "discovery", "discovery-update-info", "docs-data-update", "docs-examples",
    "docs-known-limitations", "docs-supported-devices", "docs-supported-functions", "docs-troubleshooting",
    "docs-use-cases", "dynamic-devices", "entity-category", "entity-device-class",
    "entity-disabled-by-default", "entity-translations", "exception-translations", "icon-translations",
    "reconfiguration-flow", "repair-issues", "stale-devices",
]  # fmt: skip
PLATINUM = ["async-dependency", "inject-websession", "strict-typing"]
ALL_RULES = BRONZE + SILVER + GOLD + PLATINUM


def test_the_scale_has_54_rules() -> None:
    assert len(ALL_RULES) == len(set(ALL_RULES)) == 54


def test_every_rule_is_listed_with_a_status_and_a_reason() -> None:
    assert sorted(RULES) == sorted(ALL_RULES)
    for rule, value in RULES.items():
        assert isinstance(value, dict), f"{rule}: use the mapping form, with a comment"
        assert value["status"] in ("done", "exempt", "todo"), rule
        assert isinstance(value.get("comment"), str), rule
        assert value["comment"].strip(), rule


def test_every_rule_is_met_but_publishing_the_api_clients() -> None:
    """dependency-transparency allows no exemption: the clients are not on PyPI yet."""
    not_met = sorted(rule for rule in ALL_RULES if RULES[rule]["status"] not in ("done", "exempt"))
    assert not_met == ["dependency-transparency"]
    assert RULES["dependency-transparency"]["status"] == "todo"


# ------------------------------------------------------- claims code can prove
def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_brands() -> None:
    assert _png_size(PACKAGE / "brand" / "icon.png") == (256, 256)
    assert _png_size(PACKAGE / "brand" / "icon@2x.png") == (512, 512)


@pytest.mark.parametrize(
    ("platform", "expected"),
    [("sensor", 0), ("binary_sensor", 0), ("switch", 0), ("number", 0), ("button", 0)],
)
def test_parallel_updates(platform: str, expected: int) -> None:
    module = importlib.import_module(f"custom_components.ev_charge_control.{platform}")
    assert expected == module.PARALLEL_UPDATES


def test_runtime_data_alias_is_named_as_hassfest_wants() -> None:
    source = (PACKAGE / "coordinator.py").read_text()
    (alias,) = re.findall(r"^type (\w+) = ConfigEntry\[", source, re.M)
    assert re.fullmatch(r"[A-Za-z]+ConfigEntry", alias)


def test_inject_websession_and_async_dependency() -> None:
    for name in ("setup_tesla.py", "setup_realto.py"):
        assert "async_get_clientsession(hass)" in (PACKAGE / name).read_text()
    for path in (PACKAGE / "api").rglob("*.py"):
        tree = ast.parse(path.read_text())
        modules = {
            alias.name.split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        }
        assert not modules & {"requests", "urllib3", "httpx"}, path  # sync HTTP would block


def test_strict_typing() -> None:
    assert (PACKAGE / "api" / "py.typed").exists()
    setup = (ROOT / "setup.cfg").read_text()
    assert "strict = True" in setup
    assert "mypy" in (ROOT / "scripts" / "test").read_text()


def test_stale_and_dynamic_devices_and_diagnostics() -> None:
    init = (PACKAGE / "__init__.py").read_text()
    assert "async def async_remove_config_entry_device" in init
    assert "DISCOVERY_INTERVAL" in init
    assert "async_get_config_entry_diagnostics" in (PACKAGE / "diagnostics.py").read_text()


def test_action_setup_registers_in_async_setup() -> None:
    tree = ast.parse((PACKAGE / "__init__.py").read_text())
    setup = next(n for n in tree.body if isinstance(n, ast.AsyncFunctionDef) and n.name == "async_setup")
    assert "async_setup_services" in ast.unparse(setup)


@pytest.mark.parametrize(
    ("rule", "heading"),
    [
        ("docs-use-cases", "## What you can do with it"),
        ("docs-supported-devices", "## Supported vehicles"),
        ("docs-installation-instructions", "## Installation (HACS)"),
        ("docs-installation-parameters", "## Set-up"),
        ("docs-supported-functions", "## Devices and entities"),
        ("docs-actions", "## Actions"),
        ("docs-examples", "## Example automations"),
        ("docs-data-update", "## How data is refreshed"),
        ("docs-known-limitations", "## Known limitations"),
        ("docs-troubleshooting", "## Troubleshooting"),
        ("docs-removal-instructions", "## Removal"),
    ],
)
def test_documentation_rules_have_their_section(rule: str, heading: str) -> None:
    assert RULES[rule]["status"] == "done"
    assert heading in README


def test_every_action_is_documented() -> None:
    services = yaml.safe_load((PACKAGE / "services.yaml").read_text())
    for name in services:
        assert f"ev_charge_control.{name}" in README, name


def test_hacs_minimum_version_and_changelog() -> None:
    hacs = json.loads((ROOT / "hacs.json").read_text())
    assert re.fullmatch(r"\d{4}\.\d+\.\d+", hacs["homeassistant"])
    manifest = json.loads((PACKAGE / "manifest.json").read_text())
    assert f"## {manifest['version']}" in (ROOT / "CHANGELOG.md").read_text()
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")


def test_blueprint_is_valid_yaml_for_the_integration() -> None:
    class Loader(yaml.SafeLoader):
        pass

    Loader.add_constructor("!input", lambda loader, node: {"input": loader.construct_scalar(node)})
    for path in (ROOT / "blueprints").rglob("*.yaml"):
        blueprint = yaml.load(path.read_text(), Loader=Loader)  # noqa: S506 - SafeLoader subclass
        assert blueprint["blueprint"]["domain"] == "automation"
        assert "ev_charge_control" in path.read_text()
