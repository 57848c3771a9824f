"""The HACS action's checks, as far as they concern files in the repository.

The HACS action (``hacs/action``) is a Docker image that reads the repository through
GitHub's API, which neither this machine nor CI can reach; HACS itself is not on a
package registry. Its validators are ``custom_components/hacs/validate/*.py`` in
``hacs/integration`` (read at 2026-08-07), with the schemas in
``custom_components/hacs/utils/validate.py``; the publishing rules are hacs.xyz
``docs/publish/start`` and ``docs/publish/integration`` (``hacs/documentation``, read
at 2026-06-22). The checks on GitHub's side (``archived``, ``description``, ``issues``,
``topics``, and the license GitHub detects) cannot be made from the files and are
left to the action.
"""

from __future__ import annotations

from collections.abc import Callable
import copy
import json
from pathlib import Path
import re
import struct
from typing import Any

from awesomeversion import AwesomeVersion
from awesomeversion.exceptions import AwesomeVersionException
from homeassistant import const
import pytest

ROOT = Path(__file__).parents[1]
HACS_JSON = json.loads((ROOT / "hacs.json").read_text())

#: The keys hacs.xyz documents for ``hacs.json`` today. HACS's schema
#: (``HACS_MANIFEST_JSON_SCHEMA``, extra keys refused) still tolerates
#: ``render_readme``, but HACS 2 always shows the README and the key was removed from
#: the documentation (hacs/documentation#560, closing hacs/integration#3994); it does
#: nothing, so it is refused here.
HACS_KEYS: dict[str, type | tuple[type, ...]] = {
    "name": str,
    "content_in_root": bool,
    "zip_release": bool,
    "filename": str,
    "hide_default_branch": bool,
    "country": (str, list),
    "homeassistant": str,
    "hacs": str,
    "persistent_directory": str,
}


def _floor() -> str:
    """The oldest Home Assistant the project is tested on: its pin in requirements_test.txt."""
    (version,) = re.findall(r"^homeassistant==(\S+)$", (ROOT / "requirements_test.txt").read_text(), re.M)
    return version


def hacs_json_problems(hacs: dict[str, Any], manifest_name: str) -> list[str]:
    """The ``hacsjson`` check: ``hacs.json`` at the root matches the schema.

    - ``name`` is required; only the documented keys, each of its type;
    - ``zip_release`` needs ``filename`` ("zip_release is True, but filename is not
      set");
    - ``country``: ISO 3166-1 alpha-2 codes;
    - ``homeassistant`` and ``hacs`` are versions AwesomeVersion reads (HACS compares
      the running version with them);
    - project rules: ``name`` is the manifest's name, and ``homeassistant`` is the floor
      the project is tested on, so HACS offers no release to a Home Assistant it was
      never tested with.
    """
    problems = [] if "name" in hacs else ["name is required"]
    for key, value in hacs.items():
        if key not in HACS_KEYS:
            problems.append(f"{key}: not a key HACS accepts")
        elif not isinstance(value, HACS_KEYS[key]):
            problems.append(f"{key}: wrong type")
    if hacs.get("zip_release") and not hacs.get("filename"):
        problems.append("zip_release needs filename")
    countries = hacs.get("country", [])
    problems.extend(
        f"country {country!r} is not an ISO 3166-1 alpha-2 code"
        for country in ([countries] if isinstance(countries, str) else countries)
        if not (isinstance(country, str) and re.fullmatch(r"[A-Za-z]{2}", country))
    )
    for key in ("homeassistant", "hacs"):
        if key in hacs:
            try:
                if not AwesomeVersion(hacs[key]).valid:
                    problems.append(f"{key}: {hacs[key]!r} is not a version")
            except AwesomeVersionException:
                problems.append(f"{key}: {hacs[key]!r} is not a version")
    if hacs.get("name") != manifest_name:
        problems.append("name differs from the manifest's")
    if hacs.get("homeassistant") != _floor():
        problems.append(f"homeassistant {hacs.get('homeassistant')!r} is not the tested floor {_floor()}")
    return problems


def _integrations(root: Path) -> list[Path]:
    """The integration directories under custom_components/ (the package's own
    ``__init__.py``, there so tests can import it, is a file, not an integration)."""
    return [p for p in (root / "custom_components").iterdir() if p.is_dir() and p.name != "__pycache__"]


def _manifest() -> dict[str, Any]:
    (integration,) = _integrations(ROOT)
    result: dict[str, Any] = json.loads((integration / "manifest.json").read_text())
    return result


def test_hacs_json() -> None:
    assert hacs_json_problems(HACS_JSON, _manifest()["name"]) == []


def test_the_running_home_assistant_is_one_hacs_would_install_on() -> None:
    """The suite runs on Home Assistant versions HACS would install this release on."""
    assert AwesomeVersion(const.__version__) >= AwesomeVersion(HACS_JSON["homeassistant"])


