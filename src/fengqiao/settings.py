"""Fengqiao settings: one module, configured by environment variables.

Deployment modes (``FENGQIAO_ENV``):

- ``local`` (default): one station on a laptop. SQLite in ``var/``, served on the
  loopback interface over plain HTTP; a secret key and the audit key are generated once
  and kept in ``var/secret_key`` and ``var/audit_key``.
- ``production``: behind HTTPS. ``FENGQIAO_SECRET_KEY``, ``FENGQIAO_AUDIT_KEY`` and
  ``FENGQIAO_ALLOWED_HOSTS`` are required; cookies are secure, HSTS and the HTTPS redirect are on.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent
BASE_DIR = Path(os.environ.get("FENGQIAO_HOME", PACKAGE_DIR.parent.parent)).resolve()
VAR_DIR = Path(os.environ.get("FENGQIAO_VAR", BASE_DIR / "var")).resolve()
# What can be rebuilt from the installed packages (the PDFs' prepared font): never backed
# up; installations on one machine may share it.
CACHE_DIR = Path(os.environ.get("FENGQIAO_CACHE", VAR_DIR / "cache")).resolve()


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean: use 1/0, true/false, yes/no")


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name, "")
    return [item.strip() for item in value.split(",") if item.strip()] or default


FENGQIAO_ENV = os.environ.get("FENGQIAO_ENV", "local")
if FENGQIAO_ENV not in {"local", "production"}:
    raise ImproperlyConfigured(
        f"FENGQIAO_ENV={FENGQIAO_ENV!r} is not a mode: use 'local' or 'production'"
    )
PRODUCTION = FENGQIAO_ENV == "production"
DEBUG = env_bool("FENGQIAO_DEBUG", False)
if PRODUCTION and DEBUG:
    # Debug pages show settings and source to anyone, and debug would turn HTTPS off.
    raise ImproperlyConfigured(
        "FENGQIAO_DEBUG=1 is refused in production mode: unset it, or use FENGQIAO_ENV=local"
    )


def _secret_key() -> str:
    key = os.environ.get("FENGQIAO_SECRET_KEY", "")
    if key:
        return key
    if PRODUCTION:
        raise ImproperlyConfigured(
            "FENGQIAO_SECRET_KEY is not set: production mode needs a secret key "
            "(generate one with `./fq secret` and put it in the environment)"
        )
    # Local mode keeps a generated key beside the database so sessions survive restarts.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()

MIN_AUDIT_KEY_LENGTH = 32


def _audit_key() -> bytes:
    """The key of the audit chain's MACs and checkpoints. It must live outside the
    database (and its backups): whoever holds both can rewrite history undetected."""
    key = os.environ.get("FENGQIAO_AUDIT_KEY", "")
    if key:
        if len(key) < MIN_AUDIT_KEY_LENGTH:
            raise ImproperlyConfigured(
                f"FENGQIAO_AUDIT_KEY is too short ({len(key)} characters): use at least "
                f"{MIN_AUDIT_KEY_LENGTH} (generate one with `./fq secret`)"
            )
        return key.encode()
    if PRODUCTION:
        raise ImproperlyConfigured(
            "FENGQIAO_AUDIT_KEY is not set: production mode needs the audit chain's key "
            "(generate one with `./fq secret`, keep it out of the database and its backups)"
        )
    path = VAR_DIR / "audit_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        # Created 0600 from the start: the key never sits readable, not even for a moment.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_urlsafe(48))
    return path.read_text().strip().encode()


AUDIT_KEY = _audit_key()
# Signed checkpoints of the chain (head hash, count, time), appended one JSON line each;
# kept outside the audited table so that deleting its tail or recomputing it shows.
AUDIT_CHECKPOINT_FILE = Path(
    os.environ.get("FENGQIAO_AUDIT_CHECKPOINTS", VAR_DIR / "audit-checkpoints.jsonl")
).resolve()
ALLOWED_HOSTS = env_list(
    "FENGQIAO_ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]"]
)
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "FENGQIAO_ALLOWED_HOSTS is not set: production mode needs the host names it serves "
        "(comma-separated, e.g. fengqiao.example.gov.cn)"
    )

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "csp",
    "ninja",
    "fengqiao.core",
    "fengqiao.jurisdictions",
    "fengqiao.rollups",
    "fengqiao.accounts",
    "fengqiao.addresses",
    "fengqiao.registry",
    "fengqiao.incidents",
    "fengqiao.disputes",
    "fengqiao.personnel",
    "fengqiao.scoring",
    "fengqiao.portal",
    "fengqiao.audit",
    "fengqiao.dashboards",
    "fengqiao.home",
    "fengqiao.demo",
    "fengqiao.api",
    "fengqiao.setup",
]

MIDDLEWARE = [
    "fengqiao.core.middleware.ClientAddressMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "fengqiao.core.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "fengqiao.core.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "fengqiao.accounts.middleware.PasswordChangeRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "fengqiao.core.text_input.RefuseControlCharactersMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "fengqiao.audit.middleware.AuditContextMiddleware",
    "axes.middleware.AxesMiddleware",
    "fengqiao.setup.middleware.FirstRunMiddleware",
]

ROOT_URLCONF = "fengqiao.urls"
WSGI_APPLICATION = "fengqiao.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "fengqiao.dashboards.context_processors.navigation",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------
DEFAULT_SQLITE_PATH = VAR_DIR / "fengqiao.sqlite3"
DATABASE_URL = os.environ.get("DATABASE_URL", "") or f"sqlite:///{DEFAULT_SQLITE_PATH}"
try:
    _database = dj_database_url.parse(DATABASE_URL, conn_max_age=60)
except Exception as exc:  # dj-database-url raises bare ValueErrors on unknown schemes
    raise ImproperlyConfigured(
        f"DATABASE_URL is not usable ({exc}): expected e.g. "
        "sqlite:///var/fengqiao.sqlite3 or postgres://user@127.0.0.1:5432/fengqiao"
    ) from exc
if _database["ENGINE"] == "django.db.backends.sqlite3":
    _database["CONN_MAX_AGE"] = 0
    _database["OPTIONS"] = {
        # IMMEDIATE makes every transaction take the write lock up front, so the audit
        # chain's read-then-append never races and writers queue instead of failing.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
    }
    _database.setdefault("TEST", {})["NAME"] = os.environ.get("FENGQIAO_TEST_SQLITE") or None
elif _database["ENGINE"] == "django.db.backends.postgresql":
    _database["CONN_HEALTH_CHECKS"] = True
    _database.setdefault("OPTIONS", {})["connect_timeout"] = 5
    # No JIT: a dashboard's aggregate over millions of rollup rows is estimated costly
    # enough to be compiled, which takes longer (10–40 ms) than the query saves.
    _database["OPTIONS"].setdefault("options", "-c jit=off")
else:
    raise ImproperlyConfigured(
        f"DATABASE_URL points at {_database['ENGINE']}: Fengqiao supports SQLite and PostgreSQL"
    )
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts, passwords, login throttling ------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "dashboards:home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "fengqiao.accounts.passwords.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("FENGQIAO_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25  # hours: a locked username+address may try again after 15 minutes
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]

SESSION_COOKIE_AGE = 8 * 3600  # one duty shift
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# --- Transport security -------------------------------------------------------
# Secure cookies, HSTS and the redirect need HTTPS: on in production, off on a laptop
# that serves the loopback interface over plain HTTP.
HTTPS = env_bool("FENGQIAO_HTTPS", PRODUCTION)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = 31_536_000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
BEHIND_PROXY = env_bool("FENGQIAO_BEHIND_PROXY", False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many reverse proxies stand in front and append to X-Forwarded-For: the client's
# address is the one the outermost of them saw (core.middleware.ClientAddressMiddleware).
# Anything further left in the header was written by the client and is not trusted.
try:
    TRUSTED_PROXIES = int(os.environ.get("FENGQIAO_TRUSTED_PROXIES") or int(BEHIND_PROXY))
except ValueError:
    raise ImproperlyConfigured(
        "FENGQIAO_TRUSTED_PROXIES must be a whole number: the reverse proxies in front"
    ) from None
if TRUSTED_PROXIES < 0:
    raise ImproperlyConfigured("FENGQIAO_TRUSTED_PROXIES must be 0 or more")
# Features no page uses are denied to every frame; the field pages may ask for the
# position and the camera, for this site only.
PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(), camera=(self), display-capture=(), geolocation=(self), "
    "gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()"
)
CSRF_TRUSTED_ORIGINS = env_list("FENGQIAO_CSRF_TRUSTED_ORIGINS", [])
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# --- Internationalisation -----------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
LANGUAGE_COOKIE_NAME = "fengqiao_language"
LANGUAGE_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"

# --- Static files ---------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = VAR_DIR / "media"
WHITENOISE_USE_FINDERS = DEBUG

# --- Background work (django-tasks, database backend: no extra server) ----------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# --- Logging: one line per event, no tracebacks for the operator's eyes ----------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "{asctime} {levelname} {name}: {message}", "style": "{"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("FENGQIAO_LOG_LEVEL", "WARNING")},
}

FENGQIAO_PAGE_SIZE = 25
# The public address printed into QR doorplates (e.g. https://fq.example.gov.cn); empty
# means the address the staff page was opened at.
FENGQIAO_PUBLIC_BASE_URL = os.environ.get("FENGQIAO_PUBLIC_BASE_URL", "")
