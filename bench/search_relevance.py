"""Held-out relevance of the site search: a small judged collection of pages and queries typical of the hub's users,
written apart from the tests the ranking was tuned on (tests/hub/test_search_results.py) and never used to tune it.

Metrics over the pages group of the site search (hub.selectors.search_pages, phrase matches first) and, as the
anchor of the same run, Wagtail's plain database search over the same pages: nDCG@10 (graded: 2 = about the query,
1 = mentions it, 0 = unjudged or not relevant) and MRR (rank of the first page graded 2).

    python bench/search_relevance.py          # a throwaway SQLite database unless DATABASE_URL is set

tests/hub/test_search_relevance.py runs the same measurement on PostgreSQL and asserts a floor.
"""
from __future__ import annotations

import math
import os
import sys
from pathlib import Path

#: (slug, province code, title, text). Realistic notices, reports and rules, some on a query's topic, some only
#: sharing its words (QC and 小组 apart, 标准 without 互认), some unrelated.
PAGES = [
    ("qc-js-release", "JS", "江苏省QC小组成果发表赛结果公布", "本届QC小组成果发表赛共有86个小组参赛，评出一等奖12项。"),
    ("qc-sh-guide", "SH", "QC小组活动实施指南（2026版）", "指导企业按照PDCA循环开展QC小组活动，规范选题、现状调查、原因分析和效果检查。"),
    ("qc-zj-training", "ZJ", "QC小组骨干培训班开班", "面向企业QC小组组长和推进者，讲解问题解决型与创新型课题的活动程序。"),
    ("qc-words-apart", "AH", "班组建设经验交流", "各企业介绍学习小组建设做法，并讨论QC工具在日常检查中的应用。"),
    ("qc-only-letters", "JX", "QC检验员岗位职责", "明确来料检验、过程检验和成品检验的QC岗位要求。"),
    ("study-group", "SH", "党员学习小组开展主题活动", "各学习小组围绕质量强国建设开展专题学习。"),
    ("pe-zj-model", "ZJ", "卓越绩效模式推进工作方案", "以GB/T 19580卓越绩效评价准则为框架，推动企业开展自评和现场评价。"),
    ("pe-sh-award", "SH", "上海市质量金奖评审工作启动", "质量金奖评审以卓越绩效评价准则为依据，申报企业需提交自评报告。"),
    ("pe-ah-case", "AH", "中小企业导入卓越绩效的实践案例", "一家零部件企业三年导入卓越绩效模式，经营结果明显改善。"),
    ("pe-words-apart", "JX", "绩效考核制度修订说明", "调整员工绩效考核指标，突出卓越服务和质量责任。"),
    ("std-recognition", "ZJ", "长三角团体标准互认工作机制", "五省市质量协会对各自发布的团体标准开展互认审查，全部成员认可后区域通行。"),
    ("std-recognised-list", "SH", "首批互认团体标准清单发布", "经各协会审查，首批12项团体标准获得互认，清单附后。"),
    ("std-drafting", "JS", "团体标准立项申请须知", "申请团体标准立项的单位应提交立项建议书和标准草案。"),
    ("std-national", "AH", "国家标准宣贯会通知", "组织学习新发布的国家标准，提升企业标准化水平。"),
    ("mutual-visits", "JX", "五省市协会互访交流纪要", "各协会相互介绍工作经验，商定下一步合作事项和人员互认培训。"),
    ("sigma-training", "SH", "六西格玛绿带培训班招生", "为期三天的六西格玛绿带培训，内容包括DMAIC方法和统计工具，学员完成一个项目。"),
    ("sigma-project", "ZJ", "注塑件一次合格率提升的六西格玛项目", "运用DMAIC方法定位关键工艺参数，一次合格率提升至99.3%。"),
    ("training-general", "JS", "2026年质量培训计划", "全年安排质量管理体系内审员、统计技术和质量工具等培训。"),
    ("award-experts", "AH", "质量奖评审专家遴选办法", "从共享专家库中随机抽取质量奖评审专家，评审专家须签署无利益冲突声明。"),
    ("award-notice", "JX", "江西省质量奖申报通知", "符合条件的企业可在线申报江西省质量奖，评审分为资料评审和现场评审。"),
    ("experts-general", "JS", "专家进企业诊断服务", "组织质量专家深入企业开展质量诊断，帮助企业解决实际问题。"),
    ("site-star", "SH", "现场管理星级评价实施细则", "现场管理星级评价从现场环境、定置管理、目视化和持续改进等方面评分。"),
    ("site-case", "ZJ", "化工企业现场6S与目视化管理案例", "推进6S与目视化管理，现场管理水平明显提升，隐患整改率达到100%。"),
    ("site-words-apart", "AH", "施工现场安全检查通报", "对三个施工现场开展安全检查，督促管理人员落实整改。"),
    ("month-campaign", "SH", "2026年长三角质量月联合活动方案", "九月质量月期间五省市联合举办质量大讲堂、QC成果交流和专家进企业活动。"),
    ("month-js", "JS", "江苏质量月企业质量开放日", "质量月期间组织会员企业开放生产现场。"),
    ("monthly-report", "JX", "月度质量分析报告", "本月产品质量总体稳定，客户投诉较上月下降。"),
    ("pool-rules", "JS", "共享专家库管理办法（试行）", "专家入库条件、跨省借用流程、随机抽取与回避规则：与被评对象同单位的专家自动回避。"),
    ("pool-draw", "SH", "评审专家随机抽取与回避记录说明", "每次抽取均留存记录，回避原因包括同单位、申报关系和近期已参与评审。"),
    ("pool-join", "AH", "专家库入库申请指南", "具有质量管理专业背景、从业八年以上的专家可申请加入专家库。"),
    ("lean-case", "JX", "精益生产在家电装配线的应用", "通过精益生产和快速换型，将换型时间从45分钟缩短至12分钟。"),
    ("lean-training", "ZJ", "精益管理培训班通知", "讲解精益生产的价值流分析、标准作业和持续改进方法。"),
    ("satisfaction", "SH", "用户满意度测评工作通知", "组织开展用户满意度测评，发布用户满意指数。"),
    ("satisfaction-award", "JS", "全国用户满意标杆企业推荐", "推荐在用户满意方面表现突出的企业参加评价。"),
    ("qc-result-forum", "ZJ", "QC成果发表交流会报名", "各企业QC小组可报名参加成果发表交流会，评委由专家库抽取。"),
    ("lecture-hall", "SH", "长三角质量大讲堂第三讲：数字化质量管理", "质量大讲堂邀请专家讲解数字化转型中的质量管理方法。"),
    ("lecture-plan", "AH", "质量大讲堂年度讲座安排", "全年安排十二期质量大讲堂，面向会员企业免费开放。"),
]

