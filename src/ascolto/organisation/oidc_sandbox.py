"""A local OpenID Connect provider: the city's directory on the loopback, for the tests of single
sign-on and for a developer trying it (`python -m ascolto oidc_sandbox`).

It is a TEST PEER, not production code: it signs anybody in as the one configured user without
asking for a password. It exists so the console's client (mozilla-django-oidc and
`organisation.sso`) runs its whole stack against a real provider over HTTP: discovery, the
authorization-code flow with PKCE, an RS256 ID token signed with a key made at start and
published as a JWKS, the userinfo endpoint and RP-initiated logout.

Endpoints (`url` is the issuer):
- `GET /.well-known/openid-configuration`: the discovery document;
- `GET /authorize`: checks the client id, the response type and the PKCE challenge, then
  approves `user` at once and redirects to `redirect_uri` with a one-time code and the `state`
  (with `user` None it answers `error=access_denied`, as a directory refusing the person);
- `POST /token`: checks the code (once, for its redirect URI), the client's secret (form fields or
  HTTP Basic) and the PKCE verifier; answers an access token and the ID token with the nonce;
- `GET /jwks`: the public key; `GET /userinfo` (bearer token): the user's claims;
- `GET /logout`: ends the "provider session" (recorded in `logouts`) and redirects to
  `post_logout_redirect_uri`.

`fault` makes the provider misbehave for the tests of the client's checks: "bad-signature"
(signed with another key under the published key id), "wrong-nonce", "wrong-audience",
"wrong-issuer", "expired" (iat and exp in the past). The clock is `time.time()`, so a test that
pins it with time-machine pins the provider's too (the thread shares the patched clock).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

DEFAULT_CLIENT_ID = "ascolto"
DEFAULT_CLIENT_SECRET = "sandbox-secret"  # noqa: S105 (the sandbox's own, public, secret)
FAULTS = frozenset(
    {"", "bad-signature", "wrong-nonce", "wrong-audience", "wrong-issuer", "expired"}
)
CODE_SECONDS = 60
TOKEN_SECONDS = 300


def default_user() -> dict[str, Any]:
    """A member of staff of the demo city, as a directory describes them."""
    return {
        "sub": "dir-0001",
        "preferred_username": "elena.bruni",
        "email": "elena.bruni@comune.example.it",
        "given_name": "Elena",
        "family_name": "Bruni",
        "groups": ["dipendenti", "crm-operatori"],
        "department": "contact-center",
        "amr": ["pwd", "mfa"],
        "acr": "",
    }


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class _Grant:
    client_id: str
    redirect_uri: str
    nonce: str
    challenge: str
    method: str
    claims: dict[str, Any]
    expires: float


@dataclass
class OIDCSandbox:
    """The provider; `start()` it, point `ASCOLTO_OIDC_ISSUER` at `url`, `stop()` it."""

    host: str = "127.0.0.1"
    port: int = 0
    client_id: str = DEFAULT_CLIENT_ID
    client_secret: str = DEFAULT_CLIENT_SECRET
    # The person the provider signs in (None: it refuses everybody).
    user: dict[str, Any] | None = field(default_factory=default_user)
    fault: str = ""
    require_pkce: bool = True
    # RP-initiated logouts received: the query of each.
    logouts: list[dict[str, str]] = field(default_factory=list)
    # Token requests received, for a test to read what the client sent (secrets included).
    token_requests: list[dict[str, str]] = field(default_factory=list)
    _key: rsa.RSAPrivateKey = field(default_factory=_new_key)
    _kid: str = field(default_factory=lambda: secrets.token_hex(8))
    _grants: dict[str, _Grant] = field(default_factory=dict)
    _tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    def start(self) -> OIDCSandbox:
        sandbox = self

        class Handler(_Handler):
            provider = sandbox

        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="oidc-sandbox", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def wait(self) -> None:
        """Block until the server stops (the management command serves this way)."""
        if self._thread is not None:
            self._thread.join()

    @property
    def url(self) -> str:
        """The issuer: discovery lives under it."""
        return f"http://{self.host}:{self.port}"

    def reset(self, user: dict[str, Any] | None = None) -> None:
        """Back to a well-behaved provider signing in `user` (the default user without one)."""
        with self._lock:
            self.user = user if user is not None else default_user()
            self.fault = ""
            self.require_pkce = True
            self.logouts.clear()
            self.token_requests.clear()
            self._grants.clear()
            self._tokens.clear()

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.url,
            "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token",
            "userinfo_endpoint": f"{self.url}/userinfo",
            "jwks_uri": f"{self.url}/jwks",
            "end_session_endpoint": f"{self.url}/logout",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "scopes_supported": ["openid", "email", "profile", "groups"],
        }

    def jwks(self) -> dict[str, Any]:
        jwk = RSAAlgorithm.to_jwk(self._key.public_key(), as_dict=True)
        jwk.update({"kid": self._kid, "alg": "RS256", "use": "sig"})
        return {"keys": [jwk]}

    # --- the flow ---------------------------------------------------------------------------

    def authorize(self, query: dict[str, str]) -> tuple[int, str]:
        """(status, Location or error text) of an authorization request."""
        if query.get("client_id") != self.client_id:
            return 400, "unknown client_id"
        redirect_uri = query.get("redirect_uri", "")
        if not redirect_uri.startswith(("http://", "https://")):
            return 400, "redirect_uri missing"
        state = query.get("state", "")
        if query.get("response_type") != "code":
            return 302, _with(redirect_uri, error="unsupported_response_type", state=state)
        challenge = query.get("code_challenge", "")
        method = query.get("code_challenge_method", "plain" if challenge else "")
        if self.require_pkce and not (challenge and method == "S256"):
            return 302, _with(
                redirect_uri, error="invalid_request", error_description="PKCE", state=state
            )
        with self._lock:
            if self.user is None:
                return 302, _with(redirect_uri, error="access_denied", state=state)
            code = secrets.token_urlsafe(24)
            self._grants[code] = _Grant(
                client_id=self.client_id,
                redirect_uri=redirect_uri,
                nonce=query.get("nonce", ""),
                challenge=challenge,
                method=method,
                claims=dict(self.user),
                expires=time.time() + CODE_SECONDS,
            )
        return 302, _with(redirect_uri, code=code, state=state)

    def token(self, form: dict[str, str], authorization: str) -> tuple[int, dict[str, Any]]:
        """(status, JSON) of a token request."""
        self.token_requests.append(dict(form))
        client_id, client_secret = form.get("client_id", ""), form.get("client_secret", "")
        if authorization.lower().startswith("basic "):
            decoded = base64.b64decode(authorization[6:]).decode()
            client_id, _, client_secret = decoded.partition(":")
        if client_id != self.client_id or not secrets.compare_digest(
            client_secret, self.client_secret
        ):
            return 401, {"error": "invalid_client"}
        if form.get("grant_type") != "authorization_code":
            return 400, {"error": "unsupported_grant_type"}
        with self._lock:
            grant = self._grants.pop(form.get("code", ""), None)  # one use only
        if grant is None or grant.expires < time.time():
            return 400, {"error": "invalid_grant", "error_description": "unknown or used code"}
        if grant.redirect_uri != form.get("redirect_uri"):
            return 400, {"error": "invalid_grant", "error_description": "redirect_uri"}
        if grant.challenge and not _pkce_ok(form.get("code_verifier", ""), grant):
            return 400, {"error": "invalid_grant", "error_description": "code_verifier"}
        access_token = secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[access_token] = grant.claims
        return 200, {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": TOKEN_SECONDS,
            "id_token": self.id_token(grant),
        }

    def id_token(self, grant: _Grant) -> str:
        now = int(time.time())
        claims = dict(grant.claims)
        payload: dict[str, Any] = {
            **{k: v for k, v in claims.items() if v not in ("", None, [])},
            "iss": self.url,
            "aud": self.client_id,
            "iat": now,
            "exp": now + TOKEN_SECONDS,
            "nonce": grant.nonce,
        }
        key = self._key
        if self.fault == "bad-signature":
            key = _new_key()
        elif self.fault == "wrong-nonce":
            payload["nonce"] = secrets.token_urlsafe(16)
        elif self.fault == "wrong-audience":
            payload["aud"] = "another-application"
        elif self.fault == "wrong-issuer":
            payload["iss"] = "http://impostor.invalid"
        elif self.fault == "expired":
            payload["iat"] = now - 2 * TOKEN_SECONDS
            payload["exp"] = now - TOKEN_SECONDS
        return jwt.encode(payload, key, algorithm="RS256", headers={"kid": self._kid})

    def userinfo(self, authorization: str) -> tuple[int, dict[str, Any]]:
        token = authorization[7:] if authorization.lower().startswith("bearer ") else ""
        with self._lock:
            claims = self._tokens.get(token)
        if claims is None:
            return 401, {"error": "invalid_token"}
        return 200, {k: v for k, v in claims.items() if k not in ("amr", "acr")}


def _pkce_ok(verifier: str, grant: _Grant) -> bool:
    if grant.method != "S256" or not verifier:
        return False
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    return secrets.compare_digest(expected, grant.challenge)


def _with(url: str, **params: str) -> str:
    query = urlencode({k: v for k, v in params.items() if v})
    if not query:
        return url
    return f"{url}{'&' if '?' in url else '?'}{query}"


class _Handler(BaseHTTPRequestHandler):
    provider: OIDCSandbox

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the stdlib's name)
        """Quiet: the tests read the provider's records, not its log lines."""

    def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query))
        provider = self.provider
        if parts.path == "/.well-known/openid-configuration":
            self._json(200, provider.discovery())
        elif parts.path == "/jwks":
            self._json(200, provider.jwks())
        elif parts.path == "/authorize":
            status, where = provider.authorize(query)
            if status == 302:
                self._redirect(where)
            else:
                self._text(status, where)
        elif parts.path == "/userinfo":
            self._json(*provider.userinfo(self.headers.get("Authorization", "")))
        elif parts.path == "/logout":
            provider.logouts.append(query)
            back = query.get("post_logout_redirect_uri", "")
            if back.startswith(("http://", "https://")):
                self._redirect(_with(back, state=query.get("state", "")))
            else:
                self._text(200, "signed out of the sandbox directory")
        else:
            self._text(404, "not found")

    def do_POST(self) -> None:  # noqa: N802 (the stdlib's name)
        if urlsplit(self.path).path != "/token":
            self._text(404, "not found")
            return
        length = int(self.headers.get("Content-Length") or 0)
        form = dict(parse_qsl(self.rfile.read(length).decode()))
        self._json(*self.provider.token(form, self.headers.get("Authorization", "")))

    def _json(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def _text(self, status: int, text: str) -> None:
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()
