"""Demo evaluation programmes: a joint 长三角 QC成果 programme in review (a drawn panel with one recusal, scores in
progress and complete), a published Jiangsu brand programme with certificates, a Shanghai brand programme, and
recognition decisions between the two brand programmes. Applications carry a PDF report; the QC programme's
consensus session is a scheduled roundtable meeting of its panel. Accounts ``<code>-enterprise`` apply; ``<code>-expert``
accounts review."""
import datetime
from decimal import Decimal

from django.db.models import F
from django.utils import timezone

from expert_pool.models import Expert
from hub.demo import demo_username, ensure_user
from hub.models import Province
from sharing import evaluation_selectors as sel
from sharing import evaluations as svc
from sharing.models.evaluations import Application, Criterion, Enterprise, Programme, ResultLevel, ScoreSheet

ORDER = 60  # after the expert pool: panels are drawn from it

QC_CRITERIA = [  # (name, max points, descriptors)
    ("选题理由与现状调查", 15, "优秀：数据充分、问题明确\n良好：数据基本充分\n一般：数据不足"),
    ("目标设定与可行性", 10, "目标量化、依据充分"),
    ("原因分析与要因确认", 20, "因果分析完整，要因经现场验证"),
    ("对策实施", 20, "对策与要因对应，实施过程有记录"),
    ("效果检查与巩固", 20, "效果可量化，已纳入标准化"),
    ("成果发表", 15, "逻辑清晰、表达规范"),
]
BRAND_CRITERIA = [
    ("领导与战略", 120, ""), ("顾客与市场", 90, ""), ("资源", 130, ""), ("过程管理", 100, ""),
    ("测量、分析与改进", 80, ""), ("结果", 400, ""), ("质量诚信与社会责任", 80, ""),
]
ENTERPRISES = {  # province → (name, credit code)
    "SH": [("上海申江精密机械有限公司", "91310115MA1K4A1B2C"), ("上海浦江医疗器械股份有限公司", "91310000MA1FL2D3E4")],
    "JS": [("江苏常润电子科技有限公司", "91320412MA1MXB5F6G"), ("南通江海重工有限公司", "91320600MA1NY7H8J9")],
    "ZJ": [("浙江东阳新材料有限公司", "91330783MA2HK1L2M3"), ("宁波甬华汽车零部件有限公司", "91330201MA2CN4P5Q6")],
    "AH": [("安徽徽芯半导体有限公司", "91340100MA2T8R7T8U"), ("芜湖江城装备制造有限公司", "91340200MA2U1W2X3Y")],
    "JX": [("江西赣锋精工有限公司", "91360100MA35A4B5C6"), ("景德镇瓷都新材料有限公司", "91360200MA36D7E8F9")],
}


def _programme(lead, title, kind, criteria, levels, *, co=(), days_open=-40, **fields):
    now = timezone.now()
    start = now + datetime.timedelta(days=days_open)
    apply_closes = fields.pop("apply_closes", start + datetime.timedelta(days=20))
    review_closes = fields.pop("review_closes", start + datetime.timedelta(days=60))
    announce_closes = fields.pop("announce_closes", start + datetime.timedelta(days=70))
    moderator = ensure_user(demo_username(lead.code, "moderator"), first_name="")
    programme = svc.programme_create(
        actor=moderator, province=lead, co_organisers=co, title=title, kind=kind,
        summary=fields.pop("summary", ""), eligibility=fields.pop("eligibility", ""),
        apply_opens=start.date(), apply_closes=apply_closes,
        check_closes=(apply_closes + datetime.timedelta(days=5)).date(), review_closes=review_closes,
        announce_closes=announce_closes, publish_on=(announce_closes + datetime.timedelta(days=2)).date(), **fields)
    for order, (name, points, descriptors) in enumerate(criteria):
        Criterion.objects.create(programme=programme, order=order, name=name, max_points=points,
                                 descriptors=descriptors)
    for name, minimum, awarded in levels:
        ResultLevel.objects.create(programme=programme, name=name, min_total=minimum, awarded=awarded)
    return programme


