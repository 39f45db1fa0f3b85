"""One alert per person per camera per pass: later tracks of the pass extend the first alert."""

from __future__ import annotations

import pytest

from citywatch.alerts.dedup import AlertDeduplicator


@pytest.fixture
def dedup() -> AlertDeduplicator:
    deduplicator = AlertDeduplicator(cooldown_s=30.0)
    deduplicator.remember("door-1", 7, alert_id=101, last_seen_s=100.0)
    return deduplicator


def test_nothing_remembered_means_a_new_alert() -> None:
    assert AlertDeduplicator(30.0).existing("door-1", 7, 5.0) is None


@pytest.mark.parametrize("first_seen_s", [90.0, 100.0, 112.5, 130.0])
def test_the_same_person_on_the_same_camera_within_the_cooldown_continues_the_alert(
    dedup: AlertDeduplicator, first_seen_s: float
) -> None:
    assert dedup.existing("door-1", 7, first_seen_s) == 101


def test_after_the_cooldown_the_person_gets_a_new_alert(dedup: AlertDeduplicator) -> None:
    assert dedup.existing("door-1", 7, 130.5) is None


@pytest.mark.parametrize(("camera_id", "person_id"), [("door-2", 7), ("door-1", 8)])
def test_another_camera_or_another_person_gets_its_own_alert(
    dedup: AlertDeduplicator, camera_id: str, person_id: int
) -> None:
    assert dedup.existing(camera_id, person_id, 101.0) is None


def test_extending_an_alert_moves_the_cooldown_with_the_pass(dedup: AlertDeduplicator) -> None:
    dedup.remember("door-1", 7, alert_id=101, last_seen_s=125.0)
    dedup.remember("door-1", 7, alert_id=101, last_seen_s=110.0)  # an older track, late

    assert dedup.existing("door-1", 7, 150.0) == 101  # 25 s after 125 s
    assert dedup.existing("door-1", 7, 155.5) is None


def test_a_new_alert_replaces_the_remembered_one(dedup: AlertDeduplicator) -> None:
    dedup.remember("door-1", 7, alert_id=202, last_seen_s=200.0)

    assert dedup.existing("door-1", 7, 210.0) == 202


def test_a_cooldown_of_zero_disables_deduplication() -> None:
    dedup = AlertDeduplicator(cooldown_s=0)
    dedup.remember("door-1", 7, alert_id=101, last_seen_s=100.0)

    assert dedup.existing("door-1", 7, 100.0) is None
    assert dedup.existing("door-1", 7, 100.5) is None


def test_the_interim_and_final_sightings_of_one_track_make_one_alert_even_without_cooldown() -> (
    None
):
    dedup = AlertDeduplicator(cooldown_s=0.0)
    dedup.remember("door-1", 7, alert_id=5, last_seen_s=4.0, track=("run-1", 3))

    assert dedup.existing("door-1", 7, 0.0, track=("run-1", 3)) == 5
    assert dedup.existing("door-1", 7, 0.0, track=("run-1", 4)) is None  # another pass
    assert dedup.existing("door-1", 8, 0.0, track=("run-1", 3)) is None  # another person
