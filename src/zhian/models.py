"""Every table of zhian, imported in one place for migrations and tests."""

from __future__ import annotations

from zhian.core.audit import models as audit_models
from zhian.core.bus import models as bus_models
from zhian.core.db import Base
from zhian.core.identity import models as identity_models
from zhian.domains.firearms import models as firearm_models
from zhian.domains.hazmat import models as hazmat_models
from zhian.domains.incidents import models as incident_models
from zhian.domains.places import models as places_models
from zhian.domains.places.imports import models as import_models
from zhian.domains.places.registry import models as registry_models
from zhian.domains.transport import models as transport_models

metadata = Base.metadata

__all__ = [
    "audit_models",
    "bus_models",
    "firearm_models",
    "hazmat_models",
    "identity_models",
    "import_models",
    "incident_models",
    "metadata",
    "places_models",
    "registry_models",
    "transport_models",
]
