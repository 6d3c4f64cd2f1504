"""Draw records are append-only in the admin as in the model: readable, never added, changed or deleted here."""
from django.contrib import admin

from expert_pool.models import Draw


@admin.register(Draw)
class DrawAdmin(admin.ModelAdmin):
    list_display = ["request", "run_at", "run_by", "seed"]

    def get_queryset(self, request):
        return Draw.objects.restrict(request.user, "view")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
