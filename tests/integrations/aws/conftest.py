"""Fixtures for the AWS integration's tests: moto in server mode on 127.0.0.1 (a real HTTP
AWS for S3, SQS, SNS and STS), boto3 clients to prepare it, and credentials aimed at it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from tests.integrations.conftest import credentials
from tests.integrations.fakes import free_port
from wirework.integrations.aws import forget_sessions
from wirework.sdk.outbound import IntegrationCredentials

KEY_ID = "AKIAWIREWORKTEST0001"
SECRET_KEY = "Zq8vN3xR7tLm2Kp9Wc4Hs6Jd1Fb5Gy0Ue8Ai3ObT"
REGION = "eu-west-1"
SECRETS = {"secret_access_key", "session_token"}


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def _fresh_sessions() -> Iterator[None]:
    forget_sessions()
    yield
    forget_sessions()


@pytest.fixture
def aws(moto_url: str, loopback: None) -> Iterator[str]:
    """The moto server's URL, with outbound requests to 127.0.0.1 allowed."""
    yield moto_url


def boto(moto_url: str, service: str) -> Any:
    """A plain boto3 client on moto, to prepare and inspect what the tests use."""
    return boto3.client(
        service,
        endpoint_url=moto_url,
        region_name=REGION,
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET_KEY,
    )


def aws_creds(url: str, **over: Any) -> IntegrationCredentials:
    values = {
        "access_key_id": KEY_ID,
        "secret_access_key": SECRET_KEY,
        "region": REGION,
        "endpoint_url": url,
        **over,
    }
    return credentials(values, SECRETS, name="AWS acme")
