"""`wirework server`: bind the listening socket, work out the server's own URL, serve.

The socket is bound before the app is built, so the URL the server hands out (e.g.
``execution.resume_url``) carries the port it really listens on: ``--port``, ``WIREWORK_PORT``
or, with ``--port 0``, the one the system picked. ``WIREWORK_PUBLIC_URL`` wins when set.
"""

from __future__ import annotations

import gc
import ipaddress
import logging
import socket

import structlog

from wirework.settings import Settings

log = structlog.get_logger("wirework.server")

WILDCARDS = frozenset({"", "0.0.0.0", "::"})  # noqa: S104 - names, not a bind


class CannotListen(Exception):
    """The address is taken, not local, or not allowed; the message says which."""


def listen(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host``:``port`` (IPv6 when the host is an IPv6 address)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise CannotListen(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return sock


def self_url(host: str, port: int) -> str:
    """How this machine reaches a server listening on ``host``:``port``. A wildcard address
    (0.0.0.0, ::) is no address to call: the machine's host name stands for it."""
    if host in WILDCARDS:
        host = socket.gethostname()
    try:
        if ipaddress.ip_address(host).version == 6:
            host = f"[{host}]"
    except ValueError:
        pass  # a host name
    return f"http://{host}:{port}"


HEALTH_PATHS = frozenset({"/api/health", "/api/health/live"})


class QuietHealthChecks(logging.Filter):
    """Drop the access-log line of a successful ``GET /api/health`` (or ``/api/health/live``):
    probes call them every few seconds and would drown the log. Failing calls are still
    logged."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 5:
            path, status = args[2], args[4]
            if isinstance(path, str) and path.split("?", 1)[0] in HEALTH_PATHS:
                return not (isinstance(status, int) and status < 400)
        return True


def serve(settings: Settings, host: str, port: int) -> None:
    """Serve until interrupted. ``settings`` has been checked (keys, schema) by the caller."""
    import uvicorn

    from wirework.api.app import create_app

    sock = listen(host, port)
    actual_port = int(sock.getsockname()[1])
    base_url = (settings.public_url or self_url(host, actual_port)).rstrip("/")
    settings = settings.model_copy(
        update={"host": host, "port": actual_port, "public_url": base_url}
    )
    logging.getLogger("uvicorn.access").addFilter(QuietHealthChecks())
    app = create_app(settings)
    # Long-lived objects (modules, the app) leave the cyclic GC's view, and young-generation
    # collections run less often than the default 700. Not too rarely: a collection's pause
    # grows with the objects allocated since the last one. Under webhook load, at 50,000 a
    # young collection paused the loop 20-60 ms about once a second; at 10,000 they pause
    # 4-8 ms (and an older-generation one 15-25 ms every few seconds), for the same total.
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 20, 20)
    shown = f"[{host}]" if ":" in host else host
    log.info(
        "listening",
        address=f"http://{shown}:{actual_port}",
        public_url=base_url,
        api_docs=f"{base_url}/docs",
    )
    config = uvicorn.Config(
        app,
        host=host,
        port=actual_port,
        log_config=None,
        log_level=settings.log_level,
        proxy_headers=True,
        server_header=False,
    )
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
