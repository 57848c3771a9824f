"""A simulator of Tesla's Fleet API (and, with a scenario that has one, re.alto's).

Use it as a process (``python -m simulator --port N``) or in-process::

    world = build_world(spec, FakeClock())
    app = create_app(world)
"""

from .app import create_app
from .clock import FakeClock, RealClock
from .scenario import build_world, default_spec, load_spec
from .world import World

__all__ = ["FakeClock", "RealClock", "World", "build_world", "create_app", "default_spec", "load_spec"]
