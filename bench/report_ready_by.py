"""The ready-by nights in BENCHMARKS.md: targets, table and chart (``bench/ready_by.py``).

Read by ``bench/report.py``; imports nothing from Home Assistant, so the report stays
light.  A verdict is (target, scenario, measured, passed), made into the report's
``Target``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ZONE = ZoneInfo("Europe/Amsterdam")
RUNS = [("plug_in", "new"), ("ready_by", "new"), ("ready_by", "old")]
LABELS = {
    ("plug_in", "new"): "Charge on plug-in",
    ("ready_by", "new"): "Ready-by plan, 2025.20 (charge schedules)",
    ("ready_by", "old"): "Ready-by plan, 2023.44 (scheduled charging)",
}
STYLES = {("plug_in", "new"): "-", ("ready_by", "new"): "-", ("ready_by", "old"): "--"}
"""Dashed on top: the two cars' plans often charge alike."""
SHORT = {("ready_by", "new"): "2025.20", ("ready_by", "old"): "2023.44"}
COLORS = {("plug_in", "new"): "#999999", ("ready_by", "new"): "#1b9e77", ("ready_by", "old"): "#7570b3"}
COST_RATIO = 0.5
"""The plan's cost on the winter weekday at most this share of charging on plug-in."""
MAX_COMMANDS = 6
"""Commands per night the plan may cost (billed $0.001 each by Tesla)."""
UNREACHABLE_WITHIN_S = 15 * 60
"""The unreachable night is flagged at the latest this long after plug-in."""

type Results = dict[str, dict[str, Any]]
type Verdict = tuple[str, str, str, bool]


def _run(results: Results, night: str, policy: str, firmware: str) -> dict[str, Any] | None:
    return results.get(f"ready_by-{night}-{policy}-{firmware}")


def nights(results: Results) -> list[tuple[str, str]]:
    """(key, name) of every night with results, in the bench's order."""
    found = {
        r["night"]: (r["night_index"], r["night_name"])
        for k, r in results.items()
        if k.startswith("ready_by-")
    }
    return [(key, name) for key, (_index, name) in sorted(found.items(), key=lambda item: item[1][0])]


def _clock(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).astimezone(ZONE).strftime("%H:%M")


# ----------------------------------------------------------------------------- targets
def verdicts(results: Results) -> list[Verdict]:
    found = nights(results)
    if not found:
        return [("results present", "ready-by nights", "missing", False)]
    out: list[Verdict] = []
    for key, _name in found:
        plug_in = _run(results, key, "plug_in", "new")
        for policy, firmware in RUNS[1:]:
            label = f"ready-by, {key}, {SHORT[(policy, firmware)]}"
            r = _run(results, key, policy, firmware)
            if r is None or plug_in is None:
                out.append(("results present", label, "missing", False))
                continue
            out += _night_verdicts(r, plug_in, label)
    return out


def _night_verdicts(r: dict[str, Any], plug_in: dict[str, Any], label: str) -> list[Verdict]:
    out: list[Verdict] = []
    night = r["night"]
    if r["reachable"]:
        out.append(
            (
                "ready by departure: target reached",
                label,
                f"{r['battery_at_departure']:.1f} % at {_clock(r['departure'])} (target {r['target']} %)",
                bool(r["deadline_met"]),
            )
        )
    else:
        shown = r["unreachable_shown_s"]
        after = None if shown is None else r["start"] + shown - r["plug_in"]
        out.append(
            (
                f"unreachable target flagged before departure, ≤ {UNREACHABLE_WITHIN_S // 60} min after plug-in",
                label,
                "never"
                if shown is None
                else f"plan `unreachable` from {_clock(r['start'] + shown)} (plug-in {_clock(r['plug_in'])}, "
                f"departure {_clock(r['departure'])})",
                after is not None and after <= UNREACHABLE_WITHIN_S and r["start"] + shown < r["departure"],
            )
        )
    if night == "winter":
        out.append(
            (
                f"cost ≤ {COST_RATIO:g} × charging on plug-in's",  # noqa: RUF001
                label,
                f"€{r['cost_eur']:.2f} vs €{plug_in['cost_eur']:.2f} ({_share(r, plug_in)})",
                r["cost_eur"] <= COST_RATIO * plug_in["cost_eur"] + 1e-9,
            )
        )
    if night == "negative":
        out.append(
            (
                "cheaper than charging on plug-in",
                label,
                f"€{r['cost_eur']:.2f} vs €{plug_in['cost_eur']:.2f}",
                r["cost_eur"] < plug_in["cost_eur"],
            )
        )
    out.append(
        (
            f"≤ {MAX_COMMANDS} commands per night",
            label,
            f"{r['commands_sent']} ({_command_names(r)})",
            r["commands_sent"] <= MAX_COMMANDS,
        )
    )
    return out


def _share(r: dict[str, Any], base: dict[str, Any]) -> str:
    if abs(base["cost_eur"]) < 1e-9:
        return "-"
    return f"{r['cost_eur'] / base['cost_eur']:.2f}"


def _command_names(r: dict[str, Any]) -> str:
    names = [c["name"] for c in r["commands"]]
    counted: dict[str, int] = {}
    for name in names:
        counted[name] = counted.get(name, 0) + 1
    return ", ".join(f"{name} × {n}" if n > 1 else name for name, n in counted.items()) or "none"  # noqa: RUF001