def structure_problems(root: Path) -> list[str]:
    """The ``information``, ``integration_manifest`` and ``brands`` checks, and the
    repository structure hacs.xyz asks of an integration.

    - exactly one integration, in ``custom_components/<domain>/`` (HACS manages only
      the first; ``content_in_root`` is not used);
    - a README (or info) file at the root (``information``);
    - the integration's ``manifest.json`` has domain, documentation, issue_tracker,
      codeowners, name and version, documentation and issue_tracker URLs, version an
      AwesomeVersion (``INTEGRATION_MANIFEST_JSON_SCHEMA``);
    - ``brand/icon.png`` inside the integration (``brands``: since 2026-02 local brand
      images pass; otherwise the domain must be in Home Assistant's brands list);
    - a license file (``license``, 2026-07: GitHub must detect an OSI-approved SPDX
      license; the MIT text is one).
    """
    problems = []
    integrations = _integrations(root)
    if len(integrations) != 1:
        return [f"expected one integration under custom_components/, found {len(integrations)}"]
    (integration,) = integrations
    if not {p.name.lower() for p in root.iterdir()} & {"readme", "readme.md", "info", "info.md"}:
        problems.append("no README at the root")
    manifest = json.loads((integration / "manifest.json").read_text())
    required = ("codeowners", "documentation", "domain", "issue_tracker", "name", "version")
    problems.extend(f"manifest.json has no {key}" for key in required if key not in manifest)
    if not isinstance(manifest.get("codeowners"), list):
        problems.append("manifest.json codeowners is not a list")
    problems.extend(
        f"manifest.json {key} is not a URL"
        for key in ("documentation", "issue_tracker")
        if not str(manifest.get(key, "")).startswith(("http://", "https://"))
    )
    if not AwesomeVersion(str(manifest.get("version"))).valid:
        problems.append("manifest.json version is not a version")
    if manifest.get("domain") != integration.name:
        problems.append("the integration's directory is not its domain")
    icon = integration / "brand" / "icon.png"
    if not icon.is_file() or icon.read_bytes()[:8] != b"\x89PNG\r\n\x1a\n":
        problems.append("no brand/icon.png in the integration")
    license_file = root / "LICENSE"
    if not license_file.is_file() or not license_file.read_text().startswith("MIT License"):
        problems.append("no LICENSE with the MIT text")
    return problems


def test_repository_structure() -> None:
    assert structure_problems(ROOT) == []


def _png(path: Path) -> tuple[int, int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    width, height = struct.unpack(">II", data[16:24])
    return width, height, data[25]


def brand_problems(brand: Path) -> list[str]:
    """The brand images as Home Assistant's brands repository specifies them
    (home-assistant/brands README), which HACS and, since 2026.3, Home Assistant show
    from the integration's ``brand/`` folder: PNG; icon 256x256 and icon@2x 512x512,
    square; logo's shortest side 128-256 px and logo@2x's 256-512 px; with an alpha
    channel (transparent background).
    """
    problems = []
    sizes = {name: _png(brand / name) for name in ("icon.png", "icon@2x.png") if (brand / name).is_file()}
    if sizes.get("icon.png", (0, 0, 0))[:2] != (256, 256):
        problems.append("icon.png must be 256x256")
    if sizes.get("icon@2x.png", (0, 0, 0))[:2] != (512, 512):
        problems.append("icon@2x.png must be 512x512")
    for name, low, high in (("logo.png", 128, 256), ("logo@2x.png", 256, 512)):
        if (brand / name).is_file():
            width, height, _ = sizes.setdefault(name, _png(brand / name))
            if not low <= min(width, height) <= high:
                problems.append(f"{name}: shortest side must be {low}-{high} px")
    problems += [
        f"{name}: no alpha channel" for name, (_, _, colour) in sizes.items() if colour not in (4, 6)
    ]
    return problems


def test_brand_images() -> None:
    (integration,) = _integrations(ROOT)
    assert brand_problems(integration / "brand") == []


MUTATIONS: dict[str, Callable[[dict[str, Any]], object]] = {
    "render_readme": lambda h: h.update(render_readme=True),
    "unknown key": lambda h: h.update(iot_class="cloud_polling"),
    "no name": lambda h: h.pop("name"),
    "wrong type": lambda h: h.update(hide_default_branch="yes"),
    "zip without filename": lambda h: h.update(zip_release=True),
    "bad country": lambda h: h.update(country=["Belgium"]),
    "bad minimum": lambda h: h.update(homeassistant="latest"),
    "not the floor": lambda h: h.update(homeassistant="2025.4.0"),
    "other name": lambda h: h.update(name="EV"),
}


@pytest.mark.parametrize("mutation", list(MUTATIONS))
def test_the_hacs_json_check_can_fail(mutation: str) -> None:
    hacs = copy.deepcopy(HACS_JSON)
    MUTATIONS[mutation](hacs)
    assert hacs_json_problems(hacs, _manifest()["name"]) != []


def test_the_structure_and_brand_checks_can_fail(tmp_path: Path) -> None:
    (tmp_path / "custom_components" / "one").mkdir(parents=True)
    (tmp_path / "custom_components" / "two").mkdir(parents=True)
    assert structure_problems(tmp_path) != []
    (tmp_path / "custom_components" / "two").rmdir()
    (tmp_path / "custom_components" / "one" / "manifest.json").write_text(
        '{"domain": "one", "version": "x y"}'
    )
    problems = structure_problems(tmp_path)
    assert "no README at the root" in problems
    assert "no brand/icon.png in the integration" in problems
    assert "manifest.json has no issue_tracker" in problems
    assert "no LICENSE with the MIT text" in problems
    brand = tmp_path / "brand"
    brand.mkdir()
    (integration,) = _integrations(ROOT)
    (brand / "icon.png").write_bytes((integration / "brand" / "icon@2x.png").read_bytes())
    assert brand_problems(brand) == ["icon.png must be 256x256", "icon@2x.png must be 512x512"]
