"""Taihe's settings plus one bare "hello" view, the baseline the HTTP benchmark compares to."""

from taihe.config.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.urls"
DEBUG = False
LOGGING = {"version": 1, "disable_existing_loggers": False,
           "root": {"handlers": [], "level": "WARNING"}}
