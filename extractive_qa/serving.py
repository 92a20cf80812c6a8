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
| max_documents | `EQA_MAX_DOCUMENTS` | 100 texts per indexing request |
| max_concurrent | `EQA_MAX_CONCURRENT` | 1 request doing model or indexing work at a time |
| max_queue | `EQA_MAX_QUEUE` | 32 requests waiting for their turn; more are answered 503 |
| queue_timeout | `EQA_QUEUE_TIMEOUT` | 60 seconds of waiting, then 503 |
| cors_origins | `EQA_CORS_ORIGINS` | none (CORS off); a comma-separated list of origins |

The longest question is `EQA_MAX_QUESTION_CHARS` (see `extractive_qa.settings.Settings`).
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

from extractive_qa.errors import InvalidSettings, QAError

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
MIN_API_KEY_CHARS = 16
API_KEY_HEADER = "X-API-Key"


class ServerBusy(QAError):
    """Too many requests are waiting for the model; the client should retry later."""

    http_status = 503


class Unauthorized(QAError):
    """The request carries no API key, or a wrong one."""

    http_status = 401


class UnsafeToServe(SystemExit):
    """
    Stops the server at start-up: it would be reachable from other machines without the application's guard.

    A `SystemExit`, so that hayhooks does not skip the pipeline and carry on serving its deploy endpoints.
    """


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


def _env_flag(name: str) -> bool | None:
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return None
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise InvalidSettings(f"{name} must be 1/true/yes/on or 0/false/no/off, got {os.environ[name]!r}")


def _env_number(name: str, default: float, minimum: float, kind: type = int) -> float:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = kind(value)
    except ValueError as error:
        raise InvalidSettings(f"{name} must be a {'whole ' if kind is int else ''}number, got {value!r}") from error
    if number < minimum:
        raise InvalidSettings(f"{name} must be at least {minimum}, got {value!r}")
    return number


@dataclass(frozen=True)
class ServeConfig:
    """What the server exposes and its limits; see the module description for the environment variables."""

    host: str = "127.0.0.1"
    exposed: bool = False
    api_key: str | None = field(default=None, repr=False)
    allow_anonymous: bool = False
    max_body_bytes: int = 5 * 1024 * 1024
    max_documents: int = 100
    max_concurrent: int = 1
    max_queue: int = 32
    queue_timeout: float = 60.0
    cors_origins: tuple[str, ...] = ()

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
        forced = _env_flag("EQA_EXPOSED")
        exposed = forced if forced is not None else not is_loopback(host)
        if forced is False and not is_loopback(host):
            raise InvalidSettings(f"EQA_EXPOSED=0 but the server binds {host!r}, which other machines can reach")
        origins = tuple(o.strip() for o in os.environ.get("EQA_CORS_ORIGINS", "").split(",") if o.strip())
        if "*" in origins:
            raise InvalidSettings("EQA_CORS_ORIGINS must list origins (https://app.example.com), not '*'")
        return cls(
            host=host,
            exposed=exposed,
            api_key=os.environ.get("EQA_API_KEY") or None,
            allow_anonymous=bool(_env_flag("EQA_ALLOW_ANONYMOUS")),
            max_body_bytes=int(_env_number("EQA_MAX_BODY_BYTES", cls.max_body_bytes, 1024)),
            max_documents=int(_env_number("EQA_MAX_DOCUMENTS", cls.max_documents, 1)),
            max_concurrent=int(_env_number("EQA_MAX_CONCURRENT", cls.max_concurrent, 1)),
            max_queue=int(_env_number("EQA_MAX_QUEUE", cls.max_queue, 0)),
            queue_timeout=float(_env_number("EQA_QUEUE_TIMEOUT", cls.queue_timeout, 0.0, float)),
            cors_origins=origins,
        )

    def check_startup(self) -> None:
        """Refuses an exposed server without an API key, unless anonymous access was asked for explicitly."""
        if self.exposed and not self.api_key and not self.allow_anonymous:
            raise InvalidSettings(
                "the server is exposed (bound to a non-loopback address or EQA_EXPOSED=1) but EQA_API_KEY is not "
                "set; set EQA_API_KEY, or EQA_ALLOW_ANONYMOUS=1 if something in front of it authenticates"
            )

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

    def require_key(self, headers: Mapping[str, str] | None) -> None:
        """Raises `Unauthorized` unless the request carries the API key."""
        if not self.key_matches(headers):
            raise Unauthorized(UNAUTHORIZED_MESSAGE)


