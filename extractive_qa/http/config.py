"""
How the HTTP server may be reached and what it allows: exposure, the API key, request limits, CORS.

Everything is read from environment variables, so `hayhooks run`, `extractive-qa serve` and a container
configure the server the same way:

| setting | environment variable | default |
|---|---|---|
| exposed | `EQA_EXPOSED` | on when the server binds anything but a loopback address |
| api_key | `EQA_API_KEY` | none (no key asked on loopback; an exposed server refuses to start without one) |
| allow_anonymous | `EQA_ALLOW_ANONYMOUS` | off: serve an exposed server without a key (behind your own auth proxy) |
| max_body_bytes | `EQA_MAX_BODY_BYTES` | 5 MiB |
| max_upload_bytes | `EQA_MAX_UPLOAD_BYTES` | 20 MiB: the largest body of a file upload (`POST /upload`) |
| max_documents | `EQA_MAX_DOCUMENTS` | 100 texts per indexing request |
| max_concurrent | `EQA_MAX_CONCURRENT` | what the reader's engine batches at once (CPU: 16 per worker; GPU: 256) |
| max_queue | `EQA_MAX_QUEUE` | 32 requests waiting for their turn; more are answered 503 |
| queue_timeout | `EQA_QUEUE_TIMEOUT` | 60 seconds of waiting, then 503 |
| cors_origins | `EQA_CORS_ORIGINS` | none (CORS off); a comma-separated list of origins |
| allowed_hosts | `EQA_ALLOWED_HOSTS` | none: only loopback names in `Host` (exposed: any); a list of names, or `*` |
| show_file_paths | `EQA_SHOW_FILE_PATHS` | off: answers show the file's name, not its path on the server's disk |
| mcp | `EQA_MCP` | on: the MCP tools at `/mcp` (MCP Streamable HTTP); 0 turns them off |

The longest question is `EQA_MAX_QUESTION_CHARS` (see `extractive_qa.settings.Settings`).
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from extractive_qa.errors import InvalidSettings, UnsafeToServe
from extractive_qa.settings import env_flag, env_number

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
MIN_API_KEY_CHARS = 16
API_KEY_HEADER = "X-API-Key"
HOST_NAME = re.compile(r"[a-z0-9_]([a-z0-9_.-]{0,251}[a-z0-9])?")


def host_name(host: str) -> str:
    """The name in a `Host` header or an origin's network location, without its port: `[::1]:8000` -> `::1`."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].partition("]")[0]
    if host.count(":") == 1:
        host = host.partition(":")[0]
    return host.rstrip(".")


