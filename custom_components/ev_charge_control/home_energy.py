"""Energy charged at home: the accounting behind each car's sensor, without Home Assistant.

The sensor is a ``total_increasing`` energy total for the Energy dashboard, so nothing
may be counted twice and the total never goes down.  It is fed one *sample* per fresh
reading of the car (``step``): when it was taken, the car's energy counter, whether the
car charges and is plugged in, and whether it is at home.  Samples that are not newer
than the last one are ignored: a sleeping Tesla keeps its last values, and a restart
hands the restored reading over again.

Two kinds of counter (``CounterKind``):

* ``SESSION``, Tesla's ``charge_energy_added``: kWh since the session began, from 0 again
  at the next one.  A drop is a new session (the counter started again: its whole value
  went in since the last sample) when one is evident: the car was seen unplugged, a
  charge starts while no session is open, or the car was out of sight for long and the
  counter fell below half of what it was; and never for less than ``NOISE_KWH``.
  Otherwise (inside a session, or idle on the same cable) a drop is noise: nothing is
  counted and the highest value stays the mark, so the total never goes down and the
  same kWh are never counted again.
* ``METER``, re.alto's ``positiveActiveEnergy.total``: cumulative.  It never goes back: a
  lower value is kept at the mark (a replaced meter under-counts until it passes it).

A *session* opens with the first sample that shows the car charging (or energy that
went in since the last sample) and ends with the first sample that shows it not charging
or unplugged; the energy that sample adds is still the session's.  It is *at home* or
not as the first known position decides while the car is plugged in or charging (a car
does not move on its cable): until then its energy waits, then it is counted (at home)
or dropped (elsewhere).  A session that ends with no known position is not counted; its
record says ``home: None``.  Once decided, the place stays: energy counted is never
taken back.

Gaps (Home Assistant down, polls missed or refused): two samples more than ``MAX_GAP``
apart do not continue a session, except on Tesla's counter while the car stayed plugged
in and the counter went on (the same session: it cannot have moved).  Energy that went
in over such a gap is placed only where its origin is certain: Tesla's counter while the
car is plugged in holds only this cable's energy, so it went in here.  Anything else
(a meter over a long gap, a counter seen after the car was unplugged) may have gone in
elsewhere: it gets a record with ``home: None`` and is not counted.  A session that
began and ended entirely unseen is therefore under-counted, never counted twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
import math
from typing import Any

MAX_GAP = timedelta(hours=1)
"""Samples further apart than this are not taken as one stretch of charging: the car
could have been driven somewhere, charged and brought back in between."""
NOISE_KWH = 0.1
"""A counter this little lower is the same count, never one started again: taking it
for a new session would count everything it holds a second time."""
EARTH_RADIUS_M = 6_371_008.8
HOME_LABEL = "home"


class CounterKind(StrEnum):
    """How the car counts the energy it took in."""

    SESSION = "session"
    """kWh since the session began (Tesla's ``charge_energy_added``)."""
    METER = "meter"
    """kWh ever (re.alto's ``positiveActiveEnergy.total``)."""


@dataclass(frozen=True, slots=True)
class Zone:
    """Home: a centre and a radius in metres (Home Assistant's home zone)."""

    latitude: float
    longitude: float
    radius_m: float


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine; well within a zone's radius here)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def at_home(
    latitude: float | None,
    longitude: float | None,
    labels: Iterable[str] | None,
    zone: Zone | None,
    home_names: Iterable[str] = (HOME_LABEL,),
) -> bool | None:
    """Whether the car is at home: its position against the zone, else the names of the
    places its platform matched it to; ``None`` when neither says.

    A place name counts as home when it is one of ``home_names`` (case and surrounding
    spaces ignored).  No matched place at all says nothing: the platform may simply
    hold no places.
    """
    if latitude is not None and longitude is not None and zone is not None:
        return distance_m(latitude, longitude, zone.latitude, zone.longitude) <= zone.radius_m
    matched = [label.strip().casefold() for label in labels or ()]
    if not matched:
        return None
    names = {name.strip().casefold() for name in home_names}
    return any(label in names for label in matched)


@dataclass(frozen=True, slots=True)
class Sample:
    """One fresh reading of the car, as the accounting needs it."""

    at: datetime
    counter_kwh: float | None
    charging: bool | None
    plugged_in: bool | None
    home: bool | None


