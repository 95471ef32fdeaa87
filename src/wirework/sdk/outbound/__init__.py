"""Outbound HTTP for nodes and integrations.

- ``addresses``: the SSRF guard (only globally routable addresses, checked on the resolved
  address at connect time, for every connection and redirect) and the process's
  ``OutboundPolicy`` (the ``WIREWORK_OUTBOUND_ALLOW`` allow-list, response-size limits).
- ``limits``: response bodies streamed and capped, decompressed bytes included.
- ``credentials``: an integration's allowed hosts and how its credentials attach.
- ``client``: ``guarded_client()`` (httpx with the guard and the cap) and ``OutboundClient``
  (adds allowed-hosts checks and credential-safe redirects).
"""

from wirework.sdk.outbound.addresses import (
    BlockedAddress,
    OutboundPolicy,
    address_allowed,
    embedded_ipv4,
    policy,
    resolve_checked,
    set_policy,
)
from wirework.sdk.outbound.client import OutboundClient, guarded_client, query_pairs, with_query
from wirework.sdk.outbound.credentials import (
    AllowedHosts,
    CredentialAuth,
    CredentialHostRefused,
    IntegrationCredentials,
    normalize_host_pattern,
)
from wirework.sdk.outbound.limits import ResponseTooLarge

__all__ = [
    "AllowedHosts",
    "BlockedAddress",
    "CredentialAuth",
    "CredentialHostRefused",
    "IntegrationCredentials",
    "OutboundClient",
    "OutboundPolicy",
    "ResponseTooLarge",
    "address_allowed",
    "embedded_ipv4",
    "guarded_client",
    "normalize_host_pattern",
    "policy",
    "query_pairs",
    "resolve_checked",
    "set_policy",
    "with_query",
]