def _enterprises():
    result = {}
    for code, rows in ENTERPRISES.items():
        province = Province.objects.get(code=code)
        for i, (name, credit) in enumerate(rows):
            username = demo_username(code, "enterprise") if i == 0 else f"{code.lower()}-enterprise{i + 1}"
            user = ensure_user(username, first_name=name)
            enterprise = Enterprise.objects.filter(user=user).first() or svc.enterprise_register(
                user=user, province=province, name=name, credit_code=credit, contact="质量部")
            staff = ensure_user(demo_username(code, "editor"), first_name="")
            svc.enterprise_confirm(actor=staff, enterprise_id=enterprise.pk)
            result.setdefault(code, []).append(Enterprise.objects.get(pk=enterprise.pk))
    # One account still waiting for its province's confirmation.
    waiting = ensure_user("zj-enterprise-new", first_name="杭州钱塘智能制造有限公司")
    if not hasattr(waiting, "enterprise"):
        svc.enterprise_register(user=waiting, province=Province.objects.get(code="ZJ"), name="杭州钱塘智能制造有限公司",
                                credit_code="91330100MA2J9K8L7M")
    return result


def _report(enterprise, title) -> bytes:
    """A one-page PDF achievement report (成果报告) in Chinese, as an applicant would upload."""
    import io

    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    from hub.pdf import cjk_font

    font = cjk_font()
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    page.setTitle(f"{title} · 成果报告")
    width, height = A4
    page.setFont(font, 18)
    page.drawCentredString(width / 2, height - 30 * mm, f"{title}成果报告")
    page.setFont(font, 12)
    for n, line in enumerate([f"申报单位：{enterprise.name}", "一、选题理由与现状调查", "二、原因分析与要因确认",
                              "三、对策实施", "四、效果检查与巩固（已纳入企业标准）"]):
        page.drawString(25 * mm, height - (50 + n * 10) * mm, line)
    page.showPage()
    page.save()
    return buffer.getvalue()


def _apply(enterprise, programme, title, *, submit=True):
    from django.core.files.uploadedfile import SimpleUploadedFile

    application = svc.application_save(actor=enterprise.user, programme_id=programme.pk, title=title,
                                       summary=f"{enterprise.name}围绕{title}开展攻关，关键质量特性提升明显，已纳入企业标准。")
    svc.attachment_add(actor=enterprise.user, application_id=application.pk, title=f"{title}成果报告",
                       file=SimpleUploadedFile(f"{title}成果报告.pdf", _report(enterprise, title),
                                               content_type="application/pdf"))
    if submit:
        # A past programme's applications were submitted before its deadline.
        when = min(timezone.now(), programme.apply_closes - datetime.timedelta(days=1))
        application = svc.application_submit(actor=enterprise.user, application_id=application.pk, now=when)
    return application


def _check(application, decision, reason=""):
    staff = ensure_user(demo_username(application.province.code, "editor"), first_name="")
    return svc.application_check(actor=staff, application_id=application.pk, decision=decision, reason=reason)


def _score(sheet, fraction, now=None):
    user = sheet.seat.expert.user
    svc.sheet_declare(actor=user, sheet_id=sheet.pk, conflict=False)
    criteria = sheet.application.programme.criteria.all()
    return svc.sheet_submit(actor=user, sheet_id=sheet.pk, now=now, scores={
        c.pk: (round(float(c.max_points) * fraction * 2) / 2, "材料完整，数据可信。") for c in criteria})


