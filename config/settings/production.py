"""Production: everything explicit, nothing embedded, secure cookies."""

from .base import *  # noqa: F403
from .base import DATABASE_ENGINE, env

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY")
DATABASES = {
    "default": {
        **env.db_url("DATABASE_URL"),
        "ENGINE": DATABASE_ENGINE,
        # Reusing connections saves ~6 ms a request (measured on the tracking endpoint).
        "CONN_MAX_AGE": env.int("DATABASE_CONN_MAX_AGE", default=60),
        "CONN_HEALTH_CHECKS": True,
    }
}
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=0)
