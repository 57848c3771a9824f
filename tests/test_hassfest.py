"""hassfest's rules for a custom integration, checked here because hassfest cannot run.

hassfest lives in Home Assistant core's repository (``script/hassfest``), is on no
package registry, and CI runs it as a Docker image (``ghcr.io/home-assistant/hassfest``,
through ``home-assistant/actions/hassfest``); this machine and CI reach neither. So each
plugin that runs for a custom integration (``--integration-path`` mode) is restated
here as a check of the same rule, with its source named. The rules were read in core's
``script/hassfest/{manifest,services,translations,icons,config_flow,config_schema,
dependencies}.py`` (versions of 2024-2026) and in the developer docs
(developers.home-assistant.io). Where this file asks more than hassfest does, the
docstring says so and why.

Each check is a function that returns the problems it finds, so the same function is
run on the real files and, in ``test_every_check_can_fail``, on a broken copy.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
import copy
from functools import cache
import importlib
import inspect
import json
from pathlib import Path
import re
import string
from typing import Any
from urllib.parse import urlparse

from awesomeversion import AwesomeVersion, AwesomeVersionStrategy
from awesomeversion.exceptions import AwesomeVersionException
from homeassistant.components import application_credentials
from homeassistant.const import Platform
from homeassistant.helpers import config_entry_oauth2_flow, config_validation as cv, selector
from homeassistant.helpers.entity import EntityDescription
import pytest
import voluptuous as vol
import yaml

ROOT = Path(__file__).parents[1]
PACKAGE = ROOT / "custom_components" / "ev_charge_control"
DOMAIN = PACKAGE.name
MODULE = f"custom_components.{DOMAIN}"


def _json(path: Path) -> Any:
    return json.loads(path.read_text())


def _load() -> dict[str, Any]:
    return {
        "manifest": _json(PACKAGE / "manifest.json"),
        "strings": _json(PACKAGE / "translations" / "en.json"),
        "icons": _json(PACKAGE / "icons.json"),
        "services": yaml.safe_load((PACKAGE / "services.yaml").read_text()),
    }


FILES = _load()

# ----------------------------------------------------------------------------- manifest
#: ``CUSTOM_INTEGRATION_MANIFEST_SCHEMA`` (core ``script/hassfest/manifest.py``): the core
#: integration schema plus ``version`` and ``import_executor``. The schema allows no
#: other key.
MANIFEST_KEYS = {
    "domain", "name", "integration_type", "config_flow", "mqtt", "zeroconf", "ssdp",
    "bluetooth", "homekit", "dhcp", "usb", "documentation", "issue_tracker", "quality_scale",
    "requirements", "dependencies", "after_dependencies", "codeowners", "loggers", "disabled",
    "iot_class", "single_config_entry", "version", "import_executor",
}  # fmt: skip
IOT_CLASSES = {"assumed_state", "calculated", "cloud_polling", "cloud_push", "local_polling", "local_push"}
INTEGRATION_TYPES = {"device", "entity", "hardware", "helper", "hub", "service", "system"}
QUALITY_SCALES = {"bronze", "silver", "gold", "platinum", "custom", "no_score", "internal", "legacy"}
#: hassfest requires domain, name, documentation, codeowners (schema), iot_class
#: ("Domain is missing an IoT Class") and, for a custom integration, version ("No
#: 'version' key in the manifest file"). HACS adds issue_tracker (its
#: ``INTEGRATION_MANIFEST_JSON_SCHEMA``). The project asks the rest so nothing is left to
#: a default: integration_type (hassfest's default "hub" is right, but core requires it
#: with a config flow), config_flow, requirements, dependencies and loggers.
REQUIRED_MANIFEST_KEYS = {
    "domain", "name", "version", "documentation", "issue_tracker", "codeowners",
    "requirements", "dependencies", "iot_class", "integration_type", "config_flow", "loggers",
}  # fmt: skip
VERSION_STRATEGIES = [
    AwesomeVersionStrategy.CALVER,
    AwesomeVersionStrategy.SEMVER,
    AwesomeVersionStrategy.SIMPLEVER,
    AwesomeVersionStrategy.BUILDVER,
    AwesomeVersionStrategy.PEP440,
]


def _is_url(value: Any, *, https: bool = False) -> bool:
    if not isinstance(value, str):
        return False
    parsed = urlparse(value)
    return parsed.scheme in (("https",) if https else ("http", "https")) and bool(parsed.netloc)


def _is_str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) and item for item in value)


def _is_version(value: str) -> bool:
    try:
        AwesomeVersion(value, ensure_strategy=VERSION_STRATEGIES)
    except AwesomeVersionException:
        return False
    return True


def manifest_problems(manifest: dict[str, Any], dir_name: str) -> list[str]:
    """hassfest's ``manifest`` plugin for a custom integration.

    - only the schema's keys; domain, name, then the rest in alphabetical order
      (``sort_manifest``: "Manifest keys are not sorted correctly: domain, name, then
      alphabetical order");
    - ``domain`` is the directory's name ("Domain does not match dir name");
    - ``documentation`` an https URL, not www.home-assistant.io/integrations (only core
      integrations are documented there); ``issue_tracker`` a URL;
    - ``codeowners``, ``requirements``, ``dependencies``, ``after_dependencies``,
      ``loggers``: lists of strings; ``config_flow``, ``single_config_entry``,
      ``import_executor``: booleans;
    - ``iot_class``, ``integration_type``, ``quality_scale``: one of the allowed values;
    - ``version``: parses with AwesomeVersion as CalVer, SemVer, SimpleVer, BuildVer or
      PEP 440 (``verify_version``); HACS reads the same field with AwesomeVersion.
    """
    problems = [f"missing key {key}" for key in sorted(REQUIRED_MANIFEST_KEYS - set(manifest))]
    problems += [f"unknown key {key}" for key in sorted(set(manifest) - MANIFEST_KEYS)]
    keys = list(manifest)
    wanted = sorted(keys, key=lambda key: {"domain": "0", "name": "1"}.get(key, f"2{key}"))
    if keys != wanted:
        problems.append(f"keys not sorted as domain, name, then alphabetical: {wanted}")
    if manifest.get("domain") != dir_name:
        problems.append("domain does not match the directory name")
    if not isinstance(manifest.get("name"), str) or not manifest.get("name"):
        problems.append("name must be a non-empty string")
    documentation = manifest.get("documentation")
    if not _is_url(documentation, https=True):
        problems.append("documentation must be an https URL")
    elif urlparse(documentation).netloc == "www.home-assistant.io":
        problems.append("documentation must not point at home-assistant.io (core only)")
    if "issue_tracker" in manifest and not _is_url(manifest["issue_tracker"]):
        problems.append("issue_tracker must be a URL")
    for key in ("codeowners", "requirements", "dependencies", "after_dependencies", "loggers"):
        if key in manifest and not (_is_str_list(manifest[key]) or manifest[key] == []):
            problems.append(f"{key} must be a list of strings")
    if not manifest.get("codeowners"):
        problems.append("codeowners must name at least one owner")
    if any(not owner.startswith("@") for owner in manifest.get("codeowners") or [] if isinstance(owner, str)):
        problems.append("codeowners are GitHub users or teams, written @name")
    for key in ("config_flow", "single_config_entry", "import_executor"):
        if key in manifest and not isinstance(manifest[key], bool):
            problems.append(f"{key} must be a boolean")
    for key, allowed in (
        ("iot_class", IOT_CLASSES),
        ("integration_type", INTEGRATION_TYPES),
        ("quality_scale", QUALITY_SCALES),
    ):
        if key in manifest and manifest[key] not in allowed:
            problems.append(f"{key} {manifest[key]!r} is not one of {sorted(allowed)}")
    version = manifest.get("version")
    if not isinstance(version, str) or not _is_version(version):
        problems.append(f"version {version!r} is not a valid version")
    return problems


def test_manifest() -> None:
    assert manifest_problems(FILES["manifest"], PACKAGE.name) == []


# ------------------------------------------------------------------ dependencies, config
#: The Home Assistant integrations any integration may import without declaring them:
#: entity platforms and a few internal ones (``ALLOWED_USED_COMPONENTS`` in core
#: ``script/hassfest/dependencies.py``, the part that can concern this integration).
ALWAYS_ALLOWED_IMPORTS = {platform.value for platform in Platform} | {
    "automation", "frontend", "homeassistant", "persistent_notification", "script",
    "system_health", "webhook", "websocket_api", "zone",
}  # fmt: skip


def _python_files() -> Iterator[Path]:
    yield from sorted(PACKAGE.rglob("*.py"))


def _imported_components(tree: ast.AST) -> set[str]:
    """Integrations imported as ``homeassistant.components.X`` outside TYPE_CHECKING."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            return
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module.startswith("homeassistant.components."):
                found.add(node.module.split(".")[2])
            elif node.module == "homeassistant.components":
                found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(
                alias.name.split(".")[2]
                for alias in node.names
                if alias.name.startswith("homeassistant.components.")
            )
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def dependency_problems(manifest: dict[str, Any], sources: dict[str, str]) -> list[str]:
    """hassfest's ``dependencies`` plugin: every Home Assistant integration the code
    imports is in ``dependencies`` or ``after_dependencies``, unless it is always
    allowed or this integration has a platform of that name (``diagnostics.py``,
    ``repairs.py``): "Using component X but it's not in 'dependencies' or
    'after_dependencies'". A dependency also cannot be in both lists.
    """
    declared = set(manifest.get("dependencies", [])) | set(manifest.get("after_dependencies", []))
    platforms = {Path(name).stem for name in sources}
    problems = [
        f"{dep} is in both dependencies and after_dependencies"
        for dep in sorted(set(manifest.get("dependencies", [])) & set(manifest.get("after_dependencies", [])))
    ]
    for name, source in sorted(sources.items()):
        for component in sorted(_imported_components(ast.parse(source))):
            if component in declared | ALWAYS_ALLOWED_IMPORTS | platforms | {manifest["domain"]}:
                continue
            problems.append(f"{name} uses {component} but it is not in dependencies or after_dependencies")
    return problems


@cache
def _sources() -> dict[str, str]:
    return {str(path.relative_to(PACKAGE)): path.read_text() for path in _python_files()}


def test_dependencies() -> None:
    assert dependency_problems(FILES["manifest"], _sources()) == []


def config_flow_and_schema_problems(manifest: dict[str, Any], sources: dict[str, str]) -> list[str]:
    """hassfest's ``config_flow`` and ``config_schema`` plugins.

    - ``config_flow: true`` needs a ``config_flow.py``, and a ``config_flow.py`` needs
      ``config_flow: true`` in the manifest;
    - an integration that defines ``async_setup`` defines ``CONFIG_SCHEMA`` (for a
      config-entry-only integration ``cv.config_entry_only_config_schema(DOMAIN)``);
      hassfest warns on a custom integration, this check fails.
    """
    problems = []
    if manifest.get("config_flow") and "config_flow.py" not in sources:
        problems.append("config_flow is true but there is no config_flow.py")
    if "config_flow.py" in sources and not manifest.get("config_flow"):
        problems.append("config_flow.py exists but the manifest has no config_flow: true")
    init = ast.parse(sources.get("__init__.py", ""))
    functions = {n.name for n in init.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
    assigned = {
        target.id
        for n in init.body
        if isinstance(n, ast.Assign | ast.AnnAssign)
        for target in (n.targets if isinstance(n, ast.Assign) else [n.target])
        if isinstance(target, ast.Name)
    }
    if "async_setup" in functions and "CONFIG_SCHEMA" not in assigned:
        problems.append("async_setup is defined but CONFIG_SCHEMA is not")
    return problems


def test_config_flow_and_config_schema() -> None:
    assert config_flow_and_schema_problems(FILES["manifest"], _sources()) == []


# --------------------------------------------------------------------------- translations
#: ``RE_TRANSLATION_KEY`` (core ``script/hassfest/translations.py``): lower-case letters,
#: digits, ``-`` and ``_``; not starting or ending with, nor doubling, a separator.
TRANSLATION_KEY = re.compile(r"^(?!.+[_-]{2})(?![_-])[a-z0-9-_]+(?<![_-])$")
#: Top-level sections of the strings schema (``gen_strings_schema``).
STRINGS_SECTIONS = {
    "title", "config", "options", "selector", "device_automation", "system_health",
    "config_panel", "application_credentials", "issues", "entity_component", "device",
    "entity", "exceptions", "services", "conversation", "common", "config_subentries",
}  # fmt: skip
FLOW_KEYS = {"flow_title", "step", "error", "abort", "progress", "create_entry"}
STEP_KEYS = {"title", "description", "data", "data_description", "menu_options", "submit", "sections"}
HTML = re.compile(r"<[a-z][^>]*>|</[a-z]+>", re.I)


def _value_problems(path: str, value: Any) -> list[str]:
    """``translation_value_validator``: a string with no HTML, no placeholder inside
    single quotes, no ``[%key:…%]`` reference (a core build-time feature that a custom
    integration would show raw: developer docs, "Custom integration localization"), no
    leading or trailing space, and placeholders that parse."""
    if not isinstance(value, str) or not value:
        return [f"{path}: must be a non-empty string"]
    problems = []
    if HTML.search(value):
        problems.append(f"{path}: contains HTML")
    if re.search(r"'\{\w+\}'", value):
        problems.append(f"{path}: placeholder inside single quotes")
    if "[%key:" in value:
        problems.append(f"{path}: [%key:…%] references do not work in a custom integration")
    if value != value.strip():
        problems.append(f"{path}: leading or trailing space")
    try:
        fields = [field for _, field, _, _ in string.Formatter().parse(value) if field is not None]
    except ValueError as err:
        problems.append(f"{path}: placeholders do not parse ({err})")
    else:
        problems += [f"{path}: placeholder {{{f}}} is not a name" for f in fields if not f.isidentifier()]
    return problems


def _key_problems(path: str, mapping: Any, *, slug_only: bool = False) -> list[str]:
    if not isinstance(mapping, dict):
        return [f"{path}: must be a mapping"]
    pattern = re.compile(r"^[a-z0-9_]+$") if slug_only else TRANSLATION_KEY
    return [f"{path}.{key}: invalid translation key" for key in mapping if not pattern.match(str(key))]


def _strings_of(path: str, mapping: Any) -> list[str]:
    if not isinstance(mapping, dict):
        return [f"{path}: must be a mapping"]
    return [p for key, value in mapping.items() for p in _value_problems(f"{path}.{key}", value)]


def _flow_problems(path: str, flow: Any) -> list[str]:
    """``gen_data_entry_schema``: ``step`` is required; a step has only title,
    description, data, data_description, menu_options, submit and sections; every
    ``data_description`` key is a ``data`` key; error/abort/progress/create_entry map
    keys to strings."""
    if not isinstance(flow, dict):
        return [f"{path}: must be a mapping"]
    problems = [f"{path}.{key}: unknown key" for key in flow if key not in FLOW_KEYS]
    if "step" not in flow:
        problems.append(f"{path}: has no step")
    for step_id, step in (flow.get("step") or {}).items():
        where = f"{path}.step.{step_id}"
        if not isinstance(step, dict):
            problems.append(f"{where}: must be a mapping")
            continue
        problems += [f"{where}.{key}: unknown key" for key in step if key not in STEP_KEYS]
        for key in ("title", "description", "submit"):
            if key in step:
                problems += _value_problems(f"{where}.{key}", step[key])
        for key in ("data", "data_description", "menu_options"):
            if key in step:
                problems += _strings_of(f"{where}.{key}", step[key])
        extra = set(step.get("data_description", {})) - set(step.get("data", {}))
        problems += [f"{where}.data_description.{key}: not in data" for key in sorted(extra)]
    for key in ("error", "abort", "progress", "create_entry"):
        if key in flow:
            problems += _strings_of(f"{path}.{key}", flow[key])
    if "flow_title" in flow:
        problems += _value_problems(f"{path}.flow_title", flow["flow_title"])
    return problems


def translation_problems(strings: dict[str, Any]) -> list[str]:
    """hassfest's ``translations`` plugin on ``translations/en.json``.

    A custom integration's ``en.json`` is validated against the strings schema (core
    ``script/hassfest/translations.py``): only the schema's sections; config and
    options flows as above; ``issues.<id>`` has a title and exactly one of description
    or fix_flow; ``exceptions.<key>`` has a message; ``entity.<platform>.<key>`` has
    name/state/state_attributes; ``services.<name>`` has name and description, each
    field name and description; every key a valid translation key; every text a valid
    translation value.
    """
    problems = [f"{key}: unknown section" for key in strings if key not in STRINGS_SECTIONS]
    if "title" in strings:
        problems += _value_problems("title", strings["title"])
    for flow in ("config", "options"):
        if flow in strings:
            problems += _flow_problems(flow, strings[flow])
    if "application_credentials" in strings:
        credentials = strings["application_credentials"]
        problems += [f"application_credentials.{k}: unknown key" for k in credentials if k != "description"]
        problems += _strings_of("application_credentials", credentials)
    for issue_id, issue in strings.get("issues", {}).items():
        where = f"issues.{issue_id}"
        problems += [
            f"{where}.{k}: unknown key" for k in issue if k not in {"title", "description", "fix_flow"}
        ]
        problems += _value_problems(f"{where}.title", issue.get("title"))
        if ("description" in issue) == ("fix_flow" in issue):
            problems.append(f"{where}: needs exactly one of description and fix_flow")
        if "description" in issue:
            problems += _value_problems(f"{where}.description", issue["description"])
        if "fix_flow" in issue:
            problems += _flow_problems(f"{where}.fix_flow", issue["fix_flow"])
    problems += _key_problems("exceptions", strings.get("exceptions", {}), slug_only=True)
    for key, exception in strings.get("exceptions", {}).items():
        problems += [f"exceptions.{key}.{k}: unknown key" for k in exception if k != "message"]
        problems += _value_problems(f"exceptions.{key}.message", exception.get("message"))
    for platform, entities in strings.get("entity", {}).items():
        if platform not in {p.value for p in Platform}:
            problems.append(f"entity.{platform}: not an entity platform")
        problems += _key_problems(f"entity.{platform}", entities)
        for key, entity in entities.items():
            where = f"entity.{platform}.{key}"
            problems += [
                f"{where}.{k}: unknown key" for k in entity if k not in {"name", "state", "state_attributes"}
            ]
            if "name" in entity:
                problems += _value_problems(f"{where}.name", entity["name"])
            if "state" in entity:
                problems += _key_problems(f"{where}.state", entity["state"])
                problems += _strings_of(f"{where}.state", entity["state"])
            for attr, spec in entity.get("state_attributes", {}).items():
                problems += _key_problems(f"{where}.state_attributes", {attr: spec})
                problems += _strings_of(f"{where}.state_attributes.{attr}", {"name": spec.get("name", "x")})
                problems += _strings_of(f"{where}.state_attributes.{attr}.state", spec.get("state", {}))
    problems += _key_problems("services", strings.get("services", {}))
    for name, service in strings.get("services", {}).items():
        where = f"services.{name}"
        problems += [
            f"{where}.{k}: unknown key"
            for k in service
            if k not in {"name", "description", "fields", "sections"}
        ]
        for key in ("name", "description"):
            problems += _value_problems(f"{where}.{key}", service.get(key))
        problems += _key_problems(f"{where}.fields", service.get("fields", {}))
        for field, spec in service.get("fields", {}).items():
            problems += [
                f"{where}.fields.{field}.{k}: unknown key"
                for k in spec
                if k not in {"name", "description", "example"}
            ]
            for key in ("name", "description"):
                problems += _value_problems(f"{where}.fields.{field}.{key}", spec.get(key))
    return problems


def test_translations_follow_the_strings_schema() -> None:
    assert translation_problems(FILES["strings"]) == []


def test_no_strings_json_and_no_legacy_translations_directory() -> None:
    """A custom integration ships ``translations/en.json`` only: no ``strings.json``
    (developer docs, "Custom integration localization": "Do not use strings.json for
    custom components") and no ``.translations`` directory (hassfest: "The
    '.translations' directory has been moved")."""
    assert not (PACKAGE / "strings.json").exists()
    assert not (PACKAGE / ".translations").exists()
    assert (PACKAGE / "translations" / "en.json").is_file()


def _placeholders(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _placeholders(item)
    elif isinstance(value, str):
        try:
            parsed = list(string.Formatter().parse(value))
        except ValueError:
            return  # reported by translation_problems
        yield from (field for _, field, _, _ in parsed if field)


@cache
def _home_assistant_oauth_source() -> str:
    return "\n".join(inspect.getsource(m) for m in (config_entry_oauth2_flow, application_credentials))


def placeholder_problems(strings: dict[str, Any], sources: dict[str, str]) -> list[str]:
    """Every ``{placeholder}`` in a text is one the code can fill: its name appears in
    the integration's code as a string or a keyword (``description_placeholders``,
    ``translation_placeholders``, ``Refusal(key, name=...)``). A placeholder the code
    never sends is shown to the user raw, as ``{name}``. (Project rule: hassfest only
    checks that placeholders are well-formed.) The OAuth steps are Home Assistant's own,
    so the code of its OAuth flow and application credentials counts as the code too.
    """
    code = "\n".join([*sources.values(), _home_assistant_oauth_source()])
    problems = []
    for section in ("config", "options", "issues", "exceptions", "application_credentials"):
        problems.extend(
            f"{section}: placeholder {{{name}}} is never given by the code"
            for name in sorted(set(_placeholders(strings.get(section, {}))))
            if not re.search(rf"[\"']{re.escape(name)}[\"']|\b{re.escape(name)}=", code)
        )
    return problems


def test_every_placeholder_is_given_by_the_code() -> None:
    assert placeholder_problems(FILES["strings"], _sources()) == []


# ----------------------------------------------------------------------------- entities
@cache
def _entity_translation_keys() -> dict[str, set[str]]:
    """The translation keys of the entity descriptions each platform module defines."""
    keys: dict[str, set[str]] = {}
    for platform in Platform:
        if not (PACKAGE / f"{platform.value}.py").exists():
            continue
        module = importlib.import_module(f"{MODULE}.{platform.value}")
        found = keys.setdefault(platform.value, set())
        for value in vars(module).values():
            if isinstance(value, tuple | list):
                found.update(
                    item.translation_key
                    for item in value
                    if isinstance(item, EntityDescription) and isinstance(item.translation_key, str)
                )
    return keys


def entity_problems(strings: dict[str, Any], icons: dict[str, Any], used: dict[str, set[str]]) -> list[str]:
    """Entity translation keys in ``en.json`` and ``icons.json`` are the ones the code
    uses (developer docs, entity naming and icon translations): every description's
    translation key has a name, and there is no text or icon for a key no entity has.
    """
    problems = []
    assert any(used.values()), "no entity description found: the scan is broken"
    for platform in sorted(set(used) | set(strings.get("entity", {})) | set(icons.get("entity", {}))):
        keys = used.get(platform, set())
        translated = strings.get("entity", {}).get(platform, {})
        with_icon = icons.get("entity", {}).get(platform, {})
        problems += [
            f"entity.{platform}.{k}: no name in en.json"
            for k in sorted(keys)
            if "name" not in translated.get(k, {})
        ]
        problems += [
            f"en.json entity.{platform}.{k}: no entity uses it" for k in sorted(set(translated) - keys)
        ]
        problems += [
            f"icons.json entity.{platform}.{k}: no entity uses it" for k in sorted(set(with_icon) - keys)
        ]
        problems += [
            f"entity.{platform}.{k}: invalid translation key"
            for k in sorted(keys)
            if not TRANSLATION_KEY.match(k)
        ]
    return problems


def test_entity_translation_keys_match_the_code() -> None:
    assert entity_problems(FILES["strings"], FILES["icons"], _entity_translation_keys()) == []


# -------------------------------------------------------------------------------- icons
def _icon_problems(path: str, value: Any) -> list[str]:
    if not isinstance(value, str) or not value.startswith("mdi:") or HTML.search(value):
        return [f"{path}: must be an mdi: icon"]
    return []


def icon_problems(icons: dict[str, Any], manifest: dict[str, Any]) -> list[str]:
    """hassfest's ``icons`` plugin (core ``script/hassfest/icons.py``).

    - for a hub: only config, issues, options, services and entity sections;
    - every icon is an ``mdi:`` icon;
    - ``entity.<platform>.<translation key>`` has default, state, state_attributes
      (and range, which 2025.4's frontend predates, so it is refused here);
    - a state icon is not the same as the default icon ("thus can be removed");
    - services in the object form ``{"service": "mdi:…"}`` (the plain-string form was
      deprecated in 2024.9, developer blog 2024-08-27 "changed icon translations
      schema").
    """
    allowed = {"config", "issues", "options", "services", "entity"}
    if manifest.get("integration_type", "hub") in {"entity", "system"}:
        allowed.discard("entity")
    problems = [f"{key}: unknown section" for key in icons if key not in allowed]
    for platform, entities in icons.get("entity", {}).items():
        problems += _key_problems(f"entity.{platform}", entities)
        for key, spec in entities.items():
            where = f"entity.{platform}.{key}"
            problems += [
                f"{where}.{k}: unknown key" for k in spec if k not in {"default", "state", "state_attributes"}
            ]
            if "default" in spec:
                problems += _icon_problems(f"{where}.default", spec["default"])
            for state, icon in spec.get("state", {}).items():
                problems += _icon_problems(f"{where}.state.{state}", icon)
                if icon == spec.get("default"):
                    problems.append(f"{where}.state.{state}: same as the default icon")
    for name, spec in icons.get("services", {}).items():
        if not isinstance(spec, dict) or set(spec) - {"service", "sections"} or "service" not in spec:
            problems.append(f"services.{name}: use the object form with a service icon")
            continue
        problems += _icon_problems(f"services.{name}.service", spec["service"])
        for section, icon in spec.get("sections", {}).items():
            problems += _icon_problems(f"services.{name}.sections.{section}", icon)
    return problems


def test_icons() -> None:
    assert icon_problems(FILES["icons"], FILES["manifest"]) == []


# ----------------------------------------------------------------------------- services
SERVICE_KEYS = {"name", "description", "target", "fields"}
FIELD_KEYS = {"name", "description", "example", "default", "required", "advanced", "selector", "filter"}
REGISTER_CALLS = {
    "async_register",
    "register",
    "async_register_admin_service",
    "async_register_entity_service",
    "async_register_platform_entity_service",
}


@cache
def registered_services() -> set[str]:
    """The service names the code registers, read from its register calls."""
    names: set[str] = set()
    for path in _python_files():
        tree = ast.parse(path.read_text())
        module_name = f"{MODULE}.{'.'.join(path.relative_to(PACKAGE).with_suffix('').parts)}"
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in REGISTER_CALLS
            ):
                continue
            receiver = ast.unparse(node.func.value)
            if node.func.attr in {"async_register", "register"} and not receiver.endswith("services"):
                continue
            # (hass, DOMAIN, name, …) for the module-level helpers, (DOMAIN, name, …) for
            # hass.services and the admin service, (name, …) on an entity platform.
            position = {"async_register_entity_service": 0, "async_register_admin_service": 2}.get(
                node.func.attr, 2 if node.func.attr == "async_register_platform_entity_service" else 1
            )
            if receiver.endswith("platform") or receiver == "platform":
                position = 0
            arg = node.args[position]
            if isinstance(arg, ast.Constant):
                names.add(arg.value)
            elif isinstance(arg, ast.Name):
                names.add(getattr(importlib.import_module(module_name), arg.id))
    return names


def _field_problems(where: str, fields: Any, *, targeted: bool) -> list[str]:
    if not isinstance(fields, dict):
        return [f"{where}: must be a mapping"]
    problems, seen = [], set()
    for name, spec in fields.items():
        if isinstance(spec, dict) and "fields" in spec:  # a section
            problems += [
                f"{where}.{name}.{k}: unknown key"
                for k in spec
                if k not in {"collapsed", "fields", "name", "description"}
            ]
            inner = spec["fields"]
        else:
            inner = {name: spec}
        for field, field_spec in inner.items():
            if field in seen:
                problems.append(f"{where}.{field}: used twice")
            seen.add(field)
            if not isinstance(field_spec, dict):
                problems.append(f"{where}.{field}: must be a mapping")
                continue
            allowed = FIELD_KEYS if targeted else FIELD_KEYS - {"filter"}
            problems += [f"{where}.{field}.{k}: unknown key" for k in field_spec if k not in allowed]
            for key in ("example", "default"):
                if key in field_spec and field_spec[key] is None:
                    problems.append(f"{where}.{field}.{key}: cannot be empty")
            for key in ("required", "advanced"):
                if key in field_spec and not isinstance(field_spec[key], bool):
                    problems.append(f"{where}.{field}.{key}: must be a boolean")
            if "selector" in field_spec:
                try:
                    selector.validate_selector(field_spec["selector"])
                except (vol.Invalid, ValueError, KeyError, TypeError) as err:
                    problems.append(f"{where}.{field}.selector: {err}")
    return problems


def service_problems(
    services: dict[str, Any], strings: dict[str, Any], icons: dict[str, Any], registered: set[str]
) -> list[str]:
    """hassfest's ``services`` plugin, and what ties the files together.

    - an integration that registers services has a ``services.yaml`` ("Registers
      services but has no services.yaml"; since about 2026.2 Home Assistant also logs
      an error at run time), and it describes exactly the registered services;
    - ``CUSTOM_INTEGRATION_SERVICES_SCHEMA``: slug names; per service only name,
      description, target and fields; fields with example/default (not empty),
      required/advanced (booleans), a selector Home Assistant accepts, filter only on a
      targeted service; a field name used once across sections;
    - no ``device`` filter under ``target`` (developer blog 2025-10-14: fails
      validation from 2026.11);
    - each service and each field has a name and a description in ``en.json``
      (hassfest asks this of core only; a custom integration that puts none in
      services.yaml shows raw keys without them), and en.json describes no other;
    - each service has an icon in ``icons.json`` (a core-only rule in hassfest, kept
      here) and icons.json has no other.
    """
    problems = []
    if registered != set(services):
        problems.append(f"registered {sorted(registered)} but services.yaml has {sorted(services)}")
    translated = strings.get("services", {})
    with_icon = icons.get("services", {})
    problems += [f"en.json services.{n}: no such service" for n in sorted(set(translated) - set(services))]
    problems += [f"icons.json services.{n}: no such service" for n in sorted(set(with_icon) - set(services))]
    for name, spec in services.items():
        where = f"services.yaml {name}"
        try:
            cv.slug(name)
        except vol.Invalid:
            problems.append(f"{where}: not a slug")
        if name not in with_icon:
            problems.append(f"{where}: no icon in icons.json")
        text = translated.get(name, {})
        problems += [f"{where}: no {key} in en.json" for key in ("name", "description") if not text.get(key)]
        if spec is None:
            continue
        problems += [f"{where}.{k}: unknown key" for k in spec if k not in SERVICE_KEYS]
        if "target" in spec:
            target = spec["target"]
            if isinstance(target, dict) and "device" in target:
                problems.append(f"{where}.target: no device filter (fails from 2026.11)")
            try:
                selector.TargetSelector.CONFIG_SCHEMA(target or {})
            except vol.Invalid as err:
                problems.append(f"{where}.target: {err}")
        problems += _field_problems(f"{where}.fields", spec.get("fields", {}), targeted="target" in spec)
        for field, field_spec in spec.get("fields", {}).items():
            if isinstance(field_spec, dict) and "fields" in field_spec:
                continue
            field_text = text.get("fields", {}).get(field, {})
            problems += [
                f"{where}.{field}: no {key} in en.json"
                for key in ("name", "description")
                if not field_text.get(key)
            ]
        extra = set(text.get("fields", {})) - set(spec.get("fields", {}))
        problems += [f"en.json services.{name}.fields.{f}: no such field" for f in sorted(extra)]
    return problems


def test_services() -> None:
    registered = registered_services()
    assert registered, "no register call found: the scan is broken"
    assert service_problems(FILES["services"], FILES["strings"], FILES["icons"], registered) == []


# ------------------------------------------------------------------- the checks can fail
def _mutated(edit: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
    files = copy.deepcopy(FILES)
    edit(files)
    return files


def _check_all(files: dict[str, Any]) -> list[str]:
    sources = _sources()
    return [
        *manifest_problems(files["manifest"], PACKAGE.name),
        *translation_problems(files["strings"]),
        *placeholder_problems(files["strings"], sources),
        *entity_problems(files["strings"], files["icons"], _entity_translation_keys()),
        *icon_problems(files["icons"], files["manifest"]),
        *service_problems(files["services"], files["strings"], files["icons"], registered_services()),
    ]


def _reorder(manifest: dict[str, Any]) -> None:
    items = list(manifest.items())
    manifest.clear()
    manifest.update(reversed(items))


def _first(mapping: dict[str, Any]) -> str:
    return next(iter(mapping))


MUTATIONS: dict[str, Callable[[dict[str, Any]], object]] = {
    "manifest keys out of order": lambda f: _reorder(f["manifest"]),
    "manifest unknown key": lambda f: f["manifest"].update(render_readme=True),
    "manifest without version": lambda f: f["manifest"].pop("version"),
    "manifest bad version": lambda f: f["manifest"].update(version="one"),
    "manifest bad iot_class": lambda f: f["manifest"].update(iot_class="cloud"),
    "manifest bad integration_type": lambda f: f["manifest"].update(integration_type="car"),
    "manifest http documentation": lambda f: f["manifest"].update(documentation="http://example.com"),
    "manifest wrong domain": lambda f: f["manifest"].update(domain="ev"),
    "strings unknown section": lambda f: f["strings"].update(state={}),
    "strings html": lambda f: f["strings"]["exceptions"][_first(f["strings"]["exceptions"])].update(
        message="<b>x</b>"
    ),
    "strings quoted placeholder": lambda f: f["strings"]["exceptions"][
        _first(f["strings"]["exceptions"])
    ].update(message="bad '{x}'"),
    "strings key reference": lambda f: f["strings"]["config"]["abort"].update(x="[%key:common::x%]"),
    "strings trailing space": lambda f: f["strings"]["config"]["abort"].update(x="Done. "),
    "strings bad placeholder": lambda f: f["strings"]["config"]["abort"].update(x="Done {"),
    "strings unknown placeholder": lambda f: f["strings"]["config"]["abort"].update(
        x="Done {nobody_sends_this}"
    ),
    "strings issue without description": lambda f: f["strings"]["issues"].update(x={"title": "X"}),
    "strings bad entity key": lambda f: f["strings"]["entity"]["sensor"].update(Range={"name": "R"}),
    "strings orphan entity": lambda f: f["strings"]["entity"]["sensor"].update(gone={"name": "Gone"}),
    "strings missing entity": lambda f: f["strings"]["entity"]["sensor"].pop("range"),
    "strings data_description without data": lambda f: f["strings"]["config"]["step"]["user"].update(
        data_description={"x": "X"}
    ),
    "strings service without description": lambda f: f["strings"]["services"][_first(f["services"])].pop(
        "description"
    ),
    "strings field without name": lambda f: next(
        iter(f["strings"]["services"][_first(f["services"])]["fields"].values())
    ).pop("name"),
    "icons not mdi": lambda f: f["icons"]["entity"]["sensor"]["range"].update(default="fa:car"),
    "icons state same as default": lambda f: f["icons"]["entity"]["sensor"]["range"].update(
        state={"x": f["icons"]["entity"]["sensor"]["range"]["default"]}
    ),
    "icons string service": lambda f: f["icons"]["services"].update({_first(f["services"]): "mdi:car"}),
    "icons orphan entity": lambda f: f["icons"]["entity"]["sensor"].update(gone={"default": "mdi:car"}),
    "icons missing service": lambda f: f["icons"]["services"].pop(_first(f["services"])),
    "services unregistered": lambda f: f["services"].update(extra=None),
    "services device target": lambda f: f["services"][_first(f["services"])].update(
        target={"device": {"integration": DOMAIN}}
    ),
    "services bad selector": lambda f: next(
        iter(f["services"][_first(f["services"])]["fields"].values())
    ).update(selector={"no_such_selector": {}}),
    "services empty example": lambda f: next(
        iter(f["services"][_first(f["services"])]["fields"].values())
    ).update(example=None),
    "services unknown field key": lambda f: next(
        iter(f["services"][_first(f["services"])]["fields"].values())
    ).update(label="x"),
}


@pytest.mark.parametrize("mutation", list(MUTATIONS))
def test_every_check_can_fail(mutation: str) -> None:
    assert _check_all(FILES) == []
    assert _check_all(_mutated(MUTATIONS[mutation])) != [], mutation


def test_dependency_and_config_checks_can_fail() -> None:
    sources = _sources()
    both = {**FILES["manifest"], "after_dependencies": ["http"]}
    assert dependency_problems(both, sources)
    assert dependency_problems(
        FILES["manifest"], {**sources, "x.py": "from homeassistant.components import zha"}
    )
    assert config_flow_and_schema_problems({**FILES["manifest"], "config_flow": False}, sources)
    without_schema = {**sources, "__init__.py": "async def async_setup(hass, config):\n    return True\n"}
    assert config_flow_and_schema_problems(FILES["manifest"], without_schema)
