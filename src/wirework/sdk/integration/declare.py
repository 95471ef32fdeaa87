"""Declaring an integration type: :class:`IntegrationDefinition` and its actions and triggers.

::

    jira = IntegrationDefinition(
        "jira", "Jira", credentials=JiraCredentials, auth=basic("email", "api_token"),
        icon="trello", category="Project management", docs="https://…",
        error_message=jira_error,
    )

    @jira.action("create_issue", params=CreateIssue, description="Create an issue")
    async def create_issue(ctx: ActionContext[JiraCredentials], params: CreateIssue) -> Item:
        return await ctx.client.json("POST", "/rest/api/3/issue", json={...})

Every action becomes the node type ``<name>.<action>`` in the one registry (its palette
section is the integration's display name, with its icon), every trigger the node type
``<name>.<trigger>``. An action gets its params validated into its params model, the
integration's credentials (decrypted for this step only, validated into the credential
model) and a :class:`~wirework.sdk.integration.client.ServiceClient` on the integration's
pooled, SSRF-guarded connection pool that attaches them only to the integration's allowed
hosts.
"""

from __future__ import annotations

import builtins
import re
import sys
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from wirework.sdk.integration.client import RetryPolicy, ServiceClient, WaitReader, pooled_client
from wirework.sdk.integration.credentials import (
    Auth,
    TokenSaver,
    check_choices,
    credential_parameters,
    secret,
    secret_fields,
)
from wirework.sdk.integration.errors import ErrorReader, validation_message
from wirework.sdk.integration.native import Native
from wirework.sdk.integration.tokens import TokenSource
from wirework.sdk.integration.webhooks import BodyReader, Handshake, SignatureScheme
from wirework.sdk.node import Item, NodeContext, NodeError
from wirework.sdk.outbound import AllowedHosts, CredentialAuth, IntegrationCredentials
from wirework.sdk.outbound.credentials import describe
from wirework.sdk.registry import IntegrationInfo, NodeSpec, registry

C = TypeVar("C", bound=BaseModel)
P = TypeVar("P", bound=BaseModel)
NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


