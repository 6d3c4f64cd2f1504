"""Notifications as a capability: any feature registers its kinds and sends through ``services.notify``; people
read them in the site's inbox and, per kind as they choose, by e-mail."""
