"""Settings for the roundtable hub.

With no environment variables the hub runs embedded: a SQLite file, the in-memory channel layer, local-memory
cache and console e-mail. ``DJANGO_ENV=production`` switches to PostgreSQL and Redis and makes the variables in
``hub.env.PRODUCTION_REQUIRED`` mandatory. ``.env.example`` lists every variable.
"""
import datetime
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy

from hub import env
from hub.db import pool as db_pool

BASE_DIR = Path(__file__).resolve().parent.parent
PRODUCTION = env.is_production()

if PRODUCTION:
    for _name in env.PRODUCTION_REQUIRED:
        env.require(_name)
    SECRET_KEY = env.require("DJANGO_SECRET_KEY")
    DEBUG = False
    ALLOWED_HOSTS = env.as_list(env.require("DJANGO_ALLOWED_HOSTS"))
else:
    SECRET_KEY = env.get("DJANGO_SECRET_KEY") or "dev-only-insecure-key-for-the-embedded-roundtable-hub"
    DEBUG = env.get("DJANGO_DEBUG", "1") == "1"
    ALLOWED_HOSTS = env.as_list(env.get("DJANGO_ALLOWED_HOSTS")) or ["127.0.0.1", "localhost", "testserver"]

CSRF_TRUSTED_ORIGINS = env.as_list(env.get("DJANGO_CSRF_TRUSTED_ORIGINS")) or [
    f"{scheme}://{host}" for host in ALLOWED_HOSTS if host != "*" for scheme in ("https", "http")
]

INSTALLED_APPS = [
    # daphne first: its runserver serves HTTP and websockets on one port.
    "daphne",
    "hub",
    "cms",
    "sharing",
    "expert_pool",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.simple_translation",  # the admin's "Translate" action: English versions of pages (cms/translations.py)
    "wagtail.contrib.sitemaps",
    "django.contrib.sitemaps",  # the sitemap.xml template
    "wagtail.contrib.frontend_cache",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "guardian",
    "channels",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    "axes",  # last: its checks look at the authentication backends and middleware above
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # ETag / Last-Modified answered with 304, also for pages served from the page cache below.
    "django.middleware.http.ConditionalGetMiddleware",
    # Anonymous pages from the page cache before sessions, locale and auth run (hub/pagecache.py).
    "hub.pagecache.AnonymousPageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "hub.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "hub.accounts.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "hub.middleware.ContentSecurityPolicyMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    "hub.admin_scope.AdminPageScopeMiddleware",  # admin URLs naming a page pass the gate's read rule first
    # last: turns a lockout raised during authenticate() into the lockout page
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "hub.urls"
WSGI_APPLICATION = None
ASGI_APPLICATION = "hub.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "wagtail.contrib.settings.context_processors.settings",
                "hub.context_processors.roundtable",
            ],
        },
    },
]

# --- Data stores -------------------------------------------------------------------------------------------
DATABASES = {"default": dj_database_url.parse(env.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # One psycopg pool per process. Under ASGI each sync view runs in a fresh executor thread, so CONN_MAX_AGE kept
    # nothing (a PostgreSQL session per request); the pool hands the same sessions to every thread. max_size bounds
    # the sessions one worker holds: workers × max_size must stay below the server's max_connections.
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # Django refuses persistent connections together with a pool
    # Reconnection after an outage: short chains of attempts, restarted while the server is away (hub/db/pool.py).
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 2, "max_size": 8, "timeout": 10,
        "reconnect_timeout": db_pool.RECONNECT_SECONDS, "reconnect_failed": db_pool.keep_reconnecting}
    # Django's backend, answering 503 at once while the server is down instead of after the pool's timeout (the
    # pool's wait is for bursts); a connection attempt to a host that does not answer gives up after 3 s.
    DATABASES["default"]["ENGINE"] = "hub.db"
    DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", 3)
    # No JIT compilation: the read rules' subqueries give short queries cost estimates above jit_above_cost, and
    # PostgreSQL then spent 750 ms compiling an anonymous documents search that executes in 20 ms (ten times the
    # demo data, after ANALYZE), on every execution, and 5.7 s of a staff document listing (admin API) that executes
    # in 3 ms. The hub's queries are all short.
    DATABASES["default"]["OPTIONS"].setdefault("options", "-c jit=off")
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent readers and one writer without "database is locked" during live editing.
    DATABASES["default"]["OPTIONS"] = {"init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Django's database sessions, read with one prepared statement instead of an ORM query (hub/accounts/sessions.py).
SESSION_ENGINE = "hub.accounts.sessions"

REDIS_URL = env.get("REDIS_URL")
#: Prefix of every key the hub keeps in Redis. Parallel test workers share one server (pytest-xdist names each in
#: PYTEST_XDIST_WORKER, inherited by the servers a test starts): each keeps to its own keys and channel groups.
REDIS_KEY_PREFIX = "-".join(filter(None, ("hub", env.get("PYTEST_XDIST_WORKER"))))
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "capacity": 1500, "expiry": 30, "prefix": f"{REDIS_KEY_PREFIX}:channels:"},
        }
    }
    # Live notes: each process's meeting room subscribes once; pub/sub fan-out without channels-redis's shared
    # receive lock, which stalled room messages behind idle consumers. At most once, like every layer: rooms
    # catch up from the database log.
    CHANNEL_LAYERS["notes"] = {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": [REDIS_URL], "prefix": f"{REDIS_KEY_PREFIX}:notes:"},
    }
    #: Where this process listens for the other workers' live-notes batches (hub/meetings/link.py): an address the
    #: other workers reach it at. Workers on one machine: the default. Several machines: this machine's private
    #: address. Empty: every batch goes through Redis.
    HUB_NOTES_LINK_HOST = env.get("HUB_NOTES_LINK_HOST", "127.0.0.1")
    CACHES = {
        "default": {
            # Django's RedisCache on one connection pool per process (hub/redis_pool.py), not one per thread.
            "BACKEND": "hub.redis_pool.SharedPoolRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": REDIS_KEY_PREFIX,
            # Blocking: a burst waits up to 5 s for a free connection instead of opening more than max_connections.
            "OPTIONS": {"pool_class": "redis.BlockingConnectionPool", "max_connections": 16, "timeout": 5},
        }
    }
    # Sessions read from the shared Redis cache, written through to PostgreSQL (kept across a Redis restart): a
    # signed-in page no longer spends a database query on its session. Logout (flush) deletes both copies. Only with
    # a shared cache: with per-process memory a logout in one worker would leave the session cached in another.
    # Django's cached_db, its database read prepared (hub/accounts/cached_sessions.py).
    SESSION_ENGINE = "hub.accounts.cached_sessions"
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"},
                      "notes": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Full-page cache of anonymous pages (hub/pagecache.py), purged through Wagtail's frontend-cache backends: Django's