#: query → {slug: grade}; every other page is 0 for that query.
JUDGMENTS = {
    "QC小组": {"qc-js-release": 2, "qc-sh-guide": 2, "qc-zj-training": 2, "qc-result-forum": 1},
    "卓越绩效": {"pe-zj-model": 2, "pe-ah-case": 2, "pe-sh-award": 1},
    "团体标准 互认": {"std-recognition": 2, "std-recognised-list": 2, "std-drafting": 1},
    "六西格玛 培训": {"sigma-training": 2, "sigma-project": 1, "training-general": 1},
    "质量奖 评审专家": {"award-experts": 2, "award-notice": 1, "pe-sh-award": 1},
    "现场管理": {"site-star": 2, "site-case": 2},
    "质量月": {"month-campaign": 2, "month-js": 2},
    "专家库 回避": {"pool-rules": 2, "pool-draw": 2, "award-experts": 1},
    "精益生产": {"lean-case": 2, "lean-training": 2},
    "用户满意": {"satisfaction": 2, "satisfaction-award": 2},
    "QC成果 发表": {"qc-result-forum": 2, "qc-js-release": 2},
    "质量大讲堂": {"lecture-hall": 2, "lecture-plan": 2, "month-campaign": 1},
}
CUTOFF = 10


def ndcg(ranked: list[str], grades: dict[str, int], k: int = CUTOFF) -> float:
    dcg = sum((2 ** grades.get(slug, 0) - 1) / math.log2(i + 2) for i, slug in enumerate(ranked[:k]))
    ideal = sorted(grades.values(), reverse=True)[:k]
    best = sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / best if best else 0.0


def reciprocal_rank(ranked: list[str], grades: dict[str, int]) -> float:
    return next((1 / (i + 1) for i, slug in enumerate(ranked) if grades.get(slug, 0) == 2), 0.0)


def make_pages() -> None:
    from cms.models import ContentPage
    from hub.models import Province

    sections = {p.code: p.section_page for p in Province.objects.select_related("section_page")}
    for slug, code, title, text in PAGES:
        page = ContentPage(title=title, slug=f"rel-{slug}", intro=f"<p>{text}</p>")
        sections[code].add_child(instance=page)
        page.save_revision().publish()


def _slug(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1].removeprefix("rel-")


def rankings(query: str) -> dict[str, list[str]]:
    """The top CUTOFF slugs for ``query``: the site search (phrase first) and plain Wagtail search."""
    from django.contrib.auth.models import AnonymousUser
    from wagtail.models import Page

    from hub.selectors import search_pages, visible_pages
    from hub.translations import canonical

    user = AnonymousUser()
    site = [_slug(r["url"]) for r in search_pages(user=user, query=query, limit=CUTOFF)]
    pages = canonical(Page.objects.live()).filter(id__in=visible_pages(user).values("id"))
    plain = [page.slug.removeprefix("rel-") for page in pages.search(query)[:CUTOFF]]
    return {"site": site, "plain": plain}


def measure() -> dict:
    """Per query and mean nDCG@10 and MRR of both rankings."""
    rows = {}
    for query, grades in JUDGMENTS.items():
        ranked = rankings(query)
        rows[query] = {name: {"ndcg": ndcg(r, grades), "rr": reciprocal_rank(r, grades)} for name, r in ranked.items()}
    mean = {name: {metric: sum(row[name][metric] for row in rows.values()) / len(rows) for metric in ("ndcg", "rr")}
            for name in ("site", "plain")}
    return {"queries": rows, "mean": mean}


def main():
    import tempfile

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hub.settings")
    tmp = tempfile.TemporaryDirectory()
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{tmp.name}/relevance.sqlite3")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    call_command("migrate", verbosity=0)
    call_command("setup_roundtable", verbosity=0, stdout=open(os.devnull, "w"))
    with transaction.atomic():
        make_pages()
        result = measure()
        transaction.set_rollback(True)
    print(f"{'query':<16} {'site nDCG@10':>12} {'plain nDCG@10':>13} {'site RR':>8} {'plain RR':>9}")
    for query, row in result["queries"].items():
        print(f"{query:<16} {row['site']['ndcg']:>12.3f} {row['plain']['ndcg']:>13.3f} "
              f"{row['site']['rr']:>8.3f} {row['plain']['rr']:>9.3f}")
    mean = result["mean"]
    print(f"{'mean':<16} {mean['site']['ndcg']:>12.3f} {mean['plain']['ndcg']:>13.3f} "
          f"{mean['site']['rr']:>8.3f} {mean['plain']['rr']:>9.3f}")
    print(f"{len(PAGES)} pages, {len(JUDGMENTS)} judged queries; database: {os.environ['DATABASE_URL'].split(':')[0]}")


if __name__ == "__main__":
    main()
