"""Settings of the ascolto project, read from environment variables.

Every variable is documented in `.env.example`. A variable `NAME_FILE` pointing at a file is read
in place of `NAME` (for secrets mounted by an orchestrator). With no `DATABASE_URL` the embedded
SQLite database in `var/` is used, so the demo runs on a bare machine.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
PROJECT_DIR = BASE_DIR.parent.parent


def env(name: str, default: str | None = None) -> str | None:
    """Return the variable `name`, or the content of the file named by `name_FILE`."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text(encoding="utf-8").strip()
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = env(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in (env(name, default) or "").split(",") if item.strip()]


# "development" (the default: the demo, tests, a developer's machine) or "production". Production
# turns on every transport-security setting and requires a real secret key.
ENVIRONMENT = env("ASCOLTO_ENV", "development") or "development"
if ENVIRONMENT not in {"development", "production"}:
    raise ImproperlyConfigured(f"ASCOLTO_ENV must be development or production: {ENVIRONMENT!r}")
PRODUCTION = ENVIRONMENT == "production"
DEBUG = env_bool("ASCOLTO_DEBUG", not PRODUCTION)
SECRET_KEY = env("ASCOLTO_SECRET_KEY") or ""
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured(
            "ASCOLTO_SECRET_KEY is not set: production needs a random key of 50+ characters "
            "(or ASCOLTO_SECRET_KEY_FILE naming a file that holds it)."
        )
    SECRET_KEY = "insecure-development-key-do-not-use-in-production-0123456789abcdef"  # noqa: S105

# The salt of the virtual assistant's session keys (a salted hash of the citizen's WhatsApp id
# replaces the number, decision 0016). Unset, it is derived from SECRET_KEY (itself required in
# production); changing either starts every citizen on a new session.
ASSISTANT_SALT = env("ASCOLTO_ASSISTANT_SALT") or f"assistant:{SECRET_KEY}"

ALLOWED_HOSTS = env_list("ASCOLTO_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("ASCOLTO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "ascolto.core.admin_site.AdminConfig",  # django.contrib.admin, for administrators only
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "django_prometheus",  # requests by view and status, latencies (core/metrics.py)
    "ninja",  # the API docs' Swagger UI from ninja's own static files, not from a CDN
    "ascolto.core",
    "ascolto.audit",  # the access log of personal data: ids and strings only, no foreign key
    "ascolto.organisation",
    "ascolto.citizens",
    "ascolto.channels",
    "ascolto.tickets",
    "ascolto.social",
    "ascolto.knowledge",
    "ascolto.assistant",
    "ascolto.surveys",
    "ascolto.contactcenter",
    "ascolto.charters",
    "ascolto.analytics",
    "ascolto.privacy",
    "ascolto.api",
    "ascolto.open311",
    "ascolto.web",
    "ascolto.demo",
]

MIDDLEWARE = [
    # First: every later middleware's and view's log records carry the request's id; the
    # request's count and latency (django-prometheus, with its After at the end).
    "ascolto.core.logs.RequestIdMiddleware",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Web hardening (issue 16): the Content-Security-Policy, then the other headers and no-store.
    "csp.middleware.CSPMiddleware",
    "ascolto.core.headers.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Staff authentication: the verified second factor on request.user, the session's idle and
    # absolute limits, two factors before any console or admin page; axes last of the three
    # (it turns a refused sign-in into the lockout page).
    "django_otp.middleware.OTPMiddleware",
    "ascolto.web.middleware.SessionLimitsMiddleware",
    "ascolto.web.middleware.SecondFactorMiddleware",
    "axes.middleware.AxesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "ascolto.config.urls"
WSGI_APPLICATION = "ascolto.config.wsgi.application"
ASGI_APPLICATION = "ascolto.config.asgi.application"

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
                "ascolto.web.context.site",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
VAR_DIR = Path(env("ASCOLTO_VAR_DIR") or PROJECT_DIR / "var")
DATABASE_URL = env("DATABASE_URL")
if DATABASE_URL:
    # Persistent connections are checked before each request reuses them: after a database
    # restart a dead connection is replaced instead of failing the request with a 500.
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL,
            conn_max_age=int(env("ASCOLTO_DB_CONN_MAX_AGE", "60") or 60),
            conn_health_checks=True,
        )
    }
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "ascolto.sqlite3"),
            "OPTIONS": {
                # WAL lets readers work while a writer commits; IMMEDIATE takes the write lock at
                # BEGIN, so two concurrent intakes queue up instead of failing with "database is
                # locked" when both try to upgrade a read lock.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA foreign_keys=ON;"
                    "PRAGMA busy_timeout=20000;"
                ),
            },
            "TEST": {"NAME": env("ASCOLTO_TEST_SQLITE") or None},
        }
    }
