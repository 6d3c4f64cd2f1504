"""Demo content of the site: the home page, each province's section and contact details, and general pages.

Runs after the core's accounts (ORDER 20); every page is owned by a demo account. Safe to run again: existing
pages are updated, not duplicated. Contact details are fictional (e-mail at the .invalid domain).
"""
import json

from django.contrib.auth import get_user_model

from cms.models import HomePage, ProvinceSectionPage
from hub.models import Association

ORDER = 20

HOME_INTRO = (
    "<p>长三角地区质协负责人圆桌会议由上海、江苏、浙江、安徽、江西五省市质量协会共同发起，"
    "按照“政府指导、社团协作、企业互动”的思路，围绕质量创新成果分享、质量专业人才共享、"
    "质量团体标准互认和质量评价认证协同四项机制开展合作，并联动举办质量月等群众性质量活动。</p>"
)
HOME_BODY = [
    ("heading", "2026 年重点工作"),
    ("paragraph", ("<p>今年圆桌会议轮值由上海市质量协会承办。重点推进三件事：一是建成五省市共享的专家库，"
                  "评审专家可跨省借用、随机抽取并执行回避规则；二是对各协会发布的团体标准逐项开展互认审查，"
                  "年内完成首批互认清单；三是在九月质量月期间联合举办“长三角质量大讲堂”巡回活动。</p>")),
]

SECTION_INTROS = {
    "SH": "上海市质量协会发布的活动、成果与团体标准。我会承担 2026 年圆桌会议轮值工作，牵头质量月联合活动。",
    "JS": "江苏省质量协会的工作动态。我会 QC 小组活动覆盖面广，欢迎兄弟协会交流 QC 小组成果与专家资源。",
    "ZJ": "浙江省质量协会的工作动态。我会在卓越绩效模式推广和“品字标”团体标准方面积累了较多实践。",
    "AH": "安徽省质量协会的工作动态。我会致力于制造业质量提升，欢迎各地专家参与质量奖评审。",
    "JX": "江西省质量协会的工作动态。我会积极参与长三角质量合作，推动团体标准互认和质量人才交流。",
}

CONTACTS = {
    "SH": ("021-5555 0101", "上海市徐汇区示例路 100 号质量大厦 8 楼", "https://sh-quality.example"),
    "JS": ("025-5555 0202", "南京市鼓楼区示例大街 200 号 5 楼", "https://js-quality.example"),
    "ZJ": ("0571-5555 0303", "杭州市西湖区示例路 300 号 12 楼", "https://zj-quality.example"),
    "AH": ("0551-5555 0404", "合肥市蜀山区示例路 400 号 3 楼", "https://ah-quality.example"),
    "JX": ("0791-5555 0505", "南昌市东湖区示例路 500 号 6 楼", "https://jx-quality.example"),
}

