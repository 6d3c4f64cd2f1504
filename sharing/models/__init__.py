from sharing.models.standards import (  # noqa: F401
    GroupStandard,
    RecognitionDecision,
    RecognitionProposal,
    StandardComment,
)
