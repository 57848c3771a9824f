"""What the Charging plan sensor (and the plan_charging action's answer) tells: the
plan's windows and figures, and a sentence saying why it is what it is."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.util import dt as dt_util

from .planner import PlanStatus

if TYPE_CHECKING:
    from .ready_by import ReadyByPlanner


def planner_attributes(planner: ReadyByPlanner) -> dict[str, Any]:
    """The plan sensor's attributes: the slots, what they are expected to give, and why."""
    settings = planner.settings
    plan = planner.plan
    attributes: dict[str, Any] = {
        "target": settings.target,
        "price_entity": planner.price_entity,
    }
    if plan is None:
        return attributes
    rate = plan.rate
    attributes.update(
        {
            "departure": plan.departure.isoformat(),
            "windows": [{"start": w.start.isoformat(), "end": w.end.isoformat()} for w in plan.windows],
            "charging_minutes": round(plan.charging_time.total_seconds() / 60),
            "expected_soc": round(plan.expected_soc, 1),
            "expected_cost": round(plan.expected_cost, 2) if plan.expected_cost is not None else None,
            "cost_unit": plan.cost_unit,
            "prices_until": plan.prices_until.isoformat() if plan.prices_until else None,
            "charge_rate_percent_per_hour": round(rate.percent_per_hour, 1),
            "charge_rate_measured": rate.measured,
            "written_to_car": planner.settings.written
            == tuple(w for w in plan.windows if w.end > dt_util.utcnow()),
            "write_error": planner.write_error,
            "explanation": explain(planner),
        }
    )
    return attributes


def explain(planner: ReadyByPlanner) -> str:
    """Why the plan is what it is, in a sentence or two."""
    plan = planner.plan
    if plan is None:
        return ""
    local = dt_util.as_local
    departure = local(plan.departure).strftime("%a %H:%M")
    level = f"{round(plan.battery_level)} %"
    if plan.status is PlanStatus.AT_TARGET:
        return f"Already at {level}, the target is {plan.target} %: no charging needed before {departure}."
    rate = plan.rate
    rate_text = (
        f"{rate.percent_per_hour:.1f} %/h as measured"
        if rate.measured
        else f"an assumed {rate.percent_per_hour:.0f} %/h until the car is seen charging"
    )
    if plan.status is PlanStatus.UNREACHABLE:
        return (
            f"{plan.target} % cannot be reached by {departure}: at {rate_text}, charging from now gives "
            f"{round(plan.expected_soc)} %."
        )
    windows = ", ".join(f"{local(w.start):%H:%M}-{local(w.end):%H:%M}" for w in plan.windows)
    if planner.prices is None or not planner.prices.slots:
        how = "as late as possible (no price forecast)"
    elif plan.prices_until is not None and plan.prices_until < plan.departure:
        how = (
            f"in the cheapest slots known (prices until {local(plan.prices_until):%a %H:%M}; "
            "later slots count as the dearest until their prices are published)"
        )
    else:
        how = "in the cheapest slots"
    cost = f", about {plan.expected_cost:.2f} {plan.cost_unit or ''}".rstrip() if plan.expected_cost else ""
    return f"{level} to {plan.target} % by {departure}: charging {windows} {how}, at {rate_text}{cost}."
