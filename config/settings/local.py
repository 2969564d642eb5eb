"""Developer machines and ``make demo``: DEBUG on, embedded PostgreSQL when DATABASE_URL is unset."""

from config.database import database_url

from .base import *  # noqa: F403
from .base import CONN_MAX_AGE, DATABASE_ENGINE, env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
DATABASES = {
    "default": {
        **env.db_url_config(database_url(env, default_name="pouls")),
        "ENGINE": DATABASE_ENGINE,
        "CONN_MAX_AGE": CONN_MAX_AGE,
        "CONN_HEALTH_CHECKS": True,
    }
}
