"""URLs of the roundtable core (meetings and the like are added here)."""
urlpatterns = []