@dataclass(frozen=True, slots=True)
class Session:
    """A charging session: open while ``end`` is ``None``."""

    start: datetime
    end: datetime | None = None
    energy_kwh: float = 0.0
    home: bool | None = None
    """``None`` while (or, once ended, because) no position said where it charged."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat() if self.end else None,
            "energy_kwh": round(self.energy_kwh, 3),
            "home": self.home,
        }

    @classmethod
    def from_dict(cls, data: Any) -> Session | None:
        if not isinstance(data, Mapping):
            return None
        start, end = _datetime(data.get("start")), _datetime(data.get("end"))
        energy, home = _number(data.get("energy_kwh")), data.get("home")
        if start is None or energy is None or not (home is None or isinstance(home, bool)):
            return None
        return cls(start, end, energy, home)

    def _add(self, delta: float, place: bool | None) -> tuple[Session, float]:
        """This session with ``delta`` more kWh, placed by ``place`` if not yet; and what
        that adds to the home total (all that waited, once the place says home)."""
        home, added = self.home, 0.0
        if home is None and place is not None:
            home = place
            added = self.energy_kwh if home else 0.0
        if home:
            added += delta
        return replace(self, energy_kwh=self.energy_kwh + delta, home=home), added


@dataclass(frozen=True, slots=True)
class HomeEnergy:
    """What the sensor keeps, across restarts too."""

    total_kwh: float = 0.0
    kind: CounterKind | None = None
    counter_kwh: float | None = None
    """The counter's mark: the last value, or the highest since a drop taken as noise."""
    seen_at: datetime | None = None
    """When the last sample was taken."""
    plugged_in: bool | None = None
    """Whether the car was plugged in at that sample."""
    session: Session | None = None
    last_session: Session | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "total_kwh": self.total_kwh,
            "kind": self.kind.value if self.kind else None,
            "counter_kwh": self.counter_kwh,
            "seen_at": self.seen_at.isoformat() if self.seen_at else None,
            "plugged_in": self.plugged_in,
            "session": self.session.as_dict() if self.session else None,
            "last_session": self.last_session.as_dict() if self.last_session else None,
        }

    @classmethod
    def from_dict(cls, data: Any) -> HomeEnergy | None:
        """What ``as_dict`` wrote; ``None`` when it is not that (nothing to go on from)."""
        if not isinstance(data, Mapping):
            return None
        total = _number(data.get("total_kwh"))
        kind = data.get("kind")
        plugged_in = data.get("plugged_in")
        if (
            total is None
            or kind not in (None, *CounterKind)
            or not (plugged_in is None or isinstance(plugged_in, bool))
        ):
            return None
        return cls(
            total_kwh=total,
            kind=CounterKind(kind) if kind else None,
            counter_kwh=_number(data.get("counter_kwh")),
            seen_at=_datetime(data.get("seen_at")),
            plugged_in=plugged_in,
            session=Session.from_dict(data.get("session")),
            last_session=Session.from_dict(data.get("last_session")),
        )


def step(state: HomeEnergy, sample: Sample, kind: CounterKind) -> tuple[HomeEnergy, tuple[Session, ...]]:
    """``state`` after ``sample``, and the sessions that ended with it (oldest first;
    sessions that put no energy in are left out)."""
    if state.seen_at is not None and sample.at <= state.seen_at:
        return state, ()
    if state.kind is not kind:
        # A counter of another kind: its values do not follow on from the last ones.
        state = replace(state, kind=kind, counter_kwh=None)
    # Where the car is says where it charges only while it is on a cable.
    place = sample.home if sample.plugged_in is True or sample.charging is True else None
    recent = state.seen_at is not None and sample.at - state.seen_at <= MAX_GAP
    delta, reset, counter = _count(state, sample, kind, recent)
    ended: list[Session] = []
    total = state.total_kwh
    session = state.session
    if session is not None and not _continues(state, session, sample, place, kind, recent, reset):
        ended.append(replace(session, end=state.seen_at))
        session = None
    if session is None and delta > 0:
        if sample.plugged_in is True and (recent or kind is CounterKind.SESSION):
            session = Session(start=sample.at)
        else:
            # It went in where the car may no longer be: recorded, not counted.
            ended.append(Session(start=sample.at, end=sample.at, energy_kwh=delta))
            delta = 0.0
    if session is None and sample.charging is True:
        session = Session(start=sample.at)
    if session is not None:
        session, added = session._add(delta, place)  # noqa: SLF001 - this module's own
        total = round(total + added, 6)
        if sample.charging is False or sample.plugged_in is False:
            ended.append(replace(session, end=sample.at))
            session = None
    reported = tuple(s for s in ended if round(s.energy_kwh, 3) > 0)
    return (
        HomeEnergy(
            total_kwh=total,
            kind=kind,
            counter_kwh=counter,
            seen_at=sample.at,
            plugged_in=sample.plugged_in,
            session=session,
            last_session=reported[-1] if reported else state.last_session,
        ),
        reported,
    )


def _count(
    state: HomeEnergy, sample: Sample, kind: CounterKind, recent: bool
) -> tuple[float, bool, float | None]:
    """The energy that went in since the last sample, whether the counter started again,
    and the counter's new mark."""
    value, mark = sample.counter_kwh, state.counter_kwh
    if value is None:
        return 0.0, False, mark
    if mark is None:
        return 0.0, False, value  # the first value: what it already holds went in unseen
    if value >= mark:
        return value - mark, False, value
    if (
        kind is CounterKind.SESSION
        and value <= mark - NOISE_KWH
        and (
            (state.session is None and sample.charging is True)
            or state.plugged_in is False
            or sample.plugged_in is False
            or (not recent and value < mark / 2)
        )
    ):
        return value, True, value
    return 0.0, False, mark


def _continues(
    state: HomeEnergy,
    session: Session,
    sample: Sample,
    place: bool | None,
    kind: CounterKind,
    recent: bool,
    reset: bool,
) -> bool:
    """Whether ``sample`` belongs to the open ``session``."""
    if reset:
        return False  # the counter started again: a new cable since
    if session.home is not None and place is not None and place != session.home:
        return False  # somewhere else now
    if recent:
        return True
    # Out of sight for long: the same session only if it stayed on the same cable.
    return kind is CounterKind.SESSION and state.plugged_in is True and sample.plugged_in is True


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _datetime(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None
