from django.apps import AppConfig
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = _("网站内容")
    default_auto_field = "django.db.models.BigAutoField"
    #: seed_demo imports each of these and runs its seed(ctx).
    DEMO_MODULES = ("cms.demo", "cms.demo_events", "cms.demo_english")

    def ready(self):
        from wagtail.signals import page_published

        from cms import provisioning
        from cms.achievements import AchievementPage
        from cms.events import Registration
        from hub import pagecache
        from hub.services import provisioning as hub_provisioning

        # The core provisions groups and collections; the site's pages and workflows are this app's.
        hub_provisioning.register(roundtable=provisioning.provision_site, province=provisioning.provision_section)

        # A registration changes the places left, shown on the event page and in the listing.
        pagecache.purge_when_saved(Registration, lambda registration: [
            registration.event.url, reverse("cms:event_list")])
        pagecache.page_shown_on(_listings_showing)

        # A members-only achievement's view restriction follows the version that goes live (not the model's save).
        page_published.connect(_achievement_published, sender=AchievementPage,
                                dispatch_uid="cms:achievement_visibility")


def _achievement_published(sender, instance, **kwargs):
    from cms.services import achievement_store_visibility

    achievement_store_visibility(page=instance)


def _listings_showing(page) -> list[str]:
    """The site's listings, calendars and feeds that show a published event or achievement."""
    from cms.achievements import AchievementPage
    from cms.events import CampaignPage, EventPage

    if isinstance(page, (EventPage, CampaignPage)):
        paths = [reverse("cms:event_list"), reverse("cms:ical_all"), reverse("cms:event_rss"),
                 reverse("cms:event_atom")]
        if isinstance(page, EventPage):
            paths.append(reverse("cms:ical_event", args=[page.pk]))
            if page.campaign_id:
                paths.append(page.campaign.url)
        return paths
    if isinstance(page, AchievementPage):
        return [reverse("cms:achievement_list"), reverse("cms:achievement_rss"), reverse("cms:achievement_atom")]
    return []