class ActionParams(BaseModel):
    """Base of action and trigger params models, like the core nodes': unknown parameters
    are errors naming them, and types are strict in documents (expressions are checked when
    they run)."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


WEBHOOK_PATH = r"^[A-Za-z0-9_\-.~]+(/[A-Za-z0-9_\-.~]+)*$"


class WebhookTriggerParams(ActionParams):
    """Base of a webhook trigger's params: the ``path`` after /webhook/ (slashes around it
    dropped). Subclasses add their own, e.g. the event types that start a run::

        events: list[str] = Field(default_factory=list, description="… none = all")
    """

    path: str = Field(
        min_length=1, max_length=500, pattern=WEBHOOK_PATH, description="URL path after /webhook/"
    )

    @field_validator("path", mode="before")
    @classmethod
    def _strip(cls, value: object) -> object:
        return value.strip("/") if isinstance(value, str) else value


# --------------------------------------------------------------------------- contexts


@dataclass
class Connection(Generic[C]):
    """An integration opened for one step: its validated credentials and its client."""

    integration_id: int | None
    credentials: C
    # None for native integrations (``base_url=None``: databases, SMTP, vendor SDKs).
    http: ServiceClient | None
    tokens: TokenSource | None = None

    @property
    def client(self) -> ServiceClient:
        """The HTTP client (attaches the credentials to the integration's hosts only)."""
        if self.http is None:
            raise NodeError(
                "this integration is not an HTTP API: it has no HTTP client", retryable=False
            )
        return self.http


@dataclass
class ActionContext(Generic[C]):
    """What an action function gets besides its params."""

    node: NodeContext
    connection: Connection[C]
    item: Item

    @property
    def credentials(self) -> C:
        return self.connection.credentials

    @property
    def client(self) -> ServiceClient:
        return self.connection.client

    @property
    def idempotency_key(self) -> str:
        """Stable across retries: pass it where the service accepts one."""
        return self.node.idempotency_key


@dataclass
class PollContext(Generic[C]):
    """What a polling trigger's function gets: the connection, and where it polls for."""

    connection: Connection[C]
    workflow_id: int
    node_id: str

    @property
    def credentials(self) -> C:
        return self.connection.credentials

    @property
    def client(self) -> ServiceClient:
        return self.connection.client


@dataclass
class PollResult:
    """New items since ``cursor`` (oldest first) and the cursor to poll from next time (any
    JSON value). The items start one execution; the cursor is stored with it atomically."""

    items: list[Item]
    cursor: Any


ActionFn = Callable[[ActionContext[Any], Any], Awaitable[Any]]
PollFn = Callable[[PollContext[Any], Any, Any], Awaitable[PollResult]]
TestFn = Callable[[Connection[Any]], Awaitable[str]]


# --------------------------------------------------------------------------- declarations


@dataclass(frozen=True)
class Action:
    name: str
    display_name: str
    description: str
    params: builtins.type[BaseModel]
    fn: ActionFn = field(compare=False)
    # Header through which the service accepts an idempotency key (sent on every
    # non-GET request of the action, which also makes a 5xx safe to retry), or None.
    idempotency_header: str | None = None
    # Example params (docs, and the conformance suite runs the action with them).
    example: dict[str, Any] = field(default_factory=dict)
    node_type: str = ""


@dataclass(frozen=True)
class WebhookTrigger:
    """A trigger on the service's webhook deliveries at ``/webhook/<params.path>``.

    The delivery is verified by ``scheme`` (:class:`SignatureScheme`: GitHub's
    ``sha256=<hex>`` HMAC by default, Slack's ``v0`` with ``timestamp_header``, or a shared
    token) in ``signature_header``, keyed by the credential field ``secret_field``. A delivery
    id repeated (``delivery_header``, or ``delivery_of(body)``) starts nothing; deliveries
    whose event (``event_header``, or ``event_of(body)``) is not among ``params.events``
    (when given) are answered without starting anything; ``handshake(body)`` may answer a
    verified delivery with JSON instead of starting a run."""

    name: str
    display_name: str
    description: str
    params: builtins.type[BaseModel]
    signature_header: str
    secret_field: str
    delivery_header: str | None = None
    event_header: str | None = None
    scheme: SignatureScheme = SignatureScheme.HMAC_SHA256
    timestamp_header: str | None = None
    tolerance_s: int = 300
    delivery_of: BodyReader | None = field(default=None, compare=False)
    event_of: BodyReader | None = field(default=None, compare=False)
    handshake: Handshake | None = field(default=None, compare=False)
    node_type: str = ""


@dataclass(frozen=True)
class PollingTrigger:
    """A trigger that asks the service for new items every ``params.interval_s`` seconds,
    from a durable cursor: nothing is started twice or missed across restarts."""

    name: str
    display_name: str
    description: str
    params: builtins.type[BaseModel]
    fn: PollFn = field(compare=False)
    node_type: str = ""


def _check_name(name: str, what: str) -> None:
    if not NAME.match(name):
        raise ValueError(f"{what} name {name!r} must be a lower-case slug (a-z, 0-9, _)")


class IntegrationDefinition:
    """An integration type declared in Python (see the module's doc)."""

    def __init__(
        self,
        name: str,
        display_name: str,
        *,
        credentials: builtins.type[BaseModel],
        auth: Auth,
        description: str = "",
        icon: str = "plug",
        category: str = "Integrations",
        docs: str = "",
        base_url: str | Callable[[Any], str] | None = "base_url",
        native: Native | None = None,
        error_message: ErrorReader | None = None,
        retry: RetryPolicy | None = None,
        example_credentials: Mapping[str, Any] | None = None,
        body_error: ErrorReader | None = None,
        retry_after: WaitReader | None = None,
        secrets_in_path: bool = False,
    ) -> None:
        _check_name(name, "integration")
        self.name = name
        self.display_name = display_name
        self.description = description
        self.icon = icon
        self.category = category
        self.docs = docs
        check_choices(credentials)
        self.credentials = credentials
        self.auth = auth
        if (base_url is None) != (native is not None):
            raise ValueError(f"{name}: a native integration has base_url=None and a Native")
        self.base_url = base_url
        self.native = native
        self.error_message = error_message
        # An error the service reports in a 2xx answer (Slack's {"ok": false}), the wait it
        # asks for in its body (Telegram's parameters.retry_after); see ServiceClient.
        self.body_error = body_error
        self.retry_after = retry_after
        # The credentials' secrets go into URL paths (Telegram's /bot<token>/): the client
        # hides them from every message it makes.
        self.secrets_in_path = secrets_in_path
        self.retry = retry or RetryPolicy()
        self.example_credentials = dict(example_credentials or {})
        self.actions: dict[str, Action] = {}
        self.triggers: dict[str, WebhookTrigger | PollingTrigger] = {}
        self.tester: TestFn | None = None
        # The module that declared it (the catalogue names its package from it).
        self.module = str(sys._getframe(1).f_globals.get("__name__", ""))
        registry.register_integration(IntegrationInfo(name, display_name, icon))
        registry.register_definition(self)

    # -- declaring -------------------------------------------------------------------------

    def action(
        self,
        name: str,
        *,
        params: builtins.type[P],
        description: str,
        display_name: str | None = None,
        idempotency_header: str | None = None,
        example: dict[str, Any] | None = None,
    ) -> Callable[[Callable[[ActionContext[Any], P], Awaitable[Any]]], Action]:
        _check_name(name, "action")

        def register(fn: Callable[[ActionContext[Any], P], Awaitable[Any]]) -> Action:
            action = Action(
                name=name,
                display_name=display_name or name.replace("_", " ").capitalize(),
                description=description,
                params=params,
                fn=fn,
                idempotency_header=idempotency_header,
                example=dict(example or {}),
                node_type=f"{self.name}.{name}",
            )
            self._add_name(name)
            self.actions[name] = action
            registry.register_node(
                NodeSpec(
                    type=action.node_type,
                    display_name=f"{self.display_name}: {action.display_name}",
                    description=description,
                    group="action",
                    params=params,
                    run_item=self._runner(action),
                    extra={"integration": self.name, "needs_integration": True},
                )
            )
            return action

        return register

    def webhook_trigger(
        self,
        name: str,
        *,
        params: builtins.type[BaseModel],
        description: str,
        signature_header: str,
        secret_field: str,
        delivery_header: str | None = None,
        event_header: str | None = None,
        display_name: str | None = None,
        scheme: SignatureScheme | str = SignatureScheme.HMAC_SHA256,
        timestamp_header: str | None = None,
        tolerance_s: int = 300,
        delivery_of: BodyReader | None = None,
        event_of: BodyReader | None = None,
        handshake: Handshake | None = None,
    ) -> WebhookTrigger:
        """A webhook trigger (see :class:`WebhookTrigger`); ``scheme`` is one of
        :class:`SignatureScheme` (``slack_v0`` needs ``timestamp_header``)."""
        _check_name(name, "trigger")
        if "path" not in params.model_fields:
            raise ValueError(f"webhook trigger {name!r}: its params need a `path` field")
        scheme = SignatureScheme(scheme)
        if scheme is SignatureScheme.SLACK_V0 and not timestamp_header:
            raise ValueError(f"webhook trigger {name!r}: slack_v0 needs a timestamp_header")
        if delivery_header and delivery_of:
            raise ValueError(f"webhook trigger {name!r}: delivery_header or delivery_of, not both")
        if event_header and event_of:
            raise ValueError(f"webhook trigger {name!r}: event_header or event_of, not both")
        trigger = WebhookTrigger(
            name=name,
            display_name=display_name or name.replace("_", " ").capitalize(),
            description=description,
            params=params,
            signature_header=signature_header,
            secret_field=secret_field,
            delivery_header=delivery_header,
            event_header=event_header,
            scheme=scheme,
            timestamp_header=timestamp_header,
            tolerance_s=tolerance_s,
            delivery_of=delivery_of,
            event_of=event_of,
            handshake=handshake,
            node_type=f"{self.name}.{name}",
        )
        self._register_trigger(trigger, {"webhook": trigger})
        return trigger

    def polling_trigger(
        self,
        name: str,
        *,
        params: builtins.type[P],
        description: str,
        display_name: str | None = None,
    ) -> Callable[[Callable[[PollContext[Any], P, Any], Awaitable[PollResult]]], PollingTrigger]:
        _check_name(name, "trigger")
        if "interval_s" not in params.model_fields:
            raise ValueError(f"polling trigger {name!r}: its params need an `interval_s` field")

        def register(
            fn: Callable[[PollContext[Any], P, Any], Awaitable[PollResult]],
        ) -> PollingTrigger:
            trigger = PollingTrigger(
                name=name,
                display_name=display_name or name.replace("_", " ").capitalize(),
                description=description,
                params=params,
                fn=fn,
                node_type=f"{self.name}.{name}",
            )
            self._register_trigger(trigger, {"poll": trigger})
            return trigger

        return register

    def connection_test(self, fn: TestFn) -> TestFn:
        """``async def test(connection) -> str``: a cheap authenticated call; returns a
        message for the user (who it is connected as), raises on failure."""
        self.tester = fn

        async def tester(values: dict[str, Any]) -> tuple[bool, str]:
            integration_id = getattr(values, "integration_id", None)
            try:
                connection = await self.connect(values, integration_id)
                return True, await fn(connection)
            except NodeError as exc:
                return False, exc.message

        registry.register_tester(self.name, tester)
        return fn

    def _add_name(self, name: str) -> None:
        if name in self.actions or name in self.triggers:
            raise ValueError(f"{self.name}: {name!r} is declared twice")

    def _register_trigger(
        self, trigger: WebhookTrigger | PollingTrigger, extra: dict[str, Any]
    ) -> None:
        self._add_name(trigger.name)
        self.triggers[trigger.name] = trigger
        registry.register_node(
            NodeSpec(
                type=trigger.node_type,
                display_name=f"{self.display_name}: {trigger.display_name}",
                description=trigger.description,
                group="trigger",
                params=trigger.params,
                inputs=(),
                icon=self.icon,
                category="Triggers",
                extra={
                    **extra,
                    "integration": self.name,
                    "needs_integration": True,
                    "literal_params": tuple(trigger.params.model_fields),
                },
            )
        )

    # -- running ---------------------------------------------------------------------------

    def base_url_of(self, credentials: Any) -> str:
        if self.base_url is None:
            return ""
        if callable(self.base_url):
            return str(self.base_url(credentials))
        return str(getattr(credentials, self.base_url))

    def validate_credentials(self, values: Mapping[str, Any], integration_id: int | None) -> Any:
        try:
            return self.credentials.model_validate(dict(values))
        except ValidationError as exc:
            label = describe(values, integration_id)
            raise NodeError(
                f"{label}: {validation_message(exc, 'credentials')}", retryable=False
            ) from None

    async def connect(
        self,
        values: Mapping[str, Any],
        integration_id: int | None,
        node: NodeContext | None = None,
        saver: TokenSaver | None = None,
    ) -> Connection[Any]:
        """Open the integration for one step: validate its credentials, get a token if it
        uses OAuth2 (new tokens go to ``saver``, by default the step's), and make its client
        (credentials only for its allowed hosts)."""
        credentials = self.validate_credentials(values, integration_id)
        if self.native is not None:
            return Connection(integration_id, credentials, None)
        base = self.base_url_of(credentials)
        hosts = AllowedHosts.of(
            IntegrationCredentials(
                {"base_url": base}, allowed_hosts=getattr(values, "allowed_hosts", None)
            )
        )
        if saver is None and node is not None:
            saver = node.save_tokens
        source = self.auth.token_source or TokenSource
        tokens = source(credentials, integration_id, saver) if self.auth.kind == "oauth2" else None
        headers = await self.auth.request_headers(credentials, tokens)
        auth = CredentialAuth(
            hosts,
            describe(values, integration_id),
            headers=headers,
            query=self.auth.request_query(credentials),
        )

        async def reauth() -> dict[str, str] | None:
            if tokens is None:
                return None
            fresh = await tokens.reauth()
            if node is not None:
                node.add_secrets({f"t{i}": t for i, t in enumerate(tokens.issued)})
            return fresh

        if node is not None and tokens is not None:
            node.add_secrets({f"t{i}": t for i, t in enumerate(tokens.issued)})
        client = ServiceClient(
            self.display_name,
            pooled_client(self.name, integration_id),
            auth,
            base,
            error_reader=self.error_message,
            retry=self.retry,
            reauth=reauth if tokens is not None else None,
            body_error=self.body_error,
            retry_after=self.retry_after,
            hide=self._hidden(credentials) if self.secrets_in_path else (),
        )
        return Connection(integration_id, credentials, client, tokens)

    def _hidden(self, credentials: Any) -> tuple[str, ...]:
        values = (secret(getattr(credentials, name, None)) for name in self.secret_fields())
        return tuple(v for v in values if v)

    def _runner(
        self, action: Action
    ) -> Callable[[NodeContext, Item, dict[str, Any]], Awaitable[Item | list[Item] | None]]:
        async def run_item(
            ctx: NodeContext, item: Item, params: dict[str, Any]
        ) -> Item | list[Item] | None:
            model = validate_params(action.params, params)
            connection = await self.open_for(ctx)
            if action.idempotency_header and connection.http is not None:
                connection.http.idempotency = (action.idempotency_header, ctx.idempotency_key)
            result = await action.fn(ActionContext(ctx, connection, item), model)
            return as_output(result)

        return run_item

    async def open_for(self, ctx: NodeContext) -> Connection[Any]:
        if ctx.integration_id is None:
            raise NodeError(
                f"node {ctx.node_id!r} needs a {self.display_name} integration: set its "
                "integration_id",
                retryable=False,
            )
        values = await ctx.credentials(ctx.integration_id)
        return await self.connect(values, ctx.integration_id, node=ctx)

    # -- describing ------------------------------------------------------------------------

    def credential_parameters(self) -> list[dict[str, Any]]:
        return credential_parameters(self.credentials)

    def secret_fields(self) -> set[str]:
        return secret_fields(self.credentials)

    def catalogue_actions(self) -> list[dict[str, Any]]:
        """The actions as the integration-types table stores them (ActionSpec shape)."""
        return [
            {
                "name": a.name,
                "display_name": a.display_name,
                "description": a.description,
                "parameters": credential_parameters(a.params),
            }
            for a in self.actions.values()
        ]


def validate_params(model: builtins.type[P], params: Mapping[str, Any]) -> P:
    """Params (expressions evaluated) into the params model, leniently (``"5"`` is a number
    here); a NodeError naming each wrong field otherwise."""
    try:
        return model.model_validate(dict(params), strict=False)
    except ValidationError as exc:
        raise NodeError(validation_message(exc, "params"), retryable=False) from None


def as_output(result: Any) -> Item | list[Item] | None:
    if result is None:
        return None
    if isinstance(result, BaseModel):
        return result.model_dump(mode="json")
    if isinstance(result, dict):
        return result
    if isinstance(result, list):
        return [
            r.model_dump(mode="json")
            if isinstance(r, BaseModel)
            else (r if isinstance(r, dict) else {"value": r})
            for r in result
        ]
    return {"value": result}
