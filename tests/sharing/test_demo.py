"""seed_demo fills the registry with a realistic mix."""
import io
from collections import Counter

import pytest
from django.core.management import call_command

from sharing import selectors
from sharing.models import GroupStandard, RecognitionDecision, StandardComment
from sharing.models.standards import Status


@pytest.mark.django_db
@pytest.mark.slow
def test_seed_demo_adds_a_realistic_registry(demo_db):
    assert 55 <= GroupStandard.objects.count() <= 70
    assert set(GroupStandard.objects.values_list("province__code", flat=True)) == {"SH", "JS", "ZJ", "AH", "JX"}
    statuses = Counter(GroupStandard.objects.values_list("status", flat=True))
    assert statuses[Status.COMMENT] == 1 and all(statuses[s] for s in Status.values)
    states = Counter(c.state.key for row in selectors.matrix({})["rows"] for c in row.cells)
    assert all(states[k] for k in ("recognised", "conditional", "declined", "pending", "lapsed"))
    assert selectors.region_wide_count() > 0
    assert RecognitionDecision.objects.filter(is_current=False, is_final=True).exists()  # a superseded one
    assert RecognitionDecision.objects.filter(is_final=False).exists()  # a draft
    assert StandardComment.objects.exclude(disposition="").count() >= 3
    # Evaluations: applications in every state with reports attached, a recusal, a consensus session held as a
    # roundtable meeting of the panel, published certificates and recognition decisions.
    from sharing.models.evaluations import Application, ApplicationAttachment, Programme, Result, ResultRecognition

    assert set(Application.objects.values_list("status", flat=True)) == set(Application.Status.values)
    assert ApplicationAttachment.objects.count() == Application.objects.count()
    qc = Programme.objects.get(kind=Programme.Kind.JOINT)
    assert qc.consensus_meeting is not None and qc.consensus_meeting.participants.count() >= 5
    assert qc.applications.filter(sheets__status="recused").exists()
    assert Result.objects.filter(status="published", level__awarded=True).exists()
    assert ResultRecognition.objects.filter(is_current=True).count() == 2
    call_command("seed_demo", "--if-empty", stdout=io.StringIO())
