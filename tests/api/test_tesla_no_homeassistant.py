"""The api package imports nothing from Home Assistant and works as a package of its own.

Two checks: a static scan of every module's imports, and a real import in a fresh
interpreter where any ``homeassistant`` import fails, with the api package on sys.path
as a top-level package (so a relative import that climbs out of it fails too).
"""

from __future__ import annotations

import ast
from pathlib import Path
import subprocess
import sys
import textwrap

import pytest

INTEGRATION = Path(__file__).parents[2] / "custom_components" / "ev_charge_control"
API = INTEGRATION / "api"
MODULES = sorted(API.rglob("*.py"))


def test_the_scan_sees_the_client() -> None:
    names = {path.relative_to(API).as_posix() for path in MODULES}
    assert {"__init__.py", "errors.py", "costs.py", "tesla/client.py", "tesla/oauth.py"} <= names


def imported_modules(path: Path) -> list[tuple[str, int]]:
    """Every ``(module, level)`` a module imports, wherever the import statement is."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((alias.name, 0) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            found.append((node.module or "", node.level))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            found.append((str(node.args[0].value), 0))
    return found


@pytest.mark.parametrize("path", MODULES, ids=[p.relative_to(API).as_posix() for p in MODULES])
def test_no_module_imports_home_assistant(path: Path) -> None:
    # 0 for api/x.py and api/__init__.py, 1 for api/tesla/x.py: "." is the module's package.
    depth = len(path.relative_to(API).parts) - 1
    for module, level in imported_modules(path):
        assert module.split(".")[0] != "homeassistant", f"{path.name} imports {module}"
        assert not module.startswith("custom_components"), f"{path.name} imports {module}"
        # "from .. import x" in api/tesla/ reaches api/; one more dot would leave the package.
        assert level <= depth + 1, f"{path.name}: a level-{level} import climbs out of the api package"


def test_the_scan_would_catch_an_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        textwrap.dedent(
            """
            import homeassistant.core
            from homeassistant.helpers import aiohttp_client
            def later():
                from ... import const
                importlib.import_module("homeassistant.const")
            """
        )
    )
    assert imported_modules(sample) == [
        ("homeassistant.core", 0),
        ("homeassistant.helpers", 0),
        ("", 3),
        ("homeassistant.const", 0),
    ]


STANDALONE = textwrap.dedent(
    """
    import importlib
    import importlib.abc
    import importlib.util
    import sys

    class NoHomeAssistant(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == "homeassistant" or name.startswith("homeassistant."):
                raise ImportError(f"blocked import of {name}")
            return None

    sys.meta_path.insert(0, NoHomeAssistant())
    try:
        import homeassistant  # noqa: F401
    except ImportError:
        pass
    else:
        raise SystemExit("the blocker does not work")

    sys.path.insert(0, sys.argv[1])
    names = ["api", "api.tesla", "api.errors", "api.costs", "api.tesla.client",
             "api.tesla.oauth", "api.tesla.models", "api.tesla.const"]
    if importlib.util.find_spec("api.realto") is not None:
        names.append("api.realto")
    for name in names:
        importlib.import_module(name)
    if any(m == "homeassistant" or m.startswith("homeassistant.") for m in sys.modules):
        raise SystemExit("homeassistant was imported")
    if any(m.startswith("custom_components") for m in sys.modules):
        raise SystemExit("the integration package was imported")

    from api.tesla import TeslaClient
    assert TeslaClient.__module__ == "api.tesla.client", TeslaClient.__module__
    print("ok", " ".join(names))
    """
)


def test_api_imports_standalone_without_home_assistant(tmp_path: Path) -> None:
    # Run from an empty directory so only the path the script adds can supply "api".
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", STANDALONE, str(INTEGRATION)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("ok api api.tesla ")


def test_the_blocker_catches_a_home_assistant_import(tmp_path: Path) -> None:
    # A stand-in package that imports Home Assistant must make the script fail.
    package = tmp_path / "api"
    (package / "tesla").mkdir(parents=True)
    (package / "__init__.py").write_text("import homeassistant.const\n")
    (package / "tesla" / "__init__.py").write_text("")
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", STANDALONE, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode != 0
    assert "blocked import of homeassistant" in result.stderr
