"""Everything the simulator knows: accounts, cars, tokens, the clock, faults and the log.

A world is built from a scenario (``scenario.py``); the HTTP layers only read and change
it.  ``sync()`` brings every car up to the clock, applying the scenario's timeline
(plugging in, driving...) in order on the way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import heapq
from typing import Any

from .clock import Clock
from .faults import FaultSet
from .recorder import Recorder
from .tesla.accounts import Account, TokenStore
from .tesla.partner import PartnerRegistry
from .tesla.signed.car import CarSigning
from .tesla.vehicle import SimVehicle


@dataclass(order=True)
class TimelineEvent:
    """Something that happens to a car at a given time (from a scenario file)."""

    at: float
    seq: int
    vin: str = field(compare=False)
    action: str = field(compare=False)
    params: dict[str, Any] = field(compare=False, default_factory=dict)


ACTIONS = ("plug_in", "unplug", "drive", "state", "pilot_current", "battery_level", "stall", "hold")


def apply_action(vehicle: SimVehicle, action: str, params: dict[str, Any]) -> None:
    """Apply an outside event to a car (timeline and admin API share this)."""
    if action == "plug_in":
        vehicle.plug_in()
    elif action == "unplug":
        vehicle.unplug()
    elif action == "drive":
        vehicle.start_drive(float(params.get("minutes", 30)), float(params.get("miles", 10)))
    elif action == "state":
        vehicle.set_state(str(params["state"]))
    elif action == "pilot_current":
        vehicle.set_pilot_current(int(params["amps"]))
    elif action == "battery_level":
        vehicle.set_battery_level(float(params["level"]))
    elif action == "stall":
        vehicle.stalled = _on(params)
    elif action == "hold":
        vehicle.held = _on(params)
    else:
        raise ValueError(f"unknown action {action!r}; expected one of {', '.join(ACTIONS)}")


def _on(params: dict[str, Any]) -> bool:
    """A charger fault's ``on`` (default true): a JSON boolean, so "false" is no typo for on."""
    on = params.get("on", True)
    if not isinstance(on, bool):
        raise TypeError("on must be true or false")
    return on


class World:
    """The simulated state of both platforms."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.accounts: dict[str, Account] = {}
        self.vehicles: dict[str, SimVehicle] = {}
        self.tokens = TokenStore()
        self.partners = PartnerRegistry()
        self.signing: dict[str, CarSigning] = {}
        """Each car's side of the Vehicle Command Protocol, by VIN."""
        self.recorder = Recorder()
        self.faults = FaultSet()
        self.timeline: list[TimelineEvent] = []
        self._timeline_seq = 0
        self.realto: Any = None  # the re.alto platform, when a scenario has one

    # ------------------------------------------------------------------ setup
    def add_account(self, account: Account) -> None:
        self.accounts[account.account_id] = account

    def add_vehicle(self, account: Account, vehicle: SimVehicle) -> None:
        self.vehicles[vehicle.vin] = vehicle
        self.signing[vehicle.vin] = CarSigning(vehicle.vin, self.clock.now())
        account.vins.append(vehicle.vin)

    def remove_vehicle(self, account: Account, vin: str) -> None:
        """The car is sold: the account no longer lists it or reaches it."""
        account.vins.remove(vin)

    def schedule(self, at: float, vin: str, action: str, params: dict[str, Any] | None = None) -> None:
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}")
        if vin not in self.vehicles:
            # Caught when the scenario loads, not silently skipped hours into a run.
            raise ValueError(f"timeline event for unknown vehicle {vin!r}")
        self._timeline_seq += 1
        heapq.heappush(self.timeline, TimelineEvent(at, self._timeline_seq, vin, action, params or {}))

    # ------------------------------------------------------------------- time
    def now(self) -> float:
        return self.clock.now()

    def sync(self) -> float:
        """Advance every car to the clock, applying due timeline events in order."""
        now = self.clock.now()
        while self.timeline and self.timeline[0].at <= now:
            event = heapq.heappop(self.timeline)
            self._advance_all(event.at)
            apply_action(self.vehicles[event.vin], event.action, event.params)
        self._advance_all(now)
        if self.realto is not None:
            self.realto.sync(now)
        return now

    def _advance_all(self, t: float) -> None:
        for vehicle in self.vehicles.values():
            if vehicle.t < t:
                vehicle.advance(t)

    # ---------------------------------------------------------------- lookups
    def vehicle_for(self, account: Account, vehicle_id: str) -> SimVehicle | None:
        """Find a car of ``account`` by VIN, numeric id or id_s, as the Fleet API does."""
        for vin in account.vins:
            vehicle = self.vehicles[vin]
            if vehicle_id in (vin, str(vehicle.vehicle_id)):
                return vehicle
        return None

    def vin_for(self, vehicle_id: str) -> str | None:
        """The VIN of the car a path names by VIN or numeric id, whoever owns it."""
        if vehicle_id in self.vehicles:
            return vehicle_id
        for vin, vehicle in self.vehicles.items():
            if vehicle_id == str(vehicle.vehicle_id):
                return vin
        if self.realto is not None:  # a re.alto path names the car by entity id
            found: str | None = self.realto.vin_for(vehicle_id)
            return found
        return None

    def account_of(self, vin: str) -> Account | None:
        for account in self.accounts.values():
            if vin in account.vins:
                return account
        return None
