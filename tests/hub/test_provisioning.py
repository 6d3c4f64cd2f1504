"""setup_roundtable: idempotent, provisions provinces added later, and says clearly when a code is unknown."""
import io

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError
from guardian.shortcuts import get_perms
from wagtail.models import GroupCollectionPermission, GroupPagePermission

from hub.models import Association, Province
from hub.roles import ROLES, group_name
from hub.services.provisioning import province_collection


def run(*args):
    out = io.StringIO()
    call_command("setup_roundtable", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_a_second_run_creates_nothing():
    counts = (Group.objects.count(), GroupPagePermission.objects.count(), GroupCollectionPermission.objects.count())
    output = run()
    assert output.strip().endswith("already there.")
    assert output.splitlines()[-1].startswith("0 created")
    assert counts == (Group.objects.count(), GroupPagePermission.objects.count(),
                      GroupCollectionPermission.objects.count())


@pytest.mark.django_db
def test_a_province_added_later_is_provisioned_by_running_it_again():
    fj = Province.objects.create(code="FJ", name_zh="福建", name_en="Fujian", order=60)
    Association.objects.create(province=fj, name_zh="福建省质量协会", name_en="Fujian Quality Association",
                               standards_code="FJAQ")
    output = run("fj")
    assert "created   group FJ editors" in output
    for role in ROLES:
        group = Group.objects.get(name=group_name("FJ", role))
        assert set(get_perms(group, fj)) == {f"{action}_province_data" for action in role.actions}
    section = Province.objects.get(code="FJ").section_page
    assert section.live and section.get_parent().specific_class.__name__ == "HomePage"
    assert GroupPagePermission.objects.filter(page=section, group__name="FJ editors").exists()
    assert GroupCollectionPermission.objects.filter(collection=province_collection(fj), group__name="FJ editors").exists()
    assert "participate_province_data" in get_perms(Group.objects.get(name="Roundtable secretariat"), fj)
    assert run().splitlines()[-1].startswith("0 created")


@pytest.mark.django_db
def test_an_unknown_code_stops_with_a_clear_message():
    with pytest.raises(CommandError, match="Unknown province code: XX"):
        run("sh", "xx")
    assert not Group.objects.filter(name__startswith="XX ").exists()


@pytest.mark.django_db(transaction=True)  # the command runs in another process: it must see committed rows
def test_an_unknown_code_exits_non_zero(tmp_path):
    import os
    import subprocess
    import sys
    from urllib.parse import quote

    from django.db import connection

    db = connection.settings_dict
    if connection.vendor == "postgresql":
        # The provisioned test database itself (migrating a fresh one costs a minute and more on this machine).
        credentials = quote(db["USER"] or "", safe="") + (f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else "")
        database_url = f"postgres://{credentials}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"
        env = {**os.environ, "DATABASE_URL": database_url}
    else:  # an in-memory test database is not reachable from another process: migrate a file of its own
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'probe.sqlite3'}"}
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], env=env, check=True, capture_output=True)
    groups = Group.objects.count()
    result = subprocess.run([sys.executable, "manage.py", "setup_roundtable", "XX"], env=env, capture_output=True, check=False,
                            text=True)
    assert result.returncode != 0
    assert "Unknown province code: XX" in result.stderr
    assert Group.objects.count() == groups and not Group.objects.filter(name__startswith="XX ").exists()
