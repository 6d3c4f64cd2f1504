"""Wagtail's page-type rules: what may be created under what, tested directly."""
from wagtail.models import Page
from wagtail.test.utils import WagtailPageTestCase

from cms.achievements import AchievementPage
from cms.events import CampaignPage, EventPage
from cms.models import ContentPage, HomePage, ProvinceSectionPage


class PageTypeRulesTest(WagtailPageTestCase):
    # Wagtail lists the base Page among the allowed subpage types of a page without subpage_types (the admin's
    # "add child page" offers only creatable types, which the base Page is not), so the sets below include it.

    def test_the_home_page_sits_under_the_root_and_holds_sections_campaigns_and_general_pages(self):
        self.assertCanCreateAt(Page, HomePage)
        self.assertAllowedSubpageTypes(HomePage, {Page, ProvinceSectionPage, CampaignPage, ContentPage})

    def test_a_province_section_sits_only_under_the_home_page(self):
        self.assertAllowedParentPageTypes(ProvinceSectionPage, {HomePage})
        self.assertCanNotCreateAt(ProvinceSectionPage, ProvinceSectionPage)
        self.assertCanNotCreateAt(ContentPage, ProvinceSectionPage)

    def test_a_province_section_holds_its_events_achievements_campaigns_and_general_pages(self):
        self.assertAllowedSubpageTypes(ProvinceSectionPage,
                                       {Page, EventPage, AchievementPage, CampaignPage, ContentPage})

    def test_events_and_achievements_live_only_in_a_province_section_and_are_leaves(self):
        for page_type in (EventPage, AchievementPage):
            self.assertAllowedParentPageTypes(page_type, {ProvinceSectionPage})
            self.assertCanNotCreateAt(HomePage, page_type)
            self.assertAllowedSubpageTypes(page_type, set())

    def test_a_campaign_is_a_leaf_under_the_home_page_or_a_section(self):
        self.assertAllowedParentPageTypes(CampaignPage, {HomePage, ProvinceSectionPage})
        self.assertAllowedSubpageTypes(CampaignPage, set())

    def test_general_pages_nest_under_the_home_page_sections_and_each_other(self):
        self.assertAllowedParentPageTypes(ContentPage, {HomePage, ProvinceSectionPage, ContentPage})
        self.assertCanCreateAt(ContentPage, ContentPage)
