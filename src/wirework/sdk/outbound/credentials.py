"""Where an integration's credentials may go, and how they are attached to a request.

An integration has *allowed hosts*: ``*`` (any host), exact hosts (``api.example.com``,
``10.0.0.5``, ``[2001:db8::1]``), subdomain patterns (``*.example.com``: any depth, not the
bare domain), each optionally with ``:port`` (without one, any port). Without an explicit
list (None), the host (and explicit port) of its ``base_url`` / ``url`` credential field is
allowed; without either, no host is, and credentials are never attached. An empty list
allows no host.
"""

from __future__ import annotations

import ipaddress
import re
from base64 import b64encode
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

ANY_HOST = "*"
URL_FIELDS = ("base_url", "url")
TOKEN_FIELDS = ("token", "api_token", "access_token", "bearer_token")
# Credential fields whose values go into request headers (``headers``, an object, too).
HEADER_FIELDS = (*TOKEN_FIELDS, "api_key", "api_key_header", "username", "password")
DEFAULT_PORTS = {"http": 80, "https": 443}
_LABEL = re.compile(r"(?!-)[a-z0-9_-]{1,63}(?<!-)")
PATTERN_HELP = (
    "must be a host name or address, optionally starting with '*.' and ending with ':port' "
    "(e.g. api.example.com, *.example.com, 10.0.0.5:8443, [2001:db8::1]), or '*' for any host"
)

WILDCARD_HELP = "a '*.' pattern needs a domain name after it, not an address"


class CredentialHostRefused(Exception):
    """A request would carry an integration's credentials to a host it does not allow."""


def _normal_host(host: str) -> str:
    """Lower case, no trailing dot, IDNA (punycode) for names, canonical IP literals (IPv6
    in brackets); ValueError if it is not a host."""
    host = host.strip().lower().rstrip(".")
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    else:
        return f"[{address.compressed}]" if address.version == 6 else str(address)
    try:
        host = httpx.URL(f"http://{host}/").raw_host.decode("ascii").rstrip(".")
    except (httpx.InvalidURL, UnicodeError):
        raise ValueError(PATTERN_HELP) from None
    if not host or len(host) > 253 or not all(_LABEL.fullmatch(p) for p in host.split(".")):
        raise ValueError(PATTERN_HELP)
    return host


def normalize_host_pattern(entry: str) -> str:
    """An allowed-hosts entry in its canonical form, or ValueError saying what is accepted."""
    text = entry.strip().lower()
    if text == ANY_HOST:
        return ANY_HOST
    wildcard = text.startswith("*.")
    rest = text[2:] if wildcard else text
    if not rest or any(c in rest for c in "/?#@*\\ \t") or "://" in text:
        raise ValueError(PATTERN_HELP)
    try:
        literal = ipaddress.ip_address(rest)
    except ValueError:
        literal = None  # a name, or an address with a port
    if literal is not None:
        if wildcard:
            raise ValueError(WILDCARD_HELP)
        return _normal_host(str(literal))
    try:
        parts = urlsplit(f"//{rest}")
        port = parts.port
    except ValueError:
        raise ValueError(PATTERN_HELP) from None
    if parts.hostname is None:
        raise ValueError(PATTERN_HELP)
    host = _normal_host(parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]")
    if wildcard and (host.startswith("[") or host.replace(".", "").isdigit()):
        raise ValueError(WILDCARD_HELP)
    return ("*." if wildcard else "") + host + (f":{port}" if port is not None else "")


def _url_host(value: str) -> str | None:
    """``host[:port]`` of an http(s) URL, as an allowed-hosts entry (None if not a URL)."""
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    try:
        return _normal_host(host) + (f":{port}" if port is not None else "")
    except ValueError:
        return None


@dataclass(frozen=True)
class AllowedHosts:
    """The hosts an integration's credentials may be sent to."""

    patterns: tuple[str, ...]
    explicit: bool  # set on the integration (else derived from its base URL)

    @classmethod
    def of(cls, credentials: Mapping[str, Any]) -> AllowedHosts:
        explicit = getattr(credentials, "allowed_hosts", None)
        if explicit is not None:
            return cls(tuple(normalize_host_pattern(p) for p in explicit), explicit=True)
        for name in URL_FIELDS:
            value = credentials.get(name)
            if isinstance(value, str) and (host := _url_host(value)) is not None:
                return cls((host,), explicit=False)
        return cls((), explicit=False)

    def permits(self, url: httpx.URL) -> bool:
        try:
            host = _normal_host(url.raw_host.decode("ascii"))
        except ValueError:
            return False
        port = url.port if url.port is not None else DEFAULT_PORTS.get(url.scheme, 0)
        for pattern in self.patterns:
            if pattern == ANY_HOST:
                return True
            name, wanted = _split_port(pattern)
            if wanted is not None and wanted != port:
                continue
            if host == name or (name.startswith("*.") and host.endswith(name[1:])):
                return True
        return False


