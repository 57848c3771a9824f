"""``scripts/bench --under-load N``: the benchmark N times on a loaded machine, same verdicts?

Issue #14: every target counts events in simulated time, so the machine's load must not
change a verdict.  This runs ``scripts/bench`` ``N`` times (3 by default) while one CPU
burner per core runs beside it, collects each run's verdicts (target, scenario, PASS or
FAIL; not the measured values, some of which are wall-clock figures that may differ),
and exits 0 only if every run gave verdicts, all runs agree and every target passes.

It writes the outcome to ``bench/stability.json`` (date-free: runs, burners, targets,
identical or not, wall time per run), which ``bench/report.py`` shows in BENCHMARKS.md's
"Stability under load"; BENCHMARKS.md is then rendered again from the last run's results.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
import json
import os
from pathlib import Path
import shutil
import subprocess
import sys
import time
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = Path(__file__).parent / "stability.json"
BENCH = ROOT / "scripts" / "bench"
LOGS = Path(__file__).parent / ".stability"
"""Each run's output, verdicts and results (ignored by git, like ``.results``)."""

Key = tuple[str, str, int]
"""(target, scenario, n): the n-th target of that name and scenario in a run."""


def keyed(verdicts: Sequence[dict[str, Any]]) -> dict[Key, bool]:
    """A run's verdicts by target and scenario (numbered if one appears more than once)."""
    seen: Counter[tuple[str, str]] = Counter()
    out: dict[Key, bool] = {}
    for v in verdicts:
        name = (str(v["target"]), str(v["scenario"]))
        out[(*name, seen[name])] = bool(v["passed"])
        seen[name] += 1
    return out


@dataclass
class Comparison:
    runs: int
    targets: list[int | None]
    """Verdicts per run; None for a run that gave none (pytest failed before the report)."""
    identical: bool
    all_pass: bool
    differing: list[str] = field(default_factory=list)
    """Targets whose verdict differs between runs, or that only some runs have."""
    failing: list[str] = field(default_factory=list)
    """Targets that failed in at least one run."""

    @property
    def ok(self) -> bool:
        return self.identical and self.all_pass


def _label(key: Key) -> str:
    target, scenario, n = key
    return f"{target} [{scenario}]" + (f" #{n + 1}" if n else "")


def compare(runs: Sequence[Sequence[dict[str, Any]] | None]) -> Comparison:
    """Compare the verdict lists of several runs of the same benchmark.

    Any set of targets will do (it grows as the benchmark does); only the verdicts are
    compared, whatever the runs measured.  A run without verdicts (``None``) makes the
    runs neither identical nor passing.
    """
    if not runs:
        return Comparison(0, [], identical=False, all_pass=False)
    maps = [None if r is None else keyed(r) for r in runs]
    present = [m for m in maps if m is not None]
    keys: list[Key] = []
    for m in present:
        keys += [k for k in m if k not in keys]
    # A target missing from a run counts as a verdict of its own (None).
    differing = [_label(k) for k in keys if len({m.get(k) for m in present}) > 1]
    failing = [_label(k) for k in keys if any(m.get(k) is False for m in present)]
    complete = len(present) == len(maps) and all(present)
    return Comparison(
        runs=len(runs),
        targets=[None if m is None else len(m) for m in maps],
        identical=complete and not differing,
        all_pass=complete and not failing,
        differing=differing,
        failing=failing,
    )


def summary(result: Comparison, seconds: Sequence[float], burners: int) -> str:
    counts = ", ".join("no verdicts" if n is None else str(n) for n in result.targets)
    lines = [
        (
            f"{result.runs} runs of scripts/bench with {burners} CPU burners: targets per run {counts}; "
            f"verdicts identical: {'yes' if result.identical else 'NO'}; "
            f"all pass: {'yes' if result.all_pass else 'NO'}; "
            f"wall time per run: {', '.join(f'{s:.0f} s' for s in seconds)}"
        ),
    ]
    lines += [f"  differs between runs: {d}" for d in result.differing]
    lines += [f"  failed in a run: {f}" for f in result.failing]
    return "\n".join(lines)


# ------------------------------------------------------------------------------ running
def _say(text: str) -> None:
    print(text, flush=True)  # noqa: T201


def _burners(count: int) -> list[subprocess.Popen[bytes]]:
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]


def _run_once(index: int) -> tuple[list[dict[str, Any]] | None, float, int]:
    """One ``scripts/bench``: its verdicts (None without), wall seconds and exit status."""
    verdicts = LOGS / f"verdicts-{index}.json"
    started = time.monotonic()
    with (LOGS / f"run-{index}.log").open("wb") as out:
        code = subprocess.call(  # noqa: S603 - this repository's own script
            [str(BENCH)],
            stdout=out,
            stderr=subprocess.STDOUT,
            # A results folder of its own: another scripts/bench running meanwhile
            # empties bench/.results.
            env={
                **os.environ,
                "BENCH_VERDICTS": str(verdicts),
                "BENCH_RESULTS": str(LOGS / f"results-{index}"),
            },
        )
    seconds = time.monotonic() - started
    found = json.loads(verdicts.read_text()) if verdicts.exists() else None
    return found, seconds, code


def main(argv: Sequence[str]) -> int:
    runs = int(argv[0]) if argv else 3
    if runs < 2:
        _say("--under-load needs at least 2 runs to compare")
        return 2
    cpus = os.cpu_count() or 1
    verdict_lists: list[list[dict[str, Any]] | None] = []
    seconds: list[float] = []
    shutil.rmtree(LOGS, ignore_errors=True)
    LOGS.mkdir()
    burners = _burners(cpus)
    try:
        for index in range(1, runs + 1):
            found, took, code = _run_once(index)
            verdict_lists.append(found)
            seconds.append(took)
            passed = (
                "no verdicts" if found is None else f"{sum(v['passed'] for v in found)}/{len(found)} pass"
            )
            log = LOGS.relative_to(ROOT) / f"run-{index}.log"
            _say(f"run {index}/{runs}: exit {code}, {passed}, {took:.0f} s (log: {log})")
    finally:
        for burner in burners:
            burner.kill()
        for burner in burners:
            burner.wait()
    result = compare(verdict_lists)
    _say(summary(result, seconds, cpus))
    OUTPUT.write_text(
        json.dumps(
            {**asdict(result), "burners": cpus, "cpus": cpus, "wall_seconds": [round(s) for s in seconds]},
            indent=1,
        )
        + "\n"
    )
    # BENCHMARKS.md again, from the last run's results, now with this outcome in it.
    env = {
        **os.environ,
        "BENCH_RESULTS": str(LOGS / f"results-{runs}"),
        "BENCH_WALL": f"{seconds[-1]:.0f} s (the last of {runs} runs under load, see Stability under load)",
        "BENCH_MACHINE": f"{cpus} CPUs, Python {sys.version.split()[0]}",
    }
    env.pop("BENCH_VERDICTS", None)
    subprocess.call([sys.executable, "-m", "bench.report"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    _say(f"wrote {OUTPUT.relative_to(ROOT)}; BENCHMARKS.md rendered again with it")
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
