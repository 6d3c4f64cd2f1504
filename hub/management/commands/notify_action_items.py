"""Send the 督办 reminders (due within three days, overdue). Run by the scheduler next to ``publish_scheduled``;
safe to run as often as wanted: each reminder reaches each person once."""
from django.core.management.base import BaseCommand

from hub.meetings.notify import action_reminders


class Command(BaseCommand):
    help = "督办事项提醒：3 天内到期与已逾期（每条提醒每人只发一次）"

    def handle(self, *args, **options):
        counts = action_reminders()
        self.stdout.write(f"action item reminders: {counts['due_soon']} due soon, {counts['overdue']} overdue")