# A streaming replica of the primary, for the reports' reads (`core/replica.py`). In tests it
# mirrors `default`: the same connection settings, so routed reads see the test's data.
REPLICA_URL = env("ASCOLTO_REPLICA_URL")
if REPLICA_URL:
    if not DATABASE_URL:
        raise ImproperlyConfigured("ASCOLTO_REPLICA_URL needs DATABASE_URL: a replica of what?")
    DATABASES["replica"] = dj_database_url.parse(
        REPLICA_URL,
        conn_max_age=int(env("ASCOLTO_DB_CONN_MAX_AGE", "60") or 60),
        conn_health_checks=True,
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["ascolto.core.replica.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "organisation.User"


# --- Background work ------------------------------------------------------------------------
# "immediate" runs tasks in-process after commit (demo, tests); "database" stores them for
# `manage.py db_worker` processes on any node. See docs/decisions/0002-background-tasks.md.
TASK_BACKEND = env("ASCOLTO_TASK_BACKEND", "immediate")
_TASK_BACKENDS = {
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
    "database": "django_tasks_db.DatabaseBackend",
    "dummy": "django_tasks.backends.dummy.DummyBackend",
}
if TASK_BACKEND not in _TASK_BACKENDS:
    raise ImproperlyConfigured(
        f"ASCOLTO_TASK_BACKEND must be one of {sorted(_TASK_BACKENDS)}, not {TASK_BACKEND!r}"
    )
TASKS = {"default": {"BACKEND": _TASK_BACKENDS[TASK_BACKEND], "QUEUES": ["default"]}}

# --- Cache (rate limits, debounced jobs) ------------------------------------------------------
# A Redis URL in production, so every web process shares one count; the in-process default
# suits the demo and the tests (one process).
CACHE_URL = env("ASCOLTO_CACHE_URL")
if CACHE_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Staff authentication (issue 16: two factors, throttling, sessions, passwords) -----------
# See docs/security/auth.md and docs/accounts.md; the choices in decision 0019.
LOGIN_URL = "console:login"
LOGIN_REDIRECT_URL = "console:home"
LOGOUT_REDIRECT_URL = "console:login"
# Axes first: it refuses a locked-out sign-in before the password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# A session's absolute lifetime from sign-in (default 10 hours: one working day), and how long it
# lasts with no request of the user's own (polls of an open page do not count).
# ASCOLTO_SESSION_SECONDS is the former name of the first, still read.
ASCOLTO_SESSION_MAX_AGE = int(
    env("ASCOLTO_SESSION_MAX_AGE") or env("ASCOLTO_SESSION_SECONDS") or str(10 * 3600)
)
ASCOLTO_SESSION_IDLE = int(env("ASCOLTO_SESSION_IDLE", str(30 * 60)) or 30 * 60)
SESSION_COOKIE_AGE = ASCOLTO_SESSION_MAX_AGE
# Two factors: required for administrators, supervisors and analysts; for operators (first
# level and office) "optional" (each may turn it on from their account page) or "required".
ASCOLTO_OTP_OPERATORS = env("ASCOLTO_OTP_OPERATORS", "optional") or "optional"
if ASCOLTO_OTP_OPERATORS not in {"optional", "required"}:
    raise ImproperlyConfigured(
        f"ASCOLTO_OTP_OPERATORS must be optional or required, not {ASCOLTO_OTP_OPERATORS!r}"
    )
# The name an authenticator app shows beside the account.
OTP_TOTP_ISSUER = env("ASCOLTO_OTP_ISSUER", "ascolto") or "ascolto"
# Sign-in throttling (django-axes), never by address alone (an office behind one NAT): wrong
# passwords for one account from one address, and for one account from anywhere; the lock lifts
# after the cool-off (minutes) and a successful sign-in clears the count.
ASCOLTO_SIGNIN_LIMIT = int(env("ASCOLTO_SIGNIN_LIMIT", "5") or 5)
ASCOLTO_SIGNIN_ACCOUNT_LIMIT = int(env("ASCOLTO_SIGNIN_ACCOUNT_LIMIT", "20") or 20)
ASCOLTO_SIGNIN_COOLOFF_MINUTES = int(env("ASCOLTO_SIGNIN_COOLOFF_MINUTES", "15") or 15)
AXES_HANDLER = "ascolto.organisation.throttle.SignInThrottle"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], ["username"]]
AXES_FAILURE_LIMIT = "ascolto.organisation.throttle.failure_limit"  # each count, its own limit
AXES_COOLOFF_TIME = timedelta(minutes=ASCOLTO_SIGNIN_COOLOFF_MINUTES)
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # attempts while locked do not prolong it
AXES_LOCKOUT_CALLABLE = "ascolto.web.views.console.auth.locked_out"
AXES_CLIENT_IP_CALLABLE = "ascolto.core.ratelimit.client_address"
AXES_USERNAME_FORM_FIELD = "username"
AXES_VERBOSE = False
# What axes keeps of a refused sign-in's form: the password is masked by axes, the form's token too.
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "csrfmiddlewaretoken"]
AXES_ENABLE_ADMIN = False  # registered in organisation/admin.py, for administrators only
# Passwords: a minimum length, Django's list of 20,000 common (breached) passwords, and no
# likeness to the user's name or email; no composition rules.
ASCOLTO_PASSWORD_MIN_LENGTH = int(env("ASCOLTO_PASSWORD_MIN_LENGTH", "12") or 12)
# Password-reset requests accepted per client address ("5/h"; "0/h" turns the limit off).
ASCOLTO_PASSWORD_RESET_RATE_LIMIT = env("ASCOLTO_PASSWORD_RESET_RATE_LIMIT", "5/h") or "5/h"
# How long a password-reset link stays valid, in seconds (default 1 hour).
PASSWORD_RESET_TIMEOUT = int(env("ASCOLTO_PASSWORD_RESET_SECONDS", "3600") or 3600)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "ascolto.organisation.passwords.MinimumLength",
        "OPTIONS": {"min_length": ASCOLTO_PASSWORD_MIN_LENGTH},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "it"
