"""utils.timing (Chapter 3): interleaved timing, ratios and formatting."""
import time

import pytest

from utils.timing import Timing, fmt_time, median_time, ratio, time_interleaved


def test_slower_function_measures_slower():
    t = time_interleaved({"fast": lambda: None, "slow": lambda: time.sleep(2e-3)}, rounds=3)
    assert t["slow"].median > 1.5e-3 > t["fast"].median
    assert ratio(t, "slow", "fast") > 10
    assert t["slow"].min <= t["slow"].median <= t["slow"].max
    assert len(t["slow"].times) == 3


def test_median_time_is_seconds_per_call():
    assert 1e-3 < median_time(lambda: time.sleep(1e-3), rounds=3) < 0.5     # seconds, on a busy machine too


def test_fmt_time_units():
    assert [fmt_time(s) for s in (5e-10, 4.2e-5, 0.0123, 2.5)] == ["0 ns", "42.0 µs", "12.3 ms", "2.50 s"]
    assert str(Timing((0.002, 0.003, 0.004))) == "3.0 ms"


@pytest.mark.parametrize("kwargs, exc, name", [
    (dict(fns={}), TypeError, "fns"),
    (dict(fns={"a": 3}), TypeError, "fns"),
    (dict(fns={"a": lambda: 0}, rounds=0), ValueError, "rounds"),
    (dict(fns={"a": lambda: 0}, min_block=-1), ValueError, "min_block"),
])
def test_bad_arguments_name_the_argument(kwargs, exc, name):
    with pytest.raises(exc, match=name):
        time_interleaved(**kwargs)


def test_ratio_and_fmt_errors():
    t = {"a": Timing((1.0,))}
    with pytest.raises(ValueError, match="denominator"):
        ratio(t, "a", "b")
    with pytest.raises(TypeError, match="seconds"):
        fmt_time("1")
    with pytest.raises(ValueError, match="seconds"):
        fmt_time(-1.0)
