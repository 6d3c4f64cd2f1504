"""RSS and Atom feeds of events and achievements (public content only: feed readers carry no session)."""
from django.contrib.syndication.views import Feed
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext_lazy as _

from cms import selectors
from hub.links import page_url


class EventFeed(Feed):
    title = _("长三角质协圆桌会议 · 活动")
    link = reverse_lazy("cms:event_list")
    description = _("五省市质量协会的联合活动、质量月、质量大讲堂与培训。")

    def items(self):
        return selectors.feed_events(limit=50)

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        when = item.start_date.isoformat() if item.start_date == item.end_date else \
            f"{item.start_date.isoformat()} – {item.end_date.isoformat()}"
        return f"{when} · {item.province.name_zh} · {item.category.name}\n{item.summary}"

    def item_link(self, item):
        return page_url(item)

    def item_guid(self, item):
        return f"event-{item.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, item):
        return item.first_published_at or timezone.now()

    def item_updateddate(self, item):
        return item.last_published_at or item.first_published_at or timezone.now()

    def item_categories(self, item):
        return [item.category.name, item.province.name_zh]


class EventAtomFeed(EventFeed):
    feed_type = Atom1Feed
    subtitle = EventFeed.description


class AchievementFeed(Feed):
    title = _("长三角质协圆桌会议 · 质量创新成果")
    link = reverse_lazy("cms:achievement_list")
    description = _("QC小组成果、质量改进项目、卓越绩效实践等在五省市间分享推广。")

    def items(self):
        return selectors.feed_achievements(limit=50)

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return f"{item.province.name_zh} · {item.organisation} · {item.achievement_type.name} · {item.year}\n{item.summary}"

    def item_link(self, item):
        return page_url(item)

    def item_guid(self, item):
        return f"achievement-{item.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, item):
        return item.first_published_at or timezone.now()

    def item_categories(self, item):
        return [item.achievement_type.name] + [t.name for t in item.tags.all()]


class AchievementAtomFeed(AchievementFeed):
    feed_type = Atom1Feed
    subtitle = AchievementFeed.description