UNAUTHORIZED_MESSAGE = "missing or wrong API key: send it as 'Authorization: Bearer <key>' or 'X-API-Key: <key>'"


class WorkGate:
    """
    Bounds the requests doing model (or indexing) work at once, and the requests waiting for their turn.

    A request that finds the queue full, or waits longer than `timeout` seconds, gets `ServerBusy` (HTTP 503).
    """

    def __init__(self, max_running: int, max_waiting: int, timeout: float) -> None:
        """
        :param max_running: Requests running at once.
        :param max_waiting: Requests waiting on top of the running ones.
        :param timeout: Seconds a request waits for its turn.
        """
        self._slots = threading.BoundedSemaphore(max_running)
        self._count_lock = threading.Lock()
        self._admitted = 0
        self.max_running = max_running
        self.max_waiting = max_waiting
        self.timeout = timeout

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Runs the block in a slot; raises `ServerBusy` when there is no room to wait or no turn in time."""
        with self._count_lock:
            if self._admitted >= self.max_running + self.max_waiting:
                raise ServerBusy(
                    f"the server is busy ({self.max_running} request(s) running, {self.max_waiting} waiting); "
                    "retry shortly"
                )
            self._admitted += 1
        try:
            if not self._slots.acquire(timeout=self.timeout):
                raise ServerBusy(f"the server is busy: no turn within {self.timeout:g} s; retry shortly")
            try:
                yield
            finally:
                self._slots.release()
        finally:
            with self._count_lock:
                self._admitted -= 1


class ReadWriteLock:
    """Many readers (questions) or one writer (indexing): the store never changes under a running question."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._readers = 0
        self._writing = False

    @contextmanager
    def read(self) -> Iterator[None]:
        with self._condition:
            while self._writing:
                self._condition.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._condition:
                self._readers -= 1
                self._condition.notify_all()

    @contextmanager
    def write(self) -> Iterator[None]:
        with self._condition:
            while self._writing or self._readers:
                self._condition.wait()
            self._writing = True
        try:
            yield
        finally:
            with self._condition:
                self._writing = False
                self._condition.notify_all()


_GUARDED: list[bool] = []


def mark_guarded() -> None:
    """Records that this process serves through `extractive_qa.server.create_app`, which enforces `ServeConfig`."""
    _GUARDED.append(True)


def is_guarded() -> bool:
    return bool(_GUARDED)


def ensure_safe_to_serve(config: ServeConfig) -> None:
    """
    Stops the process when the server would be exposed without the application's guard.

    A stock `hayhooks run` also serves `/deploy_files`, `/deploy-yaml` and `/undeploy/{name}` without
    authentication; on a loopback address that is hayhooks' developer set-up, anywhere else it lets anybody run
    code on the machine. So the pipeline wrappers call this in `setup()`: bound to a non-loopback address (or
    with `EQA_EXPOSED=1`) outside `extractive-qa serve`, the server does not start.

    :raises UnsafeToServe: In that case, with what to run instead.
    """
    if config.exposed and not is_guarded():
        reason = "EQA_EXPOSED=1" if is_loopback(config.host) else f"bound to {config.host!r}"
        raise UnsafeToServe(
            f"refusing to serve an exposed server ({reason}) with a plain 'hayhooks run': it would expose hayhooks' "
            "unauthenticated deploy endpoints. Run 'extractive-qa serve --host ADDRESS' (with EQA_API_KEY set), "
            "or bind 127.0.0.1."
        )