LANGUAGES = [("it", "Italiano"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Rome"
USE_I18N = True
USE_TZ = True

# --- Static files and uploads ---------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env("ASCOLTO_STATIC_ROOT") or VAR_DIR / "static")
# Development serves static files from the apps directly; production from STATIC_ROOT.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("ASCOLTO_MEDIA_ROOT") or VAR_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if not PRODUCTION
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Email ----------------------------------------------------------------------------------
EMAIL_URL = env("ASCOLTO_EMAIL_URL")
if EMAIL_URL:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    _email = urlparse(EMAIL_URL)
    EMAIL_HOST = _email.hostname or "localhost"
    EMAIL_PORT = _email.port or 25
    EMAIL_HOST_USER = _email.username or ""
    EMAIL_HOST_PASSWORD = _email.password or ""
    EMAIL_USE_TLS = _email.scheme == "smtp+tls"
    EMAIL_USE_SSL = _email.scheme == "smtps"
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env("ASCOLTO_FROM_EMAIL", "Comune - Ascolto <noreply@ascolto.localhost>")

# --- Security -------------------------------------------------------------------------------
SECURE_SSL_REDIRECT = env_bool("ASCOLTO_SECURE_SSL_REDIRECT", PRODUCTION)
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_HSTS_SECONDS = int(env("ASCOLTO_HSTS_SECONDS", "31536000" if PRODUCTION else "0") or 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = env_bool("ASCOLTO_HSTS_PRELOAD", PRODUCTION)
# Behind a reverse proxy: trust X-Forwarded-Proto, and take the client's address (for rate
# limits) from the right-most X-Forwarded-For hop instead of the proxy's own address.
ASCOLTO_BEHIND_PROXY = env_bool("ASCOLTO_BEHIND_PROXY", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if ASCOLTO_BEHIND_PROXY else None
SECURE_REFERRER_POLICY = "same-origin"
# A form sent without a valid token gets the site's own page (an expired page, cookies blocked).
CSRF_FAILURE_VIEW = "ascolto.web.views.errors.csrf_failure"
X_FRAME_OPTIONS = "DENY"

# --- Web hardening (issue 16): CSP, headers, no-store ------------------------------------------
# docs/security/web.md. Every script and style comes from this site's static files: no inline
# code and no style attribute (a page that truly needs inline code uses `request.csp_nonce`).
# Images and fonts also from `data:` URIs (Bootstrap Italia's CSS draws its form controls and an
# icon font with them). Only the embeddable alert banner may be framed, by the origins of
# ASCOLTO_EMBED_ORIGINS (comma separated, e.g. "https://www.comune.example.it"; "*" any site,
# the default, as the banner was meant to be pasted in any page of the city).
from csp.constants import NONCE, NONE, SELF  # noqa: E402 (kept in this part's block)

ASCOLTO_EMBED_ORIGINS = env_list("ASCOLTO_EMBED_ORIGINS", "*") or ["*"]
ASCOLTO_EMBED_PATHS = ("/avvisi/banner/",)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "media-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
# Permissions-Policy: no page uses the camera, the microphone, the position or payments.
_NO_DEVICE = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
ASCOLTO_PERMISSIONS_POLICY = env("ASCOLTO_PERMISSIONS_POLICY", _NO_DEVICE) or ""
# Responses never kept by a browser or a proxy (Cache-Control: no-store): every page and file
# under these path prefixes, for they show personal data: the console, the admin, the API, and
# the citizen pages of one request (its status, the confirmation, the assistant's chat) ...
ASCOLTO_NO_STORE_PATHS = tuple(
    env_list(
        "ASCOLTO_NO_STORE_PATHS",
        "/console/,/admin/,/api/,/scrivi/pratica/,/scrivi/inviata/,/scrivi/assistente/",
    )
)
# ... except these, public and cacheable (the alerts feed the portal reads, the API's docs).
ASCOLTO_PUBLIC_PATHS = tuple(
    env_list("ASCOLTO_PUBLIC_PATHS", "/api/v1/alerts,/api/v1/docs,/api/v1/openapi.json")
)
# Paths another site's page may load (Cross-Origin-Resource-Policy: cross-origin); every other
# response is same-origin.
ASCOLTO_CROSS_ORIGIN_PATHS = (
    "/avvisi/banner/",
    "/api/v1/alerts",
    # The portal's scripts: the embedded page rating and the online services' survey box.
    "/static/web/portal/",
    "/scrivi/valutazione/portale/",
)
# The city portal's origins whose pages embed the page rating (docs/surveys-invitations.md):
# the only origins its endpoint answers (CORS, no cookies), comma separated; empty: none.
ASCOLTO_PORTAL_ORIGINS = tuple(env_list("ASCOLTO_PORTAL_ORIGINS", ""))

# --- Single sign-on with the city's directory (issue 16: OIDC for staff) ----------------------
# docs/accounts.md "Single sign-on", decision 0021. Off unless an issuer (whose discovery
# document names the endpoints) or the endpoints themselves are set. The ASCOLTO_OIDC_* names
# are read here and handed to mozilla-django-oidc as its OIDC_* settings.
ASCOLTO_OIDC_ISSUER = (env("ASCOLTO_OIDC_ISSUER", "") or "").rstrip("/")
ASCOLTO_OIDC_AUTHORIZATION_ENDPOINT = env("ASCOLTO_OIDC_AUTHORIZATION_ENDPOINT", "") or ""
ASCOLTO_OIDC_TOKEN_ENDPOINT = env("ASCOLTO_OIDC_TOKEN_ENDPOINT", "") or ""
ASCOLTO_OIDC_USERINFO_ENDPOINT = env("ASCOLTO_OIDC_USERINFO_ENDPOINT", "") or ""
ASCOLTO_OIDC_JWKS_ENDPOINT = env("ASCOLTO_OIDC_JWKS_ENDPOINT", "") or ""
# Where the provider signs the user out too (RP-initiated logout); empty: the discovery's.
ASCOLTO_OIDC_END_SESSION_ENDPOINT = env("ASCOLTO_OIDC_END_SESSION_ENDPOINT", "") or ""
ASCOLTO_OIDC_ENABLED = bool(ASCOLTO_OIDC_ISSUER or ASCOLTO_OIDC_AUTHORIZATION_ENDPOINT)
ASCOLTO_OIDC_CLIENT_ID = env("ASCOLTO_OIDC_CLIENT_ID", "") or ""
ASCOLTO_OIDC_CLIENT_SECRET = env("ASCOLTO_OIDC_CLIENT_SECRET", "") or ""
if ASCOLTO_OIDC_ENABLED and not (ASCOLTO_OIDC_CLIENT_ID and ASCOLTO_OIDC_CLIENT_SECRET):
    raise ImproperlyConfigured(
        "Single sign-on is on (ASCOLTO_OIDC_ISSUER or ASCOLTO_OIDC_AUTHORIZATION_ENDPOINT is set) "
        "but ASCOLTO_OIDC_CLIENT_ID or ASCOLTO_OIDC_CLIENT_SECRET is empty."
    )
ASCOLTO_OIDC_SCOPES = env("ASCOLTO_OIDC_SCOPES", "openid email profile groups") or "openid"
# The claims that name the user, list their groups and their office (a dotted path such as
# "realm_access.roles" reaches into a nested claim).
ASCOLTO_OIDC_USERNAME_CLAIM = env("ASCOLTO_OIDC_USERNAME_CLAIM", "preferred_username") or "sub"
ASCOLTO_OIDC_GROUPS_CLAIM = env("ASCOLTO_OIDC_GROUPS_CLAIM", "groups") or "groups"
ASCOLTO_OIDC_OFFICE_CLAIM = env("ASCOLTO_OIDC_OFFICE_CLAIM", "") or ""
# Directory group → role ("crm-operatori=first_level,crm-supervisori=supervisor"); the first
# entry that matches one of the user's groups wins; no match: the sign-in is refused.
ASCOLTO_OIDC_ROLE_MAP = env("ASCOLTO_OIDC_ROLE_MAP", "") or ""
# Office claim value → office code ("DIR-TRIB-01=dir-tributi"); a value not listed is taken as
# an office code itself.
ASCOLTO_OIDC_OFFICE_MAP = env("ASCOLTO_OIDC_OFFICE_MAP", "") or ""
# The directory's own second factor stands for the console's when the ID token's `amr` names
# one of these methods or its `acr` is one of the trusted values (empty: none trusted).
ASCOLTO_OIDC_TRUSTED_AMR = env_list("ASCOLTO_OIDC_TRUSTED_AMR", "mfa,otp")
ASCOLTO_OIDC_TRUSTED_ACR = env_list("ASCOLTO_OIDC_TRUSTED_ACR", "")
OIDC_RP_CLIENT_ID = ASCOLTO_OIDC_CLIENT_ID
OIDC_RP_CLIENT_SECRET = ASCOLTO_OIDC_CLIENT_SECRET
OIDC_RP_SIGN_ALGO = "RS256"
OIDC_RP_SCOPES = ASCOLTO_OIDC_SCOPES
OIDC_OP_AUTHORIZATION_ENDPOINT = ASCOLTO_OIDC_AUTHORIZATION_ENDPOINT
OIDC_OP_TOKEN_ENDPOINT = ASCOLTO_OIDC_TOKEN_ENDPOINT
OIDC_OP_USER_ENDPOINT = ASCOLTO_OIDC_USERINFO_ENDPOINT
OIDC_OP_JWKS_ENDPOINT = ASCOLTO_OIDC_JWKS_ENDPOINT
OIDC_USE_PKCE = True
OIDC_USE_NONCE = True
OIDC_STORE_ID_TOKEN = True  # the hint of RP-initiated logout
OIDC_TIMEOUT = int(env("ASCOLTO_OIDC_TIMEOUT", "10") or 10)
OIDC_AUTHENTICATION_CALLBACK_URL = "console:sso-callback"
OIDC_REDIRECT_FIELD_NAME = "next"
AUTHENTICATION_BACKENDS = [*AUTHENTICATION_BACKENDS, "ascolto.organisation.sso.DirectoryBackend"]
# RP-initiated logout is a redirect that follows the sign-out form: the browser checks it
# against CSP form-action, so the provider's origin is allowed there.
_csp_directives: dict[str, list[str]] = CONTENT_SECURITY_POLICY["DIRECTIVES"]  # type: ignore[assignment]
for _oidc_url in (ASCOLTO_OIDC_ISSUER, ASCOLTO_OIDC_END_SESSION_ENDPOINT):
    if _oidc_url:
        _origin = urlparse(_oidc_url)
        _csp_directives["form-action"].append(f"{_origin.scheme}://{_origin.netloc}")

# --- Domain ---------------------------------------------------------------------------------
# Longest text accepted in one inbound message; longer input is refused, not truncated.
ASCOLTO_MAX_MESSAGE_CHARS = int(env("ASCOLTO_MAX_MESSAGE_CHARS", "20000") or 20000)
# Region used to read phone numbers written without an international prefix.
ASCOLTO_PHONE_REGION = env("ASCOLTO_PHONE_REGION", "IT") or "IT"
# Public address of the site, for links in emails to citizens (the status page of a request).
ASCOLTO_PUBLIC_URL = (env("ASCOLTO_PUBLIC_URL", "http://127.0.0.1:8000") or "").rstrip("/")
# Citizen pages: the channel their requests arrive on (their rate limits: "Hardening" below).
ASCOLTO_SCRIVI_CHANNEL = env("ASCOLTO_SCRIVI_CHANNEL", "scrivi") or "scrivi"
# How many replies of the assistant one process sends at a time (each session's in order): the
# Graph API answers in ~0.1-0.3 s over the internet; Meta allows 80 messages/s per number.
ASCOLTO_ASSISTANT_SENDERS = int(env("ASCOLTO_ASSISTANT_SENDERS", "8") or 8)
# The assistant's menu the web chat runs (its code); empty: the first menu published.
ASCOLTO_ASSISTANT_WEB_MENU = env("ASCOLTO_ASSISTANT_WEB_MENU", "") or ""
# How many days the link to answer a question on the status page stays valid (tickets.answers).
ASCOLTO_ANSWER_LINK_DAYS = int(env("ASCOLTO_ANSWER_LINK_DAYS", "30") or 30)
# The version of the privacy notice the Scrivi form shows (web/scrivi/privacy.html): stored with
# each citizen's consent, so change it whenever the notice's text changes.
ASCOLTO_PRIVACY_NOTICE_VERSION = env("ASCOLTO_PRIVACY_NOTICE_VERSION", "2026-11-22") or "2026-11-22"
# Name of the municipality, shown to citizens and used in tracking-code prefixes.
ASCOLTO_MUNICIPALITY = env("ASCOLTO_MUNICIPALITY", "Comune di Milano") or "Comune di Milano"

# Cost of one handled call in EUR, for the allocation of contact-center costs to budget lines.
ASCOLTO_COST_PER_CALL = env("ASCOLTO_COST_PER_CALL", "2.00") or "2.00"
# Average handling time of a callback in seconds, for the capacity of callback slots.
ASCOLTO_CALLBACK_AHT_SECONDS = int(env("ASCOLTO_CALLBACK_AHT_SECONDS", "300") or 300)
# The secret the telephony system signs its webhooks with (finished calls; calls ringing, for the
# screen-pop); empty: they refuse every request. And how far their timestamp may be from now (s).
ASCOLTO_TELEPHONY_SECRET = env("ASCOLTO_TELEPHONY_SECRET", "") or ""
ASCOLTO_TELEPHONY_TOLERANCE = int(env("ASCOLTO_TELEPHONY_TOLERANCE", "300") or 300)

# Meta's Graph API, with its version: WhatsApp, Messenger and Instagram replies, media, comment
# moderation (channels/adapters/meta/graph.py). The tests and the demo point it at the local
# sandbox (`python -m ascolto meta_sandbox`). The size cap of one downloaded media file (bytes).
ASCOLTO_META_GRAPH_URL = (
    env("ASCOLTO_META_GRAPH_URL", "https://graph.facebook.com/v23.0")
    or "https://graph.facebook.com/v23.0"
).rstrip("/")
ASCOLTO_META_MEDIA_MAX_BYTES = int(
    env("ASCOLTO_META_MEDIA_MAX_BYTES", str(25 * 1024 * 1024)) or 25 * 1024 * 1024
)
# How many days a processed Meta webhook delivery (its body as it arrived: personal data) is
# kept before `prune_webhooks` deletes it; what it carried lives on in the messages.
ASCOLTO_WEBHOOK_RETENTION_DAYS = int(env("ASCOLTO_WEBHOOK_RETENTION_DAYS", "30") or 30)
# Tables that would grow forever, pruned by `prune_tables` each night (core/maintenance.py):
# intake-queue rows taken in (or handled by hand), processed outbox events, and finished
# background-task rows are deleted after this many days. A row still waiting is never deleted.
ASCOLTO_RETENTION_QUEUE_DAYS = int(env("ASCOLTO_RETENTION_QUEUE_DAYS", "30") or 30)
ASCOLTO_RETENTION_OUTBOX_DAYS = int(env("ASCOLTO_RETENTION_OUTBOX_DAYS", "30") or 30)
ASCOLTO_RETENTION_TASKS_DAYS = int(env("ASCOLTO_RETENTION_TASKS_DAYS", "14") or 14)
# Outgoing webhook calls (api.WebhookCall) delivered, or failed and not sent again, are deleted
# after this many days; a pending call never is.
ASCOLTO_RETENTION_WEBHOOK_CALLS_DAYS = int(env("ASCOLTO_RETENTION_WEBHOOK_CALLS_DAYS", "30") or 30)
# `/readyz` answers 503 when a request has waited in the intake queue, an outbox event to be
# processed, or a due background task to be started, longer than these many seconds.
ASCOLTO_READY_QUEUE_LAG = int(env("ASCOLTO_READY_QUEUE_LAG", "120") or 120)
ASCOLTO_READY_OUTBOX_LAG = int(env("ASCOLTO_READY_OUTBOX_LAG", "300") or 300)
ASCOLTO_READY_TASK_LAG = int(env("ASCOLTO_READY_TASK_LAG", "300") or 300)
# `/metrics` (Prometheus) answers only a scrape with `Authorization: Bearer <this token>`; unset,
# the endpoint does not exist. Several processes on a node: PROMETHEUS_MULTIPROC_DIR.
ASCOLTO_METRICS_TOKEN = env("ASCOLTO_METRICS_TOKEN", "") or ""

# The approved WhatsApp template alerts on current topics go out with to the citizens who
# subscribed (knowledge/alerts.py): its name as in the WhatsApp channel's "templates"; {{1}} the
# alert's title, {{2}} its text, {{3}} its link (docs/alerts.md).
ASCOLTO_ALERT_TEMPLATE = env("ASCOLTO_ALERT_TEMPLATE", "avviso_comune") or "avviso_comune"

# --- Hardening: uploads and rate limits (issue 16, files part; docs/security/files.md) -------
# Largest image accepted, in pixels (width × height, read from the header before decoding):
# larger ones, decompression bombs included, are refused (channels/files.py).
ASCOLTO_UPLOAD_MAX_PIXELS = int(env("ASCOLTO_UPLOAD_MAX_PIXELS", "40000000") or 40_000_000)
# Rate limits of the public endpoints (core/ratelimit.py; docs/deploy.md "Rate limits"): "20/h",
# "100/10m", N/s N/m N/h N/d; "0/h" turns one off. Generous per client address (a carrier's
# NAT, a front-desk kiosk), tighter per browser, chat, or tracking code.
ASCOLTO_SCRIVI_RATE_LIMIT = env("ASCOLTO_SCRIVI_RATE_LIMIT", "60/h") or "60/h"
ASCOLTO_SCRIVI_BROWSER_RATE_LIMIT = env("ASCOLTO_SCRIVI_BROWSER_RATE_LIMIT", "10/h") or "10/h"
ASCOLTO_RATING_RATE_LIMIT = env("ASCOLTO_RATING_RATE_LIMIT", "60/h") or "60/h"
ASCOLTO_RATING_BROWSER_RATE_LIMIT = env("ASCOLTO_RATING_BROWSER_RATE_LIMIT", "20/h") or "20/h"
ASCOLTO_SURVEY_RATE_LIMIT = env("ASCOLTO_SURVEY_RATE_LIMIT", "120/h") or "120/h"
ASCOLTO_SURVEY_BROWSER_RATE_LIMIT = env("ASCOLTO_SURVEY_BROWSER_RATE_LIMIT", "30/h") or "30/h"
ASCOLTO_SERVICE_SURVEY_RATE_LIMIT = env("ASCOLTO_SERVICE_SURVEY_RATE_LIMIT", "60/h") or "60/h"
ASCOLTO_SERVICE_SURVEY_BROWSER_RATE_LIMIT = (
    env("ASCOLTO_SERVICE_SURVEY_BROWSER_RATE_LIMIT", "10/h") or "10/h"
)
ASCOLTO_ASSISTANT_RATE_LIMIT = env("ASCOLTO_ASSISTANT_RATE_LIMIT", "240/h") or "240/h"
ASCOLTO_ASSISTANT_SESSION_RATE_LIMIT = env("ASCOLTO_ASSISTANT_SESSION_RATE_LIMIT", "60/h") or "60/h"
ASCOLTO_STATUS_RATE_LIMIT = env("ASCOLTO_STATUS_RATE_LIMIT", "300/h") or "300/h"
ASCOLTO_STATUS_CODE_RATE_LIMIT = env("ASCOLTO_STATUS_CODE_RATE_LIMIT", "60/h") or "60/h"
ASCOLTO_STATUS_MISS_RATE_LIMIT = env("ASCOLTO_STATUS_MISS_RATE_LIMIT", "20/h") or "20/h"
ASCOLTO_ANSWER_CODE_RATE_LIMIT = env("ASCOLTO_ANSWER_CODE_RATE_LIMIT", "10/h") or "10/h"
ASCOLTO_WEBHOOK_RATE_LIMIT = env("ASCOLTO_WEBHOOK_RATE_LIMIT", "6000/m") or "6000/m"
ASCOLTO_ALERTS_RATE_LIMIT = env("ASCOLTO_ALERTS_RATE_LIMIT", "600/m") or "600/m"
ASCOLTO_OPEN311_RATE_LIMIT = env("ASCOLTO_OPEN311_RATE_LIMIT", "600/m") or "600/m"

# --- Open311 GeoReport v2 (docs/open311.md) and the outgoing webhooks (docs/webhooks.md) ------
# The channel (of kind API) Open311 requests come in by; the jurisdiction_id the endpoint
# answers to (empty: any, one city per endpoint); the discovery's contact, key service text and
# changeset (the time the endpoint last changed).
ASCOLTO_OPEN311_CHANNEL = env("ASCOLTO_OPEN311_CHANNEL", "open311") or "open311"
ASCOLTO_OPEN311_JURISDICTION = env("ASCOLTO_OPEN311_JURISDICTION", "") or ""
ASCOLTO_OPEN311_CONTACT = env("ASCOLTO_OPEN311_CONTACT", "") or ""
ASCOLTO_OPEN311_KEY_SERVICE = env("ASCOLTO_OPEN311_KEY_SERVICE", "") or ""
ASCOLTO_OPEN311_CHANGESET = env("ASCOLTO_OPEN311_CHANGESET", "") or ""
# Whether a webhook subscription may use plain http:// to the loopback (127.0.0.1, ::1,
# localhost): for development and the tests only; every other address must be https://.
ASCOLTO_WEBHOOKS_ALLOW_LOOPBACK = env_bool("ASCOLTO_WEBHOOKS_ALLOW_LOOPBACK", DEBUG)

# --- Access log of personal data (issue 16: audit) -----------------------------------------
# How many days a record of the access log (who read whose personal data, audit.AccessRecord)
# is kept before `prune_access_log` deletes it; the only deletion the log allows
# (docs/access-log.md). Two years by default.
ASCOLTO_ACCESS_LOG_DAYS = int(env("ASCOLTO_ACCESS_LOG_DAYS", "730") or 730)

# --- Data protection (GDPR tools: docs/privacy.md) ------------------------------------------
# Where the citizens' access archives (ZIP and PDF) are written: outside every served folder
# (not under MEDIA_ROOT nor STATIC_ROOT); and how many days one stays there before it is deleted.
ASCOLTO_PRIVACY_ARCHIVE_DIR = Path(env("ASCOLTO_PRIVACY_ARCHIVE_DIR") or VAR_DIR / "privacy")
ASCOLTO_PRIVACY_ARCHIVE_DAYS = int(env("ASCOLTO_PRIVACY_ARCHIVE_DAYS", "7") or 7)
# The retention policy `apply_retention` applies each night: closed cases anonymised after N
# years (cases under a legal hold excepted); the assistant's sessions deleted after M months;
# raw payloads of messages, processed intake-queue rows and webhook deliveries cleared after K
# months.
ASCOLTO_RETENTION_CASE_YEARS = int(env("ASCOLTO_RETENTION_CASE_YEARS", "5") or 5)
ASCOLTO_RETENTION_SESSION_MONTHS = int(env("ASCOLTO_RETENTION_SESSION_MONTHS", "12") or 12)
ASCOLTO_RETENTION_RAW_MONTHS = int(env("ASCOLTO_RETENTION_RAW_MONTHS", "6") or 6)
# Staff sign-ins recorded by django-axes (username, address, browser; failures and lock
# counts too) are deleted after this many days (default 180).
ASCOLTO_RETENTION_SIGNIN_DAYS = int(env("ASCOLTO_RETENTION_SIGNIN_DAYS", "180") or 180)
# The key of the keyed hash that replaces an erased citizen's handles (so their past contacts
# still count as one person's, and the handle cannot be guessed back). Unset: from SECRET_KEY.
ASCOLTO_ERASURE_KEY = env("ASCOLTO_ERASURE_KEY") or f"erasure:{SECRET_KEY}"

# --- Logging --------------------------------------------------------------------------------
# Log lines carry ids, never names, handles or message text (see docs/privacy.md). The line of a
# server error carries the incident id its 500 page showed (core/incidents.py).
# Log lines: `plain` text, or `json` (one object per line, with the request id: core/logs.py),
# the default in production.
LOG_FORMAT = env("ASCOLTO_LOG_FORMAT", "json" if PRODUCTION else "plain") or "plain"
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"ASCOLTO_LOG_FORMAT must be plain or json: {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "timestamp": False,
        },
    },
    "filters": {
        "incident": {"()": "ascolto.core.incidents.IncidentFilter"},
        "request_id": {"()": "ascolto.core.logs.RequestIdFilter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env("ASCOLTO_LOG_LEVEL", "INFO") or "INFO"},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # httpx logs every request's URL at INFO: Graph URLs carry comment and media ids.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
        # WeasyPrint logs each step of every report PDF at INFO, fontTools each font subset.
        "weasyprint.progress": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        "django.request": {"filters": ["incident"]},
        # django-axes logs each sign-in with the username and address: staff's personal data.
        "axes": {"level": "ERROR"},
        # At DEBUG a template's missing variable is logged with the page's whole context: the
        # citizen's name, handles and messages (the GDPR tools' log test, docs/privacy.md).
        "django.template": {"level": "INFO"},
    },
}
