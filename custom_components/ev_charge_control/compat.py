"""Names that moved between the Home Assistant releases this integration supports."""

from __future__ import annotations

try:  # Home Assistant 2025.12 and later
    from homeassistant.helpers.config_entry_oauth2_flow import ImplementationUnavailableError  # type: ignore[attr-defined,unused-ignore]
except ImportError:  # Home Assistant 2025.4 to 2025.11 raise ValueError
    ImplementationUnavailableError = ValueError  # type: ignore[assignment,misc,unused-ignore]

__all__ = ["ImplementationUnavailableError"]
