"""Test helpers for integration authors: the conformance suite every registered integration
type passes, and a way to run one action through the real engine.

In a plugin's tests::

    from wirework.testing import assert_conformant

    async def test_conformance() -> None:
        await assert_conformant("acme_notes")

Needs the ``testing`` extra (``pip install 'wirework[testing]'``: jsonschema).
"""

from wirework.testing.conformance import (
    Problem,
    assert_conformant,
    check_errors_mapped,
    check_idempotency,
    check_metadata,
    check_schemas,
    check_secrets_masked,
    conformance_problems,
)
from wirework.testing.harness import RecordingServer, allow_loopback, run_action

__all__ = [
    "Problem",
    "RecordingServer",
    "allow_loopback",
    "assert_conformant",
    "check_errors_mapped",
    "check_idempotency",
    "check_metadata",
    "check_schemas",
    "check_secrets_masked",
    "conformance_problems",
    "run_action",
]
