"""StreamClock: timestamps follow the stream's presentation times, on the server's clock."""

from __future__ import annotations

import pytest

from citywatch.ingest.stream import MAX_CLOCK_DRIFT_S, StreamClock


def stamps(clock: StreamClock, pts: list[float | None], now_s: float = 100.0) -> list[float]:
    return [round(clock.stamp(value, now_s + 0.04 * index), 6) for index, value in enumerate(pts)]


def test_a_pass_starts_at_the_server_clock_and_follows_presentation_times() -> None:
    clock = StreamClock(server_clock=True)
    assert stamps(clock, [5.0, 5.04, 5.08, 5.2]) == [100.0, 100.04, 100.08, 100.2]
    assert clock.resets == 0


def test_frames_without_timestamps_are_one_period_apart_then_the_stream_takes_over() -> None:
    # FFmpeg gives the first RTSP frame no timestamp; the next one carries the stream's pts.
    clock = StreamClock(server_clock=True, period_s=0.04)
    assert stamps(clock, [None, 0.12, 0.16, 0.2]) == [100.0, 100.04, 100.08, 100.12]


def test_a_file_on_its_own_clock_starts_at_zero_and_replays_after_its_last_packet() -> None:
    clock = StreamClock(server_clock=False, period_s=0.04)
    assert stamps(clock, [0.0, 0.04, 0.08]) == [0.0, 0.04, 0.08]
    clock.packet_end(0.12)
    clock.new_pass()
    assert stamps(clock, [0.0, 0.04]) == [0.12, 0.16]


def test_timestamps_never_go_backwards() -> None:
    clock = StreamClock(server_clock=False)
    assert stamps(clock, [1.0, 1.2, 1.1, 1.3]) == [0.0, 0.2, 0.2, 0.3]


@pytest.mark.parametrize("jump_s", [MAX_CLOCK_DRIFT_S + 1, -(MAX_CLOCK_DRIFT_S + 1)])
def test_a_camera_clock_jump_re_anchors_on_the_server_clock_and_is_counted(jump_s: float) -> None:
    clock = StreamClock(server_clock=True)
    assert clock.stamp(50.0, 100.0) == 100.0
    assert clock.stamp(50.0 + jump_s, 100.04) == pytest.approx(100.04)
    assert clock.stamp(50.04 + jump_s, 100.08) == pytest.approx(100.08)
    assert clock.resets == 1


def test_a_consumer_far_behind_real_time_re_anchors_and_says_so() -> None:
    clock = StreamClock(server_clock=True)
    clock.stamp(0.0, 0.0)
    assert clock.stamp(1.0, 1.0 + MAX_CLOCK_DRIFT_S / 2) == 1.0  # behind, within the allowance
    assert clock.resets == 0
    assert clock.stamp(2.0, 2.0 + MAX_CLOCK_DRIFT_S * 2) == 2.0 + MAX_CLOCK_DRIFT_S * 2
    assert clock.resets == 1


def test_frames_stamped_by_arrival_follow_the_server_clock_and_never_go_back() -> None:
    clock = StreamClock(server_clock=True)
    assert [clock.arrival(now) for now in (5.0, 5.1, 5.05, 5.3)] == [5.0, 5.1, 5.1, 5.3]


def test_a_pass_is_timed_from_its_first_frame_with_a_presentation_time() -> None:
    clock = StreamClock(server_clock=True)
    assert not clock.timed
    clock.stamp(0.12, 100.0)
    assert clock.timed
    clock.new_pass()
    assert not clock.timed
