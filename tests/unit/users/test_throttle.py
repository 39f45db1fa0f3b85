"""Login throttling: only failures count, per address and per name, within a sliding window."""

from __future__ import annotations

import pytest

from citywatch.users.throttle import LoginThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_five_failures_for_one_name_block_the_sixth_attempt_until_the_window_passes(
    clock: Clock,
) -> None:
    throttle = LoginThrottle(max_failures=5, window_s=60, clock=clock)
    for _ in range(5):
        assert throttle.retry_after_s("10.0.0.1", "olga") == 0
        throttle.record_failure("10.0.0.1", "olga")
        clock.now += 1
    # The first miss was at 1000 and leaves the window at 1060; it is now 1005.
    assert throttle.retry_after_s("10.0.0.9", " OLGA ") == pytest.approx(55)
    clock.now = 1060.5
    assert throttle.retry_after_s("10.0.0.9", "olga") == 0


def test_many_names_from_one_address_are_blocked_by_address(clock: Clock) -> None:
    throttle = LoginThrottle(max_failures=3, window_s=60, clock=clock)
    for name in ("a", "b", "c"):
        throttle.record_failure("10.0.0.1", name)
    assert throttle.retry_after_s("10.0.0.1", "d") > 0
    assert throttle.retry_after_s("10.0.0.2", "d") == 0


def test_a_success_clears_its_names_misses_but_not_its_addresses(clock: Clock) -> None:
    throttle = LoginThrottle(max_failures=2, window_s=60, clock=clock)
    throttle.record_failure("10.0.0.1", "olga")
    throttle.record_failure("10.0.0.2", "olga")
    assert throttle.retry_after_s("10.0.0.3", "olga") > 0
    throttle.forget_name("olga")
    assert throttle.retry_after_s("10.0.0.3", "olga") == 0
    throttle.record_failure("10.0.0.1", "sam")
    assert throttle.retry_after_s("10.0.0.1", "olga") > 0


def test_stale_keys_are_swept_when_junk_names_pile_up(
    clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("citywatch.users.throttle.MAX_KEYS", 10)
    throttle = LoginThrottle(max_failures=5, window_s=60, clock=clock)
    for number in range(20):
        throttle.record_failure("10.0.0.1", f"junk-{number}")
    clock.now += 61
    throttle.record_failure("10.0.0.2", "late")
    assert len(throttle._failures) == 2  # only the late failure's address and name remain
