"""Demo data of the roundtable core: one account per role per province and a secretariat account.

seed_demo runs every app's ``demo.seed(ctx)`` in ``DEMO_ORDER``; each app adds its own content. Demo accounts
share one password and an e-mail domain that marks them as demo data.
"""
from functools import lru_cache

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group

from hub.models import Province
from hub.roles import ROLES, SECRETARIAT_GROUP, group_name

DEMO_PASSWORD = "demo-roundtable-2026"
DEMO_EMAIL_DOMAIN = "demo.roundtable.invalid"
ORDER = 10

SURNAMES = {"SH": "沈", "JS": "蒋", "ZJ": "钟", "AH": "安", "JX": "江"}
ROLE_GIVEN = {"editor": "编辑", "moderator": "审核", "reviewer": "审查", "coordinator": "协调", "member": "委员"}


def demo_username(code: str, role_slug: str) -> str:
    return f"{code.lower()}-{role_slug}"


@lru_cache(maxsize=2)
def _demo_password_hash(hasher: str) -> str:
    """One hash of the shared demo password for every demo account: key stretching costs about 0.4 s per hash, 20 s
    of the first ``make run`` for the 48 accounts, and a password printed in the README gains nothing from its own
    salt per account."""
    return make_password(DEMO_PASSWORD)


def ensure_user(username: str, *, first_name: str, last_name: str = "", groups=(), is_superuser=False):
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=username,
        defaults={"email": f"{username}@{DEMO_EMAIL_DOMAIN}", "first_name": first_name, "last_name": last_name,
                  "is_superuser": is_superuser, "is_staff": is_superuser},
    )
    if created:
        user.password = _demo_password_hash(settings.PASSWORD_HASHERS[0])
        user.save(update_fields=["password"])
    if groups:
        user.groups.add(*groups)
    return user


def seed(ctx):
    for province in Province.objects.ordered():
        for role in ROLES:
            group = Group.objects.get(name=group_name(province.code, role))
            ensure_user(demo_username(province.code, role.slug),
                        first_name=f"{SURNAMES.get(province.code, '')}{ROLE_GIVEN[role.slug]}",
                        last_name=f"（{province.name_zh}）", groups=[group])
    ensure_user("secretariat", first_name="秘书处", groups=[Group.objects.get(name=SECRETARIAT_GROUP)])
    ensure_user("admin", first_name="系统管理员", is_superuser=True)
    ctx.say("demo accounts: <code>-editor/-moderator/-reviewer/-coordinator/-member, secretariat, admin")
    from hub.accounts.demo import seed_lockouts
    from hub.meetings.demo import seed_meetings

    seed_meetings(ctx)
    seed_lockouts(ctx)


def is_demo_user(user) -> bool:
    return user.email.endswith("@" + DEMO_EMAIL_DOMAIN)
