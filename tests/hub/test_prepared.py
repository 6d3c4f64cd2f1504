"""hub/db/prepared.py: statements compiled once by the ORM, run with the server's own placeholders (prepared on
PostgreSQL), answer as the ORM does."""
import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import F

from hub.db import prepared


def test_placeholders_are_numbered_and_escaped_percents_restored():
    assert prepared.numbered("SELECT %s, a LIKE '10%%' FROM t WHERE b = %s") == "SELECT $1, a LIKE '10%' FROM t WHERE b = $2"
    assert prepared.numbered("SELECT 1") == "SELECT 1"


def test_a_stray_percent_is_refused_not_sent():
    with pytest.raises(ValueError, match="unexpected %"):
        prepared.numbered("SELECT %d")


@pytest.mark.django_db
def test_a_compiled_orm_statement_answers_as_the_orm():
    """A statement whose SQL holds escaped percents (a LIKE on a column: the ORM writes '%%' patterns into it) and
    parameters: the same row either way, on both databases; on PostgreSQL through a prepared statement."""
    User = get_user_model()
    User.objects.create(username="甲方代表", first_name="甲方", last_name="测试")
    User.objects.create(username="乙方代表", first_name="丙", last_name="测试")
    query = User.objects.filter(username__startswith=F("first_name"), last_name="测试").values_list("username")
    sql, params = query.query.sql_with_params()
    assert "%%" in sql and params == ("测试",)
    assert prepared.fetch_one(connection, sql, list(params)) == ("甲方代表",) == tuple(query.get())
    assert prepared.fetch_one(connection, sql, ["无此人"]) is None  # rebound


@pytest.mark.django_db
def test_every_row_of_a_compiled_statement_in_the_orms_order():
    User = get_user_model()
    for name in ("丙", "甲", "乙"):
        User.objects.create(username=f"{name}代表", last_name="清单")
    query = User.objects.filter(last_name="清单").order_by("-username").values_list("username", "last_name")
    sql, params = query.query.sql_with_params()
    assert prepared.fetch_all(connection, sql, list(params)) == [tuple(row) for row in query]
    assert prepared.fetch_all(connection, sql, ["无此人"]) == []
