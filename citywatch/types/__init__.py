"""The vocabulary every stage speaks.

The flow is one-directional: ingest produces `Frame`s, detection produces `Faces`, the tracker fills
`Faces.track_ids`, the track book turns finished tracks into `Sighting`s, the matcher turns a
`Sighting` into `Match`es, and the store turns a `Match` into an `Alert`. Nothing else crosses a
module boundary: no tuples, no `dict[str, Any]`.

Conventions: boxes are `xyxy` pixels, landmarks are `(n, 5, 2)` pixels in the order right eye, left
eye (as seen in the image: image-left first), nose tip, right mouth corner, left mouth corner, the
order YuNet and the ArcFace template use. Embeddings are unit length; similarity is cosine.

The types live in small modules by subject (`vision`, `watchlists`, `cameras`, `accountability`,
`delivery`); import them from here.
"""

from __future__ import annotations

from citywatch.types.accountability import (
    ALERT_STATUSES,
    CASE_CATEGORIES,
    CASE_STATUSES,
    REQUIRED_CONFIRMATIONS,
    REVIEW_DECISIONS,
    ROLES,
    AuditEvent,
    AuditValue,
    Case,
    CaseScope,
    ChainReport,
    Checkpoint,
    RetentionReport,
    Review,
    TransparencyReport,
    User,
)
from citywatch.types.cameras import (
    HEALTH_STATES,
    Camera,
    CameraHealth,
    StreamProbe,
)
from citywatch.types.delivery import ALERT_EVENT_KINDS, AlertEvent, Delivery, Webhook
from citywatch.types.maps import CityMap, MapBounds
from citywatch.types.vision import (
    TIME_TOLERANCE_S,
    Comparison,
    Faces,
    FloatArray,
    Frame,
    Image,
    IntArray,
    ScanProgress,
    ScanSummary,
    Sighting,
)
from citywatch.types.watchlists import (
    DEFAULT_WATCHLIST_COLOUR,
    WATCHLIST_PRIORITIES,
    Alert,
    Gallery,
    ImportItem,
    ImportReport,
    Match,
    Person,
    PhotoEnrollment,
    UploadedPhoto,
    Watchlist,
)

__all__ = [
    "ALERT_EVENT_KINDS",
    "AlertEvent",
    "Delivery",
    "Webhook",
    "TIME_TOLERANCE_S",
    "RetentionReport",
    "TransparencyReport",
    "ALERT_STATUSES",
    "AuditEvent",
    "AuditValue",
    "CASE_CATEGORIES",
    "CASE_STATUSES",
    "Case",
    "CaseScope",
    "CityMap",
    "ChainReport",
    "Checkpoint",
    "REQUIRED_CONFIRMATIONS",
    "REVIEW_DECISIONS",
    "ROLES",
    "Review",
    "User",
    "Alert",
    "Camera",
    "CameraHealth",
    "Comparison",
    "Faces",
    "FloatArray",
    "Frame",
    "Gallery",
    "HEALTH_STATES",
    "Image",
    "ImportItem",
    "ImportReport",
    "IntArray",
    "MapBounds",
    "Match",
    "Person",
    "PhotoEnrollment",
    "ScanProgress",
    "ScanSummary",
    "Sighting",
    "StreamProbe",
    "UploadedPhoto",
    "DEFAULT_WATCHLIST_COLOUR",
    "WATCHLIST_PRIORITIES",
    "Watchlist",
]
