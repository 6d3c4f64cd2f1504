"""Two reviewers of one province decide the same cell at the same moment: exactly one wins (PostgreSQL)."""
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from sharing import services
from sharing.models import RecognitionDecision
from tests.sharing.factories import make_standard, propose


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_reviewers_deciding_the_same_cell_at_once_exactly_one_wins(staff_of, province):
    assert connection.vendor == "postgresql", "run with DATABASE_URL pointing at PostgreSQL (marker: postgres)"
    standard = make_standard("SH")
    propose(standard, "ZJ")
    zj = province("ZJ")
    reviewers = [staff_of("ZJ", "reviewer"), staff_of("ZJ", "reviewer")]
    barrier = threading.Barrier(2)
    results = []

    def decide(reviewer, outcome):
        try:
            barrier.wait()
            services.recognition_decide(actor=reviewer, standard_id=standard.pk, province_id=zj.pk, outcome=outcome,
                                        rationale="审查会决议", evidence_url="https://example.test/r")
            results.append("won")
        except ValidationError as exc:
            results.append(exc.messages[0])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=decide, args=(r, o)) for r, o in zip(reviewers, ["recognised", "declined"], strict=False)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("won") == 1
    assert any("另一位审查员" in r for r in results if r != "won")
    assert RecognitionDecision.objects.filter(standard=standard, province=zj).count() == 1
    assert RecognitionDecision.objects.filter(standard=standard, province=zj, is_current=True).count() == 1


@pytest.mark.django_db
def test_the_database_refuses_a_second_current_decision_for_a_cell(province):
    from django.db import IntegrityError

    standard = make_standard("SH")
    zj = province("ZJ")
    RecognitionDecision.objects.create(standard=standard, province=zj, outcome="recognised", rationale="r",
                                       is_final=True, is_current=True)
    with pytest.raises(IntegrityError):
        RecognitionDecision.objects.create(standard=standard, province=zj, outcome="declined", rationale="r",
                                           is_final=True, is_current=True)
