"""The comparison behind ``scripts/bench --under-load``, on fixed verdict lists."""

from __future__ import annotations

from typing import Any

from .stability import compare, keyed, summary


def _v(target: str, scenario: str, passed: bool = True) -> dict[str, Any]:
    return {"target": target, "scenario": scenario, "passed": passed}


RUN = [_v("cost", "commuter"), _v("cost", "solar"), _v("one check per cycle", "fleet of 50")]


def test_identical_passing_runs() -> None:
    result = compare([RUN, list(RUN), list(RUN)])
    assert result.identical
    assert result.all_pass
    assert result.ok
    assert result.targets == [3, 3, 3]
    assert "verdicts identical: yes; all pass: yes" in summary(result, [90.4, 95.0, 101.0], 2)
    assert "90 s, 95 s, 101 s" in summary(result, [90.4, 95.0, 101.0], 2)


def test_one_flipped_verdict() -> None:
    flipped = [*RUN[:2], _v("one check per cycle", "fleet of 50", passed=False)]
    result = compare([RUN, flipped, RUN])
    assert not result.identical
    assert not result.all_pass
    assert result.differing == ["one check per cycle [fleet of 50]"]
    assert result.failing == ["one check per cycle [fleet of 50]"]
    assert "differs between runs: one check per cycle [fleet of 50]" in summary(result, [1, 1, 1], 2)


def test_the_same_failure_every_time_is_identical_but_not_ok() -> None:
    failing = [_v("setup", "fleet of 50", passed=False)]
    result = compare([failing, failing, failing])
    assert result.identical
    assert not result.all_pass
    assert not result.ok


def test_any_set_of_targets_but_the_same_in_every_run() -> None:
    grown = [*RUN, _v("cost ≤ Tesla Fleet's", "tesla_fleet_real")]
    assert compare([grown, grown, grown]).ok
    # A target only some runs have is a difference, even if it passes.
    result = compare([RUN, grown, RUN])
    assert not result.identical
    assert result.all_pass
    assert result.differing == ["cost ≤ Tesla Fleet's [tesla_fleet_real]"]
    assert result.targets == [3, 4, 3]


def test_measured_values_and_order_do_not_matter() -> None:
    measured = [{**v, "measured": f"{i * 0.37:.2f} s"} for i, v in enumerate(RUN)]
    assert compare([RUN, list(reversed(measured))]).ok


def test_a_repeated_target_is_compared_by_occurrence() -> None:
    one = [_v("results present", "latency"), _v("results present", "latency", passed=False)]
    two = [_v("results present", "latency"), _v("results present", "latency")]
    assert set(keyed(one)) == {("results present", "latency", 0), ("results present", "latency", 1)}
    result = compare([one, two])
    assert result.differing == ["results present [latency] #2"]


def test_a_run_without_verdicts() -> None:
    result = compare([RUN, None, RUN])
    assert not result.identical
    assert not result.all_pass
    assert result.targets == [3, None, 3]
    assert "targets per run 3, no verdicts, 3" in summary(result, [1, 2, 3], 2)


def test_an_empty_run_and_no_runs() -> None:
    assert not compare([RUN, []]).ok
    assert not compare([]).ok
