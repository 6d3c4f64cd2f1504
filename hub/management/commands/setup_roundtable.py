from django.core.management.base import BaseCommand, CommandError

from hub.services.provisioning import setup_roundtable


class Command(BaseCommand):
    help = "Provision every province (groups, section page, collection, permissions). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("codes", nargs="*", help="Province codes to provision (default: all)")

    def handle(self, *args, codes, **options):
        try:
            report = setup_roundtable(codes=[c.upper() for c in codes] or None)
        except LookupError as exc:
            raise CommandError(f"Unknown province code: {exc}. Known codes are listed in the admin under 省市.")
        for item in report.created:
            self.stdout.write(self.style.SUCCESS(f"created   {item}"))
        self.stdout.write(f"{len(report.created)} created, {len(report.existing)} already there.")