# cache always, and nginx's proxy_cache when HUB_CACHE_PURGE_URL names it (README, "Production deployment").
HUB_PAGE_CACHE_SECONDS = 600
WAGTAILFRONTENDCACHE = {"pagecache": {"BACKEND": "hub.pagecache.DjangoCacheBackend"}}
if env.get("HUB_CACHE_PURGE_URL"):
    WAGTAILFRONTENDCACHE["nginx"] = {
        "BACKEND": "wagtail.contrib.frontend_cache.backends.HTTPBackend",
        "LOCATION": env.get("HUB_CACHE_PURGE_URL"),
    }

# --- Authentication and the permission gate ----------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    # first: refuses an authenticate() call from a locked-out account or address before any password is checked
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"
GUARDIAN_MONKEY_PATCH_USER = False
# Members-only pages (Wagtail view restrictions) send visitors to the site's own login, which says why.
WAGTAIL_FRONTEND_LOGIN_URL = "/accounts/login/?reason=members"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24  # a reset link is valid for one day

# Guessing passwords (django-axes, database handler: works under ASGI and with several workers). Both login pages
# (/accounts/login/ and Wagtail's /admin/login/) authenticate through the backend above, so both are covered.
# AXES_FAILURE_LIMIT failed attempts within AXES_COOLOFF_TIME, counted separately per account (any address) and
# per client address (any account), lock that account or address for AXES_COOLOFF_TIME; the secretariat can
# lift a lockout at /accounts/lockouts/. A success does not reset the counters, so logging into one's own
# account cannot launder an address that is guessing other accounts.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = datetime.timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_CALLABLE = "hub.accounts.views.locked_out"
AXES_VERBOSE = False
AXES_ENABLE_ACCESS_FAILURE_LOG = True

# Two-factor sign-in (django-otp TOTP): optional for staff; in production required for superusers.
OTP_TOTP_ISSUER = "长三角质协圆桌会议"
HUB_SUPERUSER_2FA_REQUIRED = PRODUCTION

# --- Language and time -------------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Files -------------------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env.get("DJANGO_STATIC_ROOT") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.get("DJANGO_MEDIA_ROOT") or BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- E-mail ------------------------------------------------------------------------------------------------
_email_url = env.get("DJANGO_EMAIL_URL")
if _email_url:
    from urllib.parse import unquote, urlparse

    _mail = urlparse(_email_url)
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _mail.hostname or "localhost"
    EMAIL_PORT = _mail.port or 587
    EMAIL_HOST_USER = unquote(_mail.username or "")
    EMAIL_HOST_PASSWORD = unquote(_mail.password or "")
    EMAIL_USE_TLS = _mail.scheme in ("smtp+tls", "submission") or EMAIL_PORT == 587
    EMAIL_USE_SSL = _mail.scheme == "smtps"
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
#: seed_demo keeps the notifications its demo data triggers here (.eml files) instead of sending them.
DEMO_MAIL_DIR = BASE_DIR / ".run" / "demo-mail"
DEFAULT_FROM_EMAIL = env.get("DJANGO_DEFAULT_FROM_EMAIL") or "长三角质协圆桌会议 <noreply@roundtable.invalid>"
HUB_BASE_URL = env.get("HUB_BASE_URL") or "http://127.0.0.1:8000"

