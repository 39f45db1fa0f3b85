"""The composition root: `build_services(settings)` builds the one `Services` object that the CLI,
the API and the runtime all call, so they never diverge.

`Services` is assembled from one class per subject (accounts, cases and watchlists, enrolment,
faces, cameras, the city map, pictures with bystanders blurred, alerts, oversight, settings), all on
`ServiceBase`, which holds the settings, the store, the acting user, the authorization check and
the audited transaction.
"""

from __future__ import annotations

from citywatch.config import Settings
from citywatch.services.accounts import AccountServices
from citywatch.services.alerting import AlertServices
from citywatch.services.cameras import CameraAdded, CameraServices, CamerasStatus
from citywatch.services.citymap import MapServices
from citywatch.services.configuration import ConfigServices
from citywatch.services.enrolment import EnrolmentServices
from citywatch.services.faces import FaceServices, ScanSource
from citywatch.services.oversight import OversightServices
from citywatch.services.snapshots import SnapshotServices


class Services(
    AccountServices,
    FaceServices,
    EnrolmentServices,
    CameraServices,
    MapServices,
    SnapshotServices,
    AlertServices,
    OversightServices,
    ConfigServices,
):
    """Everything citywatch does, as the acting user (`actor`), checked and audited."""


def build_services(settings: Settings) -> Services:
    return Services(settings)


__all__ = ["CameraAdded", "CamerasStatus", "ScanSource", "Services", "build_services"]
