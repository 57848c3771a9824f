"""Helpers shared by the API client tests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from ..helpers import ACCESS_TOKEN, SimulatorHandle

# Tiny poll delays keep wake tests quick; they never decide an assertion.
FAST_POLLS = (0.001,)


def static_token(value: str = ACCESS_TOKEN) -> Callable[[], Awaitable[str]]:
    """A token provider that always answers ``value``."""

    async def provider() -> str:
        return value

    return provider


async def mark(sim: SimulatorHandle) -> int:
    """The sequence number of the last request the simulator logged."""
    data = await sim.call("GET", "/sim/requests?since=0&api=none")
    return int(data["last_seq"])


async def sent_since(sim: SimulatorHandle, seq: int) -> list[dict[str, Any]]:
    """Tesla API requests the simulator logged after ``seq`` (from /sim/requests)."""
    return await sim.requests("tesla", since=seq)


@contextmanager
def raises_exactly(cls: type[Exception]) -> Iterator[pytest.ExceptionInfo[Exception]]:
    """Like ``pytest.raises``, but a subclass does not count: the type must be ``cls``."""
    with pytest.raises(Exception) as info:  # noqa: PT011 - the exact type is checked below
        yield info
    assert type(info.value) is cls, f"expected exactly {cls.__name__}, got {info.value!r}"
