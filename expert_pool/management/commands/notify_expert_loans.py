"""Send the loan reminders (answer deadline within two days, confirmed loan starting within three days). Run by
``run_scheduler`` on every tick; safe to run as often as wanted: each reminder reaches each person once."""
from django.core.management.base import BaseCommand

from expert_pool.notify import loan_reminders


class Command(BaseCommand):
    help = "Remind people of expert loans whose answer is due soon or which start within three days."

    def handle(self, *args, **options):
        counts = loan_reminders()
        self.stdout.write(f"expert loan reminders: {counts['answer_due']} answers due, {counts['starting']} starting")