# ------------------------------------------------------------------------------- table
def table(results: Results) -> str:
    lines = [
        (
            "| Night | Policy | Energy | Cost | ÷ plug-in | SoC at departure | Ready | Commands | "
            "Requests billed (data / command / wake) | Plan sensor |"
        ),
        "|---|---|---:|---:|---:|---:|---|---|---:|---|",
    ]
    for key, name in nights(results):
        plug_in = _run(results, key, "plug_in", "new")
        for policy, firmware in RUNS:
            r = _run(results, key, policy, firmware)
            if r is None:
                continue
            req = r["requests"]
            ready = "yes" if r["deadline_met"] else ("no (unreachable)" if not r["reachable"] else "**no**")
            lines.append(
                f"| {name if (policy, firmware) == RUNS[0] else ''} | {LABELS[(policy, firmware)]} | "
                f"{r['energy_kwh']:.1f} kWh | €{r['cost_eur']:.2f} | "
                f"{_share(r, plug_in) if plug_in is not None and policy != 'plug_in' else ''} | "
                f"{r['battery_at_departure']:.1f} % | {ready} | {r['commands_sent']} ({_command_names(r)}) | "
                f"{req['data']} / {req['command']} / {req['wake']} | {_plan_shown(r)} |"
            )
        if plug_in is not None:
            lines.append(
                f"| | Cheapest possible (the plug-in energy in the cheapest hours, prices known) | "
                f"{plug_in['energy_kwh']:.1f} kWh | €{plug_in['cheapest_eur']:.2f} | "
                f"{_share({'cost_eur': plug_in['cheapest_eur']}, plug_in)} | | | | | |"
            )
    return "\n".join(lines)


def commands_table(results: Results) -> str:
    """What each plan sent to the car, by the local clock."""
    lines = ["| Night | Car | Commands (local time) | Wakes |", "|---|---|---|---:|"]
    for key, _name in nights(results):
        for policy, firmware in RUNS[1:]:
            r = _run(results, key, policy, firmware)
            if r is None:
                continue
            by_minute: dict[str, list[str]] = {}
            for command in r["commands"]:
                moment = _clock(r["start"] + command["t"])
                by_minute.setdefault(moment, []).append(_command(command))
            sent = "; ".join(f"{moment} {', '.join(names)}" for moment, names in by_minute.items())
            lines.append(
                f"| {key} | {SHORT[(policy, firmware)]} | {sent or 'none'} | {r['requests']['wake']} |"
            )
    return "\n".join(lines)


def _command(command: dict[str, Any]) -> str:
    name: str = command["name"]
    params: dict[str, Any] = command["params"]
    if name == "add_charge_schedule":
        return f"schedule {_minutes(params.get('start_time'))}-{_minutes(params.get('end_time'))}"
    if name == "remove_charge_schedule":
        return "remove schedule"
    if name == "set_scheduled_charging":
        return (
            f"start at {_minutes(params.get('time'))}" if params.get("enable") else "scheduled charging off"
        )
    return {"charge_stop": "stop", "charge_start": "start"}.get(name, name)


def _minutes(value: Any) -> str:
    if not isinstance(value, int):
        return "?"
    return f"{value // 60:02d}:{value % 60:02d}"


def _plan_shown(r: dict[str, Any]) -> str:
    """The plan sensor's states until departure, and the plan first written."""
    if r["policy"] == "plug_in":
        return "off"
    states = [state for t, state in r["plan_states"] if r["start"] + t < r["departure"]]
    shown = " → ".join(dict.fromkeys(states)) or "-"
    written = r["plan_written"]
    if not written.get("spans"):
        return shown
    cost = written.get("expected_cost")
    expected = "" if cost is None else f", expected €{cost:.2f}"
    return f"{shown}; written at plug-in: {written['spans']}{expected}"


# ------------------------------------------------------------------------------- chart
def chart(results: Results, folder: Path) -> Path | None:
    import matplotlib as mpl  # noqa: PLC0415 - only the report needs it

    mpl.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    found = nights(results)
    if not found:
        return None
    fig, axes = plt.subplots(len(found), 1, figsize=(12, 2.9 * len(found)), squeeze=False)
    for row, (key, name) in enumerate(found):
        ax = axes[row][0]
        price_ax = ax.twinx()
        base = _run(results, key, "plug_in", "new") or next(
            r for k, r in results.items() if k.startswith(f"ready_by-{key}-")
        )
        start = base["start"]
        hours = [t / 3600 for t, _p in base["prices"]]
        prices = [p for _t, p in base["prices"]]
        price_ax.step(
            [*hours, hours[-1] + 1],
            [*prices, prices[-1]],
            where="post",
            color="#d95f02",
            linewidth=1,
            label="price",
        )
        price_ax.axhline(0, color="#d95f02", linewidth=0.5, linestyle=":")
        price_ax.set_ylabel("EUR/kWh", color="#d95f02", fontsize=8)
        for run in RUNS:
            r = _run(results, key, *run)
            if r is None:
                continue
            series = r["series"]
            ax.plot(
                [t / 3600 for t in series["t"]],
                series["battery"],
                color=COLORS[run],
                linestyle=STYLES[run],
                label=LABELS[run],
            )
        for moment, style in ((base["plug_in"], "--"), (base["departure"], "-")):
            ax.axvline((moment - start) / 3600, color="black", linewidth=0.8, linestyle=style)
        ax.axhline(base["target"], color="black", linewidth=0.5, linestyle=":")
        ax.set_ylabel("Battery (%)")
        ax.set_title(name, fontsize=9)
        first = (3600 - start % 3600) % 3600 / 3600  # the first whole hour
        ticks = [first + h for h in range(0, int(base["series"]["t"][-1] / 3600) + 1, 2)]
        ax.set_xticks(ticks, [_clock(start + h * 3600) for h in ticks], fontsize=8)
        ax.set_xlim(0, base["series"]["t"][-1] / 3600)
        ax.grid(True, alpha=0.3)
    axes[0][0].legend(loc="lower right", fontsize=7)
    fig.tight_layout()
    path = folder / "ready_by.png"
    fig.savefig(path, dpi=72)
    plt.close(fig)
    return path