# --- Wagtail -----------------------------------------------------------------------------------------------
WAGTAIL_SITE_NAME = "长三角质量协会圆桌会议"
WAGTAILADMIN_BASE_URL = HUB_BASE_URL
WAGTAIL_GRAVATAR_PROVIDER_URL = None  # closed network: no outside avatars
# English versions of pages are Wagtail translations (copy_for_translation), shown over the Chinese tree's pages
# under the same URLs when English is chosen (cms/translations.py).
WAGTAIL_I18N_ENABLED = True
# Named in the admin's language (the switcher above keeps each language's own name).
WAGTAIL_CONTENT_LANGUAGES = [("zh-hans", gettext_lazy("中文")), ("en", gettext_lazy("英语"))]
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "hub.search"}}
WAGTAILDOCS_SERVE_METHOD = "serve_view"  # every download passes Wagtail's privacy checks
WAGTAILDOCS_EXTENSIONS = [
    "pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "odt", "ods", "odp", "txt", "csv",
    "png", "jpg", "jpeg", "gif", "webp",
]
# Upload rules (hub/uploads.py): content must match the extension; HTML and SVG are refused under any name;
# every document is downloaded as an attachment, never rendered inline.
WAGTAILDOCS_DOCUMENT_FORM_BASE = "hub.uploads.DocumentForm"
WAGTAILDOCS_MAX_UPLOAD_SIZE = 20 * 1024 * 1024
WAGTAILDOCS_INLINE_CONTENT_TYPES = []
WAGTAILIMAGES_EXTENSIONS = ["gif", "jpg", "jpeg", "png", "webp"]
WAGTAILIMAGES_MAX_UPLOAD_SIZE = 10 * 1024 * 1024
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAIL_ENABLE_WHATS_NEW_BANNER = False
WAGTAIL_USAGE_COUNT_ENABLED = True
WAGTAIL_WORKFLOW_ENABLED = True
WAGTAIL_MODERATION_ENABLED = True
WAGTAILADMIN_COMMENTS_ENABLED = True
WAGTAIL_DATE_FORMAT = "%Y-%m-%d"
WAGTAIL_DATETIME_FORMAT = "%Y-%m-%d %H:%M"

# --- Production hardening ----------------------------------------------------------------------------------
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy on every response, in every environment (tests included). Site pages: scripts only
# from our own files (no inline script, no eval), nothing from any other host. Style attributes stay allowed:
# templates colour provinces through CSS custom properties and the notes editor injects its base styles, and CSS
# cannot run script. Wagtail's admin (/admin/) ships inline <script> blocks of its own (inline panels, date
# widgets), so it gets HUB_ADMIN_CSP: the same policy plus inline scripts, still no outside host.
_CSP_SITE = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:", "blob:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "frame-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'self'"],
}
CONTENT_SECURITY_POLICY = {"DIRECTIVES": _CSP_SITE}
HUB_ADMIN_CSP = {**_CSP_SITE, "script-src": ["'self'", "'unsafe-inline'"]}
X_FRAME_OPTIONS = "SAMEORIGIN"  # Wagtail's preview panel frames our own pages
# check --deploy asks for DENY; SAMEORIGIN is the deliberate choice above (only our own pages may frame us).
SILENCED_SYSTEM_CHECKS = ["security.W019"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "filters": {"layer_outage": {"()": "hub.meetings.logfilters.ChannelLayerOutage"},
                "database_outage": {"()": "hub.db.health.DatabaseOutage"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    # "django" without handlers of its own: its records reach the root handler once (Django's default adds a
    # second console handler, which printed every runserver line twice).
    "loggers": {"django": {"level": "INFO"}, "hub": {"level": "INFO"}, "jieba": {"level": "WARNING"},
                # A page answered 503 while PostgreSQL is down: the process's one outage line (hub/db/health.py),
                # not a traceback per request.
                "django.request": {"filters": ["database_outage"]},
                # A Redis outage: one line when it goes and one when it is back, not a traceback a second (a
                # logger's filters see only its own records, not its children's: each module is named).
                "channels_redis.pubsub": {"filters": ["layer_outage"]},
                "channels_redis.core": {"filters": ["layer_outage"]},
                # The pool warns at every reconnect attempt while PostgreSQL is down (dozens a minute); the process
                # logs one line when the database goes and one when it is back (hub/db/health.py).
                "psycopg.pool": {"level": "ERROR"}},
}