def _split_port(pattern: str) -> tuple[str, int | None]:
    if not pattern.endswith("]"):
        name, sep, port = pattern.rpartition(":")
        if sep and port.isdigit():
            return name, int(port)
    return pattern, None


class IntegrationCredentials(dict[str, Any]):
    """An integration's decrypted credential values (a plain dict to read), carrying the
    integration's id, name, type (``integration_type``: ``openai``, ``jira``…, what
    ``sdk.ai.provider_for`` looks up) and ``allowed_hosts`` (None: derived from its base URL),
    which the outbound client needs to attach them safely, and the names of its secret fields
    (for redaction, as ``vault.masking.Credentials`` does)."""

    def __init__(
        self,
        values: Mapping[str, Any],
        *,
        integration_id: int | None = None,
        name: str | None = None,
        allowed_hosts: Sequence[str] | None = None,
        secret_fields: Iterable[str] = (),
        integration_type: str | None = None,
    ) -> None:
        super().__init__(values)
        self.integration_type = integration_type
        self.secret_fields = frozenset(secret_fields)
        self.integration_id = integration_id
        self.integration_name = name
        self.allowed_hosts = list(allowed_hosts) if allowed_hosts is not None else None


def describe(credentials: Mapping[str, Any], integration_id: int | None = None) -> str:
    """``integration 4 ('Jira acme')`` for messages."""
    integration_id = getattr(credentials, "integration_id", None) or integration_id
    name = getattr(credentials, "integration_name", None)
    label = f"integration {integration_id}" if integration_id is not None else "the integration"
    return f"{label} ({name!r})" if name else label


@dataclass
class CredentialAuth:
    """What a request carries from credentials: headers, query parameters and the hosts they
    may go to. The outbound client refuses other hosts before sending anything and drops all
    of it on a redirect to another origin."""

    hosts: AllowedHosts
    label: str = "the integration"
    headers: dict[str, str] = field(default_factory=dict)  # override the request's own
    default_headers: dict[str, str] = field(default_factory=dict)  # unless the request has one
    query: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def from_credentials(
        cls, credentials: Mapping[str, Any], integration_id: int | None = None
    ) -> CredentialAuth:
        """By the fields present: ``headers`` (an object) → extra headers; ``query`` (an
        object) → extra query parameters; ``token`` / ``api_token`` / ``access_token`` /
        ``bearer_token`` → ``Authorization: Bearer``; ``api_key`` → the header named by
        ``api_key_header`` (default ``X-API-Key``) or, with ``api_key_query``, that query
        parameter; ``username`` + ``password`` → ``Authorization: Basic``."""
        auth = cls(AllowedHosts.of(credentials), describe(credentials, integration_id))
        extra = credentials.get("headers")
        if isinstance(extra, Mapping):
            auth.headers.update({str(k): str(v) for k, v in extra.items()})
        extra_query = credentials.get("query")
        if isinstance(extra_query, Mapping):
            auth.query.extend((str(k), str(v)) for k, v in extra_query.items())
        for name in TOKEN_FIELDS:
            if credentials.get(name):
                auth.default_headers["Authorization"] = f"Bearer {credentials[name]}"
                break
        if credentials.get("api_key"):
            key = str(credentials["api_key"])
            if credentials.get("api_key_query"):
                auth.query.append((str(credentials["api_key_query"]), key))
            else:
                auth.default_headers[str(credentials.get("api_key_header") or "X-API-Key")] = key
        username, password = credentials.get("username"), credentials.get("password")
        if username is not None and password is not None:
            token = b64encode(f"{username}:{password}".encode()).decode("ascii")
            auth.headers["Authorization"] = f"Basic {token}"
        return auth

    def check(self, url: httpx.URL) -> None:
        """CredentialHostRefused unless ``url``'s host is allowed."""
        if self.hosts.permits(url):
            return
        host = url.netloc.decode("ascii")
        if not self.hosts.patterns:
            hint = (
                "it has no allowed_hosts and no base_url/url to derive them from: set "
                'allowed_hosts on the integration (e.g. ["api.example.com"], or ["*"] for any '
                "host)"
                if not self.hosts.explicit
                else "its allowed_hosts list is empty"
            )
        else:
            hint = (
                f"it allows only {', '.join(self.hosts.patterns)}"
                f"{'' if self.hosts.explicit else ' (from its base URL)'}; add the host to the "
                "integration's allowed_hosts to send its credentials there"
            )
        raise CredentialHostRefused(
            f"{self.label} may not send its credentials to {host}: {hint}; nothing was sent"
        )

    def apply(self, headers: httpx.Headers) -> None:
        headers.update(self.headers)
        for name, value in self.default_headers.items():
            if name not in headers:
                headers[name] = value

    @property
    def header_names(self) -> set[str]:
        return {n.lower() for n in (*self.headers, *self.default_headers)}
