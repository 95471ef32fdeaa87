"""Fixtures for the Azure integration's tests: the local Resource Manager and token endpoint
(fake_server.py), and Azurite (Azure Storage's emulator, installed by `make azurite` into
.tools/) started on a free port for the Blob tests; without Azurite those tests are skipped
with the reason, except under CI=true where they fail."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import IN_CI
from tests.integrations.azure.fake_server import (
    CLIENT_ID,
    CLIENT_SECRET,
    SUBSCRIPTION,
    TENANT,
    FakeAzure,
)
from tests.integrations.conftest import credentials
from tests.integrations.fakes import free_port, serving
from wirework.integrations.azure import forget_tokens
from wirework.sdk.outbound import IntegrationCredentials

ROOT = Path(__file__).parents[3]
AZURITE = ROOT / ".tools" / "node_modules" / ".bin" / "azurite-blob"
# Azurite's well-known development account (public, documented).
ACCOUNT = "devstoreaccount1"
ACCOUNT_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
SECRETS = {"client_secret", "storage_connection_string", "storage_account_key"}


@pytest.fixture(autouse=True)
def _fresh_tokens() -> Iterator[None]:
    forget_tokens()
    yield
    forget_tokens()


@pytest.fixture
def azure_server(loopback: None) -> Iterator[FakeAzure]:
    with serving(FakeAzure()) as fake:
        assert isinstance(fake, FakeAzure)
        yield fake


def arm_creds(server: FakeAzure, **over: Any) -> IntegrationCredentials:
    values = {
        "tenant_id": TENANT,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "subscription_id": SUBSCRIPTION,
        "authority_host": server.url,
        "resource_manager_endpoint": server.url,
        **over,
    }
    return credentials(values, SECRETS, name="Azure acme")


@pytest.fixture(scope="session")
def azurite_url() -> Iterator[str]:
    """Azurite's blob service (http://127.0.0.1:<port>/devstoreaccount1) for the session."""
    binary = AZURITE if AZURITE.exists() else shutil.which("azurite-blob")
    if binary is None:
        reason = "Azurite is not installed (run `make azurite`)"
        if IN_CI:
            pytest.fail(f"{reason} (CI=true: the Azure Blob tests must run)")
        pytest.skip(reason)
    port = free_port()
    with tempfile.TemporaryDirectory() as location:
        process = subprocess.Popen(
            [
                str(binary),
                "--blobHost",
                "127.0.0.1",
                "--blobPort",
                str(port),
                "--location",
                location,
                "--skipApiVersionCheck",
                "--loose",
                "--silent",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                if process.poll() is not None:
                    err = process.stderr.read().decode() if process.stderr else ""
                    pytest.fail(f"Azurite did not start: {err[-500:]}")
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        pytest.fail("Azurite did not listen within 30 s")
                    time.sleep(0.1)
            yield f"http://127.0.0.1:{port}/{ACCOUNT}"
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def azurite(azurite_url: str, loopback: None) -> str:
    return azurite_url


def blob_creds(url: str, **over: Any) -> IntegrationCredentials:
    values = {
        "storage_account": ACCOUNT,
        "storage_account_key": ACCOUNT_KEY,
        "blob_endpoint": url,
        **over,
    }
    return credentials(values, SECRETS, name="Azure storage")


def connection_string(url: str) -> str:
    return (
        f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={ACCOUNT_KEY};"
        f"BlobEndpoint={url};"
    )