def origin_authority(origin: str) -> str | None:
    """
    An `Origin` header's host and port as a `Host` header would carry them (default ports left out), or `None` for
    an opaque origin (`null`) or anything that is no origin.
    """
    try:
        parts = urlsplit(origin.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    default = 443 if parts.scheme == "https" else 80
    name = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return name if port in (None, default) else f"{name}:{port}"


def request_authority(host: str) -> str:
    """A `Host` header as `origin_authority` writes it: lower case, default ports (80, 443) left out."""
    host = host.strip().lower()
    for default in (":80", ":443"):
        if host.endswith(default):
            return host[: -len(default)]
    return host


def is_loopback(host: str | None) -> bool:
    """Whether a host name or address only reaches this machine (`localhost`, 127.0.0.0/8, ::1)."""
    if not host:
        return False
    name = host.strip().strip("[]").lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class ServeConfig:
    """What the server exposes and its limits; see the module description for the environment variables."""

    host: str = "127.0.0.1"
    exposed: bool = False
    api_key: str | None = field(default=None, repr=False)
    allow_anonymous: bool = False
    max_body_bytes: int = 5 * 1024 * 1024
    max_upload_bytes: int = 20 * 1024 * 1024
    max_documents: int = 100
    max_concurrent: int | None = None
    max_queue: int = 32
    queue_timeout: float = 60.0
    cors_origins: tuple[str, ...] = ()
    allowed_hosts: tuple[str, ...] = ()
    show_file_paths: bool = False
    mcp: bool = True

    def __post_init__(self) -> None:
        if self.api_key is not None and len(self.api_key) < MIN_API_KEY_CHARS:
            raise InvalidSettings(
                f"EQA_API_KEY must be at least {MIN_API_KEY_CHARS} characters "
                "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))')"
            )

    @classmethod
    def from_env(cls, host: str | None = None) -> ServeConfig:
        """
        Reads the configuration from the environment.

        :param host: The address the server binds; `None` takes hayhooks' (`HAYHOOKS_HOST`, default localhost).
            Any address but a loopback one makes the server exposed; `EQA_EXPOSED=1` forces it (for a server
            behind a proxy on the same machine, or in a container, where the bind address says nothing).
        """
        if host is None:
            from hayhooks.settings import settings as hayhooks_settings

            host = hayhooks_settings.host
        forced = env_flag("EQA_EXPOSED")
        exposed = forced if forced is not None else not is_loopback(host)
        if forced is False and not is_loopback(host):
            raise InvalidSettings(f"EQA_EXPOSED=0 but the server binds {host!r}, which other machines can reach")
        origins = tuple(o.strip() for o in os.environ.get("EQA_CORS_ORIGINS", "").split(",") if o.strip())
        if "*" in origins:
            raise InvalidSettings("EQA_CORS_ORIGINS must list origins (https://app.example.com), not '*'")
        for origin in origins:
            if origin_authority(origin) is None:
                raise InvalidSettings(f"EQA_CORS_ORIGINS: {origin!r} is not an origin (https://app.example.com)")
        hosts = tuple(h.strip().lower() for h in os.environ.get("EQA_ALLOWED_HOSTS", "").split(",") if h.strip())
        for name in hosts:
            if name != "*" and not HOST_NAME.fullmatch(name):
                raise InvalidSettings(
                    f"EQA_ALLOWED_HOSTS: {name!r} is not a host name (qa.example.com, without scheme or port)"
                )
        return cls(
            host=host,
            exposed=exposed,
            api_key=os.environ.get("EQA_API_KEY") or None,
            allow_anonymous=bool(env_flag("EQA_ALLOW_ANONYMOUS")),
            max_body_bytes=int(env_number("EQA_MAX_BODY_BYTES", cls.max_body_bytes, 1024)),
            max_upload_bytes=int(env_number("EQA_MAX_UPLOAD_BYTES", cls.max_upload_bytes, 1024)),
            max_documents=int(env_number("EQA_MAX_DOCUMENTS", cls.max_documents, 1)),
            max_concurrent=env_number("EQA_MAX_CONCURRENT", None, 1),
            max_queue=int(env_number("EQA_MAX_QUEUE", cls.max_queue, 0)),
            queue_timeout=float(env_number("EQA_QUEUE_TIMEOUT", cls.queue_timeout, 0.0, float)),
            cors_origins=origins,
            allowed_hosts=hosts,
            show_file_paths=bool(env_flag("EQA_SHOW_FILE_PATHS")),
            mcp=env_flag("EQA_MCP") is not False,
        )

    def check_startup(self) -> None:
        """Refuses an exposed server without an API key, unless anonymous access was asked for explicitly."""
        if self.exposed and not self.api_key and not self.allow_anonymous:
            raise InvalidSettings(
                "the server is exposed (bound to a non-loopback address or EQA_EXPOSED=1) but EQA_API_KEY is not "
                "set; set EQA_API_KEY, or EQA_ALLOW_ANONYMOUS=1 if something in front of it authenticates"
            )

    def host_allowed(self, host: str) -> bool:
        """
        Whether a request's `Host` header names this server, so that no other name's page reaches it (DNS
        rebinding): loopback names, the names in `EQA_ALLOWED_HOSTS`, and on an exposed server without that list
        any name (the key guards it; the list narrows it).
        """
        name = host_name(host)
        if is_loopback(name) or "*" in self.allowed_hosts or name in self.allowed_hosts:
            return True
        return self.exposed and not self.allowed_hosts

    def is_cross_site(self, headers: Mapping[str, str]) -> bool:
        """
        Whether a browser sent the request from another site's page (`Sec-Fetch-Site`, else `Origin`, against the
        request's own `Host`); the origins in `EQA_CORS_ORIGINS` are not another site. Clients that are no browser
        (curl, Python) send neither header and are not cross-site.

        :param headers: The request's headers, names in lower case.
        """
        origin = headers.get("origin")
        if origin is not None and origin.strip() in self.cors_origins:
            return False
        fetch_site = headers.get("sec-fetch-site", "").strip().lower()
        if fetch_site and fetch_site not in ("same-origin", "none"):
            return True
        if origin is None:
            return False
        authority = origin_authority(origin)
        return authority is None or authority != request_authority(headers.get("host", ""))

    def key_matches(self, headers: Mapping[str, str] | None) -> bool:
        """
        Whether the request carries the API key (`Authorization: Bearer KEY` or `X-API-Key: KEY`).

        Always true when no key is configured. Compares in constant time.
        """
        if not self.api_key:
            return True
        if headers is None:
            return False
        given = headers.get(API_KEY_HEADER.lower()) or headers.get(API_KEY_HEADER) or ""
        authorization = headers.get("authorization") or headers.get("Authorization") or ""
        scheme, _, token = authorization.partition(" ")
        if not given and scheme.lower() == "bearer":
            given = token.strip()
        return hmac.compare_digest(given.encode("utf-8"), self.api_key.encode("utf-8"))


UNAUTHORIZED_MESSAGE = "missing or wrong API key: send it as 'Authorization: Bearer <key>' or 'X-API-Key: <key>'"


def check_plain_hayhooks(config: ServeConfig) -> None:
    """
    Stops a plain `hayhooks run` (the wrappers served without `extractive-qa serve`) where it would be unsafe.

    A stock `hayhooks run` also serves `/deploy_files`, `/deploy-yaml` and `/undeploy/{name}` without
    authentication, and nothing in it checks an API key: on a loopback address that is hayhooks' developer set-up;
    exposed, it lets anybody run code on the machine, and a configured key would not be asked for. So the wrappers
    call this in `setup()` when `extractive-qa serve` did not start them.

    :raises UnsafeToServe: For an exposed configuration or a configured API key, with what to run instead.
    """
    if config.exposed:
        reason = "EQA_EXPOSED=1" if is_loopback(config.host) else f"bound to {config.host!r}"
        raise UnsafeToServe(
            f"refusing to serve an exposed server ({reason}) with a plain 'hayhooks run': it would expose hayhooks' "
            "unauthenticated deploy endpoints. Run 'extractive-qa serve --host ADDRESS' (with EQA_API_KEY set), "
            "or bind 127.0.0.1."
        )
    if config.api_key:
        raise UnsafeToServe(
            "EQA_API_KEY is set, but a plain 'hayhooks run' cannot ask for it; run 'extractive-qa serve', which does"
        )
