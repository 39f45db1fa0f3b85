"""Still images are one-frame sources: a face seen once must still become a sighting."""

from __future__ import annotations

from pathlib import Path

from .conftest import CASE, GROUP_PHOTO, PAUL_RUDD, CitywatchCli


def test_scanning_stills_alerts_on_the_enrolled_face_only(
    citywatch: CitywatchCli, data_dir: Path
) -> None:
    assert citywatch.run("watchlist", "create", "stills", "--case", CASE).exit_code == 0
    enrolled = citywatch.run(
        "enroll", "--watchlist", "stills", "--person", "Paul Rudd", data_dir / PAUL_RUDD
    )
    assert enrolled.exit_code == 0

    result, lines = citywatch.json(
        "scan", data_dir / PAUL_RUDD, data_dir / GROUP_PHOTO, "--case", CASE, "--json"
    )

    assert result.exit_code == 0, result.stderr
    alerts = [line for line in lines if line["event"] == "alert"]
    summary = lines[-1]
    assert [a["person"] for a in alerts] == ["Paul Rudd"]
    assert alerts[0]["camera"] == "1.jpg"
    assert alerts[0]["first_seen_s"] == alerts[0]["last_seen_s"] == 0.0
    assert alerts[0]["similarity"] > 0.95  # the very photo that was enrolled
    # Six strangers in the group photo plus Paul Rudd: seven sightings, one frame each.
    assert summary["event"] == "summary"
    assert summary["frames"] == 2
    assert summary["sightings"] == 7
    assert summary["alerts"] == 1
