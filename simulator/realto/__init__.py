"""A simulator of the re.alto energy platform's EV API, served next to Tesla's.

``simulator/scenario.py`` builds it from a scenario's ``realto:`` key; the routes are
under ``/api/v1/`` (API) and ``/sim/realto/`` (admin).  See ``README.md``.
"""

from .platform import RealtoPlatform, build_platform

__all__ = ["RealtoPlatform", "build_platform"]