def _reviewers():
    """The panel is drawn from experts who can sign in: the demo accounts ``<code>-expert`` and a second expert
    per province, ``<code>-expert2``."""
    for province in Province.objects.filter(is_member=True):
        if Expert.objects.filter(user__username=demo_username(province.code, "expert2")).exists():
            continue
        second = Expert.objects.active().filter(province=province, user__isnull=True).order_by("pk").first()
        if second is not None:
            user = ensure_user(demo_username(province.code, "expert2"), first_name=second.name)
            Expert.objects.filter(pk=second.pk).update(user=user)


def _panel_accounts(programme) -> str:
    return "、".join(seat.expert.user.username for seat in programme.seats.select_related("expert__user"))


def seed(ctx):
    if Programme.objects.exists():
        ctx.say("evaluation programmes already present; left alone")
        return
    provinces = {p.code: p for p in Province.objects.filter(is_member=True)}
    enterprises = _enterprises()
    _reviewers()
    now = timezone.now()

    # 1. The joint QC programme, in review: panel drawn, one recusal, scores in progress and complete.
    qc = _programme(provinces["SH"], "2026年长三角QC小组成果联合评价", Programme.Kind.JOINT, QC_CRITERIA,
                    [("一等", 85, True), ("二等", 75, True), ("三等", 60, True), ("未获奖", 0, False)],
                    co=[provinces[c] for c in ("JS", "ZJ", "AH", "JX")], days_open=-30,
                    review_closes=now + datetime.timedelta(days=14), announce_closes=now + datetime.timedelta(days=24),
                    panel_size=5, reserves=2, cap_per_province=2, cap_per_employer=1, avoid_applicant_province=False,
                    aggregation=Programme.Aggregation.TRIMMED,
                    summary="五省市质量协会联合组织，统一评价准则、联合评审组，结果五省市互认。",
                    eligibility="在长三角及江西注册的企业，QC小组活动周期已结束且成果已在企业内发表。")
    Programme.objects.filter(pk=qc.pk).update(stage=Programme.Stage.OPEN)
    for code in ("JS", "ZJ", "AH", "JX"):
        Programme.objects.get(pk=qc.pk).signoffs.create(province=provinces[code])
    titles = ["降低焊缝返修率", "缩短换模时间", "提高一次交检合格率", "降低包装破损率", "减少设备非计划停机"]
    apps = []
    for i, rows in enumerate(enterprises.values()):
        apps.append(_apply(rows[0], qc, titles[i]))
        apps.append(_apply(rows[1], qc, titles[(i + 2) % 5] + "（二）", submit=(i != 4)))
    checked = [a for a in apps if a.status == Application.Status.SUBMITTED]
    _check(checked[0], "reject", "申报成果的活动周期未结束，不符合申报条件。")
    _check(checked[1], "return", "请补充效果检查阶段的数据和证明材料。")
    for application in checked[2:]:
        _check(application, "accept")
    Programme.objects.filter(pk=qc.pk).update(stage=Programme.Stage.CHECK)
    svc.panel_draw(actor=ensure_user(demo_username("SH", "coordinator"), first_name=""), programme_id=qc.pk,
                   seed=20261130)
    Programme.objects.filter(pk=qc.pk).update(stage=Programme.Stage.REVIEW)
    sheets = list(ScoreSheet.objects.filter(application__programme=qc).order_by("application", "seat__order"))
    svc.sheet_declare(actor=sheets[0].seat.expert.user, sheet_id=sheets[0].pk, conflict=True,
                      note="本人近三年曾为该企业提供质量管理咨询。")
    for n, sheet in enumerate(sheets[1:]):
        if sheet.application_id != sheets[-1].application_id and n % 3 != 2:
            _score(sheet, 0.7 + (n % 5) * 0.05)

    # The consensus session: reviewers who disagree widely meet as a roundtable meeting with live notes.
    flagged = [row for row in sel.progress(qc) if row.disagrees(qc.disagreement_points)]
    if not flagged:  # make one wide disagreement, as real panels have
        row = next(r for r in sel.progress(qc) if len(r.totals) >= 2)
        sheet = row.application.sheets.filter(status=ScoreSheet.Status.SUBMITTED).first()
        sheet.scores.update(points=F("points") * Decimal("0.6"))
    meeting = svc.consensus_session_schedule(
        actor=ensure_user(demo_username("SH", "moderator"), first_name=""), programme_id=qc.pk,
        starts_at=(now + datetime.timedelta(days=7)).replace(hour=9, minute=30, second=0, microsecond=0),
        place="上海市质量协会第一会议室", online_link="")

    # 2. A published Jiangsu brand programme with certificates.
    brand_js = _programme(provinces["JS"], "2026年度“江苏精品”认证评价", Programme.Kind.BRAND, BRAND_CRITERIA,
                          [("通过", 600, True), ("不通过", 0, False)], days_open=-120, panel_size=3, reserves=1,
                          cap_per_province=2, cap_per_employer=1,
                          summary="以卓越绩效评价准则为基础，评价企业的质量、品牌和诚信。")
    Programme.objects.filter(pk=brand_js.pk).update(stage=Programme.Stage.OPEN)
    brand_apps = [_apply(enterprises[c][1], brand_js, f"{enterprises[c][1].name}主导产品") for c in ("JS", "SH", "ZJ")]
    for application in brand_apps:
        _check(application, "accept")
    Programme.objects.filter(pk=brand_js.pk).update(stage=Programme.Stage.CHECK)
    svc.panel_draw(actor=ensure_user(demo_username("JS", "coordinator"), first_name=""), programme_id=brand_js.pk,
                   seed=2026)
    Programme.objects.filter(pk=brand_js.pk).update(stage=Programme.Stage.REVIEW)
    scored_on = brand_js.review_closes - datetime.timedelta(days=3)  # the past programme was scored in time
    for n, sheet in enumerate(ScoreSheet.objects.filter(application__programme=brand_js)):
        _score(sheet, 0.55 + (n % 4) * 0.08, now=scored_on)
    moderator_js = ensure_user(demo_username("JS", "moderator"), first_name="")
    svc.results_announce(actor=moderator_js, programme_id=brand_js.pk)
    svc.results_publish(actor=moderator_js, programme_id=brand_js.pk, now=brand_js.announce_closes)

    # 3. Shanghai's own brand programme (open), and recognition decisions between the two brands.
    brand_sh = _programme(provinces["SH"], "2026年“上海品牌”认证评价", Programme.Kind.BRAND, BRAND_CRITERIA,
                          [("通过", 600, True), ("不通过", 0, False)], days_open=-5,
                          apply_closes=now + datetime.timedelta(days=20),
                          review_closes=now + datetime.timedelta(days=60),
                          announce_closes=now + datetime.timedelta(days=70))
    Programme.objects.filter(pk=brand_sh.pk).update(stage=Programme.Stage.OPEN)
    # One application submitted and waiting for its home province's 形式审查 (ah-editor, /evaluations/check/).
    _apply(enterprises["AH"][0], brand_sh, f"{enterprises['AH'][0].name}主导产品")
    svc.recognition_decide(actor=ensure_user(demo_username("SH", "reviewer"), first_name=""), programme_id=brand_js.pk,
                           province=provinces["SH"], outcome="equivalent", equivalent_to_id=brand_sh.pk,
                           rationale="两项评价均以卓越绩效评价准则为基础，评价程序和通过分数线一致。")
    svc.recognition_decide(actor=ensure_user(demo_username("ZJ", "reviewer"), first_name=""), programme_id=brand_js.pk,
                           province=provinces["ZJ"], outcome="conditional", conditions="证书须在有效期内，且近一年无重大质量事故。",
                           rationale="评价准则基本一致，现场评价环节略有差异。")
    ctx.say(f"evaluation programmes: 3, applications: {Application.objects.count()}; <code>-enterprise accounts "
            f"apply; reviewers on the QC panel: {_panel_accounts(qc)}; consensus session: meeting {meeting.pk}")
