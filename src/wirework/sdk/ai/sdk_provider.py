"""What a provider built on a vendor SDK shares (the official OpenAI and Anthropic ones): the
guarded ``httpx2`` client the SDK talks through, the retry policy from the credentials, the
SDK's exceptions described without secrets, and closing. Subclasses set ``service`` and the
SDK's timeout and connection error types, and make ``self.client`` over ``self.http``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

from wirework.sdk.ai.calls import CallPolicy, sdk_failure, with_retries
from wirework.sdk.ai.provider import ModelProvider
from wirework.sdk.node import NodeError
from wirework.sdk.outbound import AllowedHosts
from wirework.sdk.outbound.bridge import guarded_httpx2_client
from wirework.sdk.outbound.credentials import describe


class SdkProvider(ModelProvider):
    #: The vendor as messages name it ("OpenAI", "Anthropic").
    service: ClassVar[str]
    timeout_errors: ClassVar[tuple[type[BaseException], ...]]
    connection_errors: ClassVar[tuple[type[BaseException], ...]]

    def __init__(
        self,
        *,
        base_url: str,
        timeout_s: float,
        max_retries: int,
        secrets: tuple[str, ...],
        integration_id: int | None,
        hosts: AllowedHosts | None,
    ) -> None:
        self.base_url = base_url
        self.policy = CallPolicy(attempts=max_retries + 1, timeout_s=timeout_s)
        self._secrets = secrets
        if hosts is None:
            hosts = AllowedHosts.of({"base_url": base_url})
        self.http = guarded_httpx2_client(
            timeout=timeout_s, hosts=hosts, label=describe({}, integration_id)
        )
        self.client: Any = None

    async def aclose(self) -> None:
        await self.client.close()

    def describe(self, exc: BaseException) -> NodeError:
        return sdk_failure(
            self.service,
            exc,
            base_url=self.base_url,
            timeout_errors=self.timeout_errors,
            connection_errors=self.connection_errors,
            secrets=self._secrets,
        )

    async def _call(self, fn: Callable[[float], Awaitable[Any]]) -> Any:
        return await with_retries(
            fn, service=self.service, describe=self.describe, policy=self.policy
        )

    def bound_timeout(self, request_timeout: float | None) -> None:
        """Lower the policy's timeout to a request's own, when that is shorter."""
        if request_timeout is not None and request_timeout < self.policy.timeout_s:
            self.policy = CallPolicy(attempts=self.policy.attempts, timeout_s=request_timeout)
