"""Names that moved between the Home Assistant releases this integration supports."""

from __future__ import annotations

try:  # Home Assistant 2025.12 and later
    from homeassistant.helpers.config_entry_oauth2_flow import ImplementationUnavailableError  # type: ignore[attr-defined,unused-ignore]
except ImportError:  # Home Assistant 2025.4 to 2025.11 raise ValueError
    ImplementationUnavailableError = ValueError  # type: ignore[assignment,misc,unused-ignore]

try:  # newer Home Assistant types a repair flow's results (2025.4 has no such name)
    from homeassistant.components.repairs import RepairsFlowResult  # type: ignore[attr-defined,unused-ignore]
except ImportError:  # Home Assistant 2025.4: a plain FlowResult
    from homeassistant.data_entry_flow import FlowResult as RepairsFlowResult  # type: ignore[assignment,no-redef,unused-ignore]

__all__ = ["ImplementationUnavailableError", "RepairsFlowResult"]
