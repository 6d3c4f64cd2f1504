"""Shared achievements' adoption records, group standards and mutual recognition."""
from sharing.models.adoption import Adoption  # noqa: F401
from sharing.models.evaluations import (  # noqa: F401
    Application,
    ApplicationAttachment,
    Criterion,
    Enterprise,
    Objection,
    PanelDraw,
    Programme,
    Result,
    ResultLevel,
    ResultRecognition,
    Score,
    ScoreSheet,
    Seat,
    Signoff,
)
from sharing.models.standards import (  # noqa: F401
    GroupStandard,
    ProvinceApprovalTask,
    RecognitionDecision,
    RecognitionProposal,
    StandardComment,
)
