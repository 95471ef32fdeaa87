"""The SDK's shared pieces of native services' credentials (sdk/integration/server.py): the
form order a subclass of ServerCredentials gets, the mail servers' host check, endpoint URLs."""

from __future__ import annotations

import pytest
from pydantic import Field, SecretStr, ValidationError

from wirework.sdk.integration import CredentialsModel, credential_parameters
from wirework.sdk.integration.server import (
    ConnectTimeout,
    HostName,
    ServerCredentials,
    ServerPort,
    ServerTls,
    ServerTlsCa,
    plain_http_url,
    point_at,
)


class _Db(ServerCredentials):
    port: ServerPort = 1234
    database: str = Field(min_length=1, description="Database name")
    password: SecretStr | None = Field(default=None, description="Password")
    tls: ServerTls = "require"
    tls_ca: ServerTlsCa = None
    connect_timeout_s: ConnectTimeout = 10


def test_a_subclass_keeps_host_and_port_first_then_its_own_order() -> None:
    form = credential_parameters(_Db)
    names = [p["name"] for p in form]
    assert names == ["host", "port", "database", "password", "tls", "tls_ca", "connect_timeout_s"]
    port = next(p for p in form if p["name"] == "port")
    assert port["default"] == 1234 and port["description"] == "Server port"
    assert all(p["description"] for p in form)
    with pytest.raises(ValidationError):
        _Db(host="db.example", database="d", port=70000)
    assert _Db(host="db.example", database="d").tls == "require"


def test_point_at_aims_the_credentials_with_overrides() -> None:
    aimed = point_at(tls="disable").point_at({"host": "db.example", "port": 5}, "127.0.0.1", 9)
    assert aimed == {"host": "127.0.0.1", "port": 9, "tls": "disable"}


class _Mail(CredentialsModel):
    host: HostName = Field(description="Mail server host name")


def test_a_mail_host_is_a_name_or_address_only() -> None:
    assert _Mail(host=" mail.example ").host == "mail.example"
    assert _Mail(host="[::1]").host == "::1"
    for bad in ("mail.example:25", "smtp://mail.example", "mail example", ""):
        with pytest.raises(ValidationError):
            _Mail(host=bad)


def test_endpoint_urls_are_plain_http_urls() -> None:
    assert plain_http_url("  ", "https://x.example") is None
    assert plain_http_url("http://minio:9000/", "https://x.example") == "http://minio:9000"
    for bad in ("minio:9000", "https://u:p@x.example", "https://x.example/?a=1"):
        with pytest.raises(ValueError):
            plain_http_url(bad, "https://x.example")
