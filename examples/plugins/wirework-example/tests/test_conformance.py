"""What a plugin author runs: Wirework's conformance suite on their type."""

from wirework.testing import assert_conformant


async def test_acme_notes_is_conformant() -> None:
    await assert_conformant("acme_notes")
