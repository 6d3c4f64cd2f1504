from sharing.models.standards import (  # noqa: F401
    GroupStandard,
    ProvinceApprovalTask,
    RecognitionDecision,
    RecognitionProposal,
    StandardComment,
)