GENERAL_PAGES = [
    {
        "slug": "about", "title": "关于圆桌会议", "owner": "secretariat",
        "search_description": "长三角五省市质量协会负责人圆桌会议的由来、成员与工作方式。",
        "intro": "<p>圆桌会议是五省市质量协会负责人定期会商的合作平台，轮值协会负责召集会议、跟踪议定事项。</p>",
        "body": [
            ("heading", "由来"),
            ("paragraph", ("<p>2020 年，上海市质量协会提出建立长三角地区质协负责人圆桌会议，"
                          "得到江苏、浙江、安徽、江西四省质量协会的积极响应。圆桌会议每年至少召开两次，"
                          "由各协会轮流承办，会议纪要在平台上共同编辑、议定事项逐项跟踪。</p>")),
            ("heading", "成员"),
            ("paragraph", ("<ul><li>上海市质量协会</li><li>江苏省质量协会</li><li>浙江省质量协会</li>"
                          "<li>安徽省质量协会</li><li>江西省质量协会</li></ul>")),
            ("callout", {"title": "联系秘书处", "text": "<p>秘书处设在轮值协会，邮箱 secretariat@roundtable.invalid。</p>"}),
        ],
    },
    {
        "slug": "mechanisms", "title": "合作机制", "owner": "secretariat",
        "search_description": "质量创新成果分享、质量专业人才共享、质量团体标准互认、质量评价认证协同。",
        "intro": "<p>四项合作机制把各协会的成果、专家和标准连成一张网，让企业在区域内少跑路、多受益。</p>",
        "body": [
            ("heading", "质量创新成果分享"),
            ("paragraph", ("<p>QC 小组成果、质量改进项目、卓越绩效实践、精益与六西格玛项目、现场管理案例，"
                          "由发布协会上传，其他协会阅读、借鉴并反馈推广应用情况。</p>")),
            ("heading", "质量专业人才共享"),
            ("paragraph", ("<p>各协会建立专家库并向区域开放。专家可担任质量奖评审、QC 成果发表评委、培训讲师和企业诊断专家；"
                          "评审组通过有记录的随机抽取产生，并执行回避规则。</p>")),
            ("heading", "质量团体标准互认"),
            ("paragraph", ("<p>各协会发布的团体标准（编号如 T/SHAQ 1—2024）由其他协会逐项审查并作出互认决定；"
                          "全部成员均认可的团体标准在区域内通行。</p>")),
            ("heading", "质量评价认证协同"),
            ("paragraph", "<p>联合组建评审组、共享评价准则，在专家抽取、互认决定和评价结果采信上协同一致。</p>"),
        ],
    },
    {
        "slug": "quality-month-2026", "title": "2026 年长三角质量月联合活动方案", "owner": "sh-editor",
        "search_description": "九月质量月期间五省市联合举办质量大讲堂、QC 成果交流和专家进企业活动。",
        "intro": "<p>今年九月是第 49 个全国质量月。五省市质量协会将联合开展系列活动，欢迎会员企业报名参加。</p>",
        "body": [
            ("heading", "活动安排"),
            ("table", [["时间", "活动", "牵头协会"], ["9 月 5 日", "质量月启动暨长三角质量大讲堂（上海站）", "上海市质量协会"],
                       ["9 月 12 日", "QC 小组成果跨省交流会", "江苏省质量协会"],
                       ["9 月 19 日", "团体标准互认工作研讨会", "浙江省质量协会"],
                       ["9 月 26 日", "质量专家进企业诊断服务", "安徽省质量协会、江西省质量协会"]]),
            ("paragraph", "<p>各场活动均可在线报名。专家进企业诊断服务由共享专家库随机抽取专家，企业可提前提交诊断需求。</p>"),
        ],
    },
    {
        "slug": "expert-pool-rules", "title": "共享专家库管理办法（试行）", "owner": "js-editor",
        "search_description": "专家入库条件、跨省借用流程、随机抽取与回避规则。",
        "intro": "<p>为规范长三角共享专家库的建设与使用，五省市质量协会共同制定本办法。</p>",
        "body": [
            ("heading", "入库条件"),
            ("paragraph", ("<p>具有质量管理相关专业背景，从事质量工作八年以上，熟悉卓越绩效、QC 小组或团体标准工作的专家，"
                          "经所在协会推荐后入库。</p>")),
            ("heading", "借用与抽取"),
            ("paragraph", ("<p>协会需要外省专家时，向专家所在协会提出借用申请；评审专家一律随机抽取，"
                          "与被评对象同单位、存在申报关系或近期已参与评审的专家自动回避。</p>")),
        ],
    },
]


def _stream(blocks):
    return json.dumps([{"type": kind, "value": value} for kind, value in blocks])


def _owner(username):
    return get_user_model().objects.filter(username=username).first()


def _publish(page, owner):
    page.owner = owner
    page.save_revision(user=owner).publish()


def seed(ctx):
    from cms.models import ContentPage

    home = HomePage.objects.get(locale__language_code="zh-hans")
    home.intro = HOME_INTRO
    home.body = _stream(HOME_BODY)
    _publish(home, _owner("secretariat"))

    for association in Association.objects.select_related("province"):
        code = association.province.code
        phone, address, website = CONTACTS.get(code, ("", "", ""))
        association.phone, association.address, association.website = phone, address, website
        association.email = f"contact@{code.lower()}-quality.invalid"
        association.full_clean()
        association.save()
        section = ProvinceSectionPage.objects.filter(province=association.province).first()
        if section and code in SECTION_INTROS:
            section.intro = f"<p>{SECTION_INTROS[code]}</p>"
            _publish(section, _owner(f"{code.lower()}-editor"))

    parents = {"secretariat": home}
    for spec in GENERAL_PAGES:
        owner = _owner(spec["owner"])
        parent = parents.get(spec["owner"]) or ProvinceSectionPage.objects.get(
            province__code=spec["owner"].split("-")[0].upper())
        page = ContentPage.objects.child_of(parent).filter(slug=spec["slug"]).first()
        if page is None:
            page = ContentPage(slug=spec["slug"], title=spec["title"])
            parent.add_child(instance=page)
        page.title, page.search_description = spec["title"], spec["search_description"]
        page.intro, page.body = spec["intro"], _stream(spec["body"])
        _publish(page, owner)
    ctx.say(f"home page, {len(SECTION_INTROS)} section intros, association contacts, {len(GENERAL_PAGES)} general pages")


def demo_page_titles() -> list[str]:
    return [spec["title"] for spec in GENERAL_PAGES]

