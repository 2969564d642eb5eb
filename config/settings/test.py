"""The test suite: same stack as production, real PostgreSQL, fast password hashing."""

from config.database import database_url

from .base import *  # noqa: F403
from .base import CONN_MAX_AGE, DATABASE_ENGINE, env

DEBUG = False
DATABASES = {
    "default": {
        **env.db_url_config(database_url(env, default_name="pouls")),
        "ENGINE": DATABASE_ENGINE,
        "CONN_MAX_AGE": CONN_MAX_AGE,
        "CONN_HEALTH_CHECKS": True,
    }
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Browser tests run the app under gunicorn without collectstatic.
WHITENOISE_USE_FINDERS = True
# Tests that prove the refresh after imports turn it back on (with a real worker).
POULS_KPI_REFRESH_AFTER_WRITES = env.bool("POULS_KPI_REFRESH_AFTER_WRITES", default=False)
# Test receivers (webhooks) listen on loopback; the test of the refusal turns it off.
POULS_WEBHOOK_ALLOW_PRIVATE = env.bool("POULS_WEBHOOK_ALLOW_PRIVATE", default=True)
# Connector retries (429, 5xx) wait a twentieth of a second, doubled, in the suite.
POULS_CONNECTOR_RETRY_BASE = env.float("POULS_CONNECTOR_RETRY_BASE", default=0.05)
