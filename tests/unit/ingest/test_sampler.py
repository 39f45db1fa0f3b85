"""FrameSampler keeps frames by timestamp, at most `fps` per second."""

from __future__ import annotations

import pytest

from citywatch.ingest.video import FrameSampler


def _kept(sampler: FrameSampler, timestamps_s: list[float]) -> list[float]:
    return [t for t in timestamps_s if sampler.keep(t)]


def test_zero_fps_keeps_every_frame() -> None:
    timestamps_s = [0.0, 0.001, 0.002, 0.5, 0.5, 7.0]

    assert _kept(FrameSampler(0), timestamps_s) == timestamps_s


@pytest.mark.parametrize(
    ("source_fps", "fps", "step"), [(25, 5, 5), (25, 1, 25), (30, 10, 3), (30, 15, 2), (10, 10, 1)]
)
def test_constant_rate_keeps_every_nth_frame(source_fps: int, fps: float, step: int) -> None:
    timestamps_s = [index / source_fps for index in range(source_fps * 4)]

    kept = _kept(FrameSampler(fps), timestamps_s)

    assert kept == timestamps_s[::step]


def test_sampling_faster_than_the_source_keeps_every_frame() -> None:
    timestamps_s = [index / 5 for index in range(20)]

    assert _kept(FrameSampler(25), timestamps_s) == timestamps_s


def test_irregular_timestamps_are_kept_by_time_not_by_count() -> None:
    # Bursts and gaps, as a variable-frame-rate phone video gives them; at 2 fps a frame is due
    # every 0.5 s, counted from the last due time.
    timestamps_s = [0.0, 0.1, 0.2, 0.49, 0.52, 0.6, 0.9, 1.0, 2.7, 2.8, 3.0, 3.2, 3.25]

    kept = _kept(FrameSampler(2), timestamps_s)

    assert kept == [0.0, 0.52, 1.0, 2.7, 3.2]


def test_a_long_gap_does_not_cause_a_burst_of_kept_frames() -> None:
    sampler = FrameSampler(5)
    timestamps_s = [0.0, 10.0, 10.04, 10.08, 10.12, 10.16, 10.2]

    assert _kept(sampler, timestamps_s) == [0.0, 10.0, 10.2]


def test_first_frame_is_always_kept_whatever_its_time() -> None:
    assert FrameSampler(1).keep(123.456)


def test_sampler_does_not_drift_over_a_long_video() -> None:
    timestamps_s = [index / 30 for index in range(30 * 600)]

    kept = _kept(FrameSampler(3), timestamps_s)

    assert len(kept) == 3 * 600


@pytest.mark.parametrize("fps", [-1.0, -0.001])
def test_negative_fps_is_refused(fps: float) -> None:
    with pytest.raises(ValueError, match="fps must be >= 0"):
        FrameSampler(fps)
