"""A local Azure: the Microsoft identity platform's token endpoint and the Resource Manager
resource-group API, in their documented shapes.

- ``POST /{tenant}/oauth2/v2.0/token`` (form: ``grant_type=client_credentials``,
  ``client_id``, ``client_secret``, ``scope``) → ``{"token_type": "Bearer", "expires_in",
  "access_token"}``; a wrong secret → 401 ``{"error": "invalid_client",
  "error_description": "AADSTS7000215: …"}``.
- ``GET /subscriptions/{sub}`` (the connection test).
- ``PUT/GET/DELETE /subscriptions/{sub}/resourcegroups/{name}?api-version=…``: 201 created /
  200 updated; 404 ``ResourceGroupNotFound``; DELETE → 202 with ``Location`` (or
  ``Azure-AsyncOperation``) and ``Retry-After``, polled until done.
- ``GET /subscriptions/{sub}/resourcegroups`` → ``{"value": [...], "nextLink": …}`` pages.
- Errors as ``{"error": {"code", "message"}}``; 429 with Retry-After by injection.
"""

from __future__ import annotations

import itertools
import threading
from typing import Any
from urllib.parse import parse_qsl

from tests.integrations.fakes import Answer, FakeServer, Request

TENANT = "11111111-2222-3333-4444-555555555555"
CLIENT_ID = "66666666-7777-8888-9999-000000000000"
CLIENT_SECRET = "Xq7~azure.fake-client_secret-K9"
SUBSCRIPTION = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
SUB = "/subscriptions/(?P<sub>[^/]+)"


def error(status: int, code: str, message: str, **headers: str) -> Answer:
    return Answer(status, {"error": {"code": code, "message": message}}, headers)


class FakeAzure(FakeServer):
    def __init__(self, *, page_size: int = 2, polls: int = 2, async_operation: bool = False):
        super().__init__()
        self.groups: dict[str, dict[str, Any]] = {}
        self.tokens: set[str] = set()
        self.page_size = page_size
        self.polls = polls  # 202 answers before a deletion is done
        self.async_operation = async_operation  # Azure-AsyncOperation instead of Location
        self.operations: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1)
        self._ops_lock = threading.Lock()
        self.route("POST", r"/(?P<tenant>[^/]+)/oauth2/v2\.0/token", self.token)
        self.route("GET", SUB, self.subscription)
        self.route("GET", f"{SUB}/resourcegroups", self.list_groups)
        self.route("PUT", f"{SUB}/resourcegroups/(?P<name>[^/]+)", self.put_group)
        self.route("GET", f"{SUB}/resourcegroups/(?P<name>[^/]+)", self.get_group)
        self.route("DELETE", f"{SUB}/resourcegroups/(?P<name>[^/]+)", self.delete_group)
        self.route("GET", f"{SUB}/operationresults/(?P<op>[^/]+)", self.location_poll)
        self.route(
            "GET", f"{SUB}/providers/Microsoft.Resources/operations/(?P<op>[^/]+)", self.op_poll
        )

    # -- auth ---------------------------------------------------------------------------

    def authenticate(self, request: Request) -> Answer | None:
        if request.path.endswith("/oauth2/v2.0/token"):
            return None
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.tokens:
            return error(
                401,
                "InvalidAuthenticationToken",
                "The access token is invalid.",
                **{"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        if "api-version" not in request.query:
            return error(
                400,
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests.",
            )
        return None

    def not_found(self, request: Request) -> Answer:
        return error(404, "NotFound", f"No route for {request.method} {request.path}")

    def token(self, request: Request, tenant: str) -> Answer:
        form = dict(parse_qsl(request.body.decode()))
        if tenant != TENANT:
            return Answer(
                400,
                {
                    "error": "invalid_request",
                    "error_description": f"AADSTS90002: Tenant '{tenant}' not found.",
                },
            )
        if form.get("grant_type") != "client_credentials" or not form.get("scope", "").endswith(
            "/.default"
        ):
            return Answer(400, {"error": "unsupported_grant_type"})
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return Answer(
                401,
                {
                    "error": "invalid_client",
                    "error_description": "AADSTS7000215: Invalid client secret provided. "
                    "Ensure the secret being sent in the request is the client secret value.",
                },
            )
        token = f"arm-token-{next(self._ids)}"
        self.tokens.add(token)
        return Answer(200, {"token_type": "Bearer", "expires_in": 3599, "access_token": token})

    # -- resource groups ---------------------------------------------------------------

    def _sub(self, sub: str) -> Answer | None:
        if sub != SUBSCRIPTION:
            return error(
                404, "SubscriptionNotFound", f"The subscription '{sub}' could not be found."
            )
        return None

    def subscription(self, request: Request, sub: str) -> Answer:
        return self._sub(sub) or Answer(
            200,
            {
                "id": f"/subscriptions/{sub}",
                "subscriptionId": sub,
                "displayName": "Acme production",
                "state": "Enabled",
            },
        )

    def _missing(self, name: str) -> Answer:
        return error(404, "ResourceGroupNotFound", f"Resource group '{name}' could not be found.")

    def put_group(self, request: Request, sub: str, name: str) -> Answer:
        refused = self._sub(sub)
        if refused:
            return refused
        body = request.json() or {}
        if not body.get("location"):
            return error(
                400, "LocationRequired", "The location property is required for this definition."
            )
        existing = self.groups.get(name.lower())
        group = {
            "id": f"/subscriptions/{sub}/resourceGroups/{name}",
            "name": name,
            "type": "Microsoft.Resources/resourceGroups",
            "location": body["location"],
            "tags": body.get("tags") or {},
            "properties": {"provisioningState": "Succeeded"},
        }
        if existing and existing["location"] != body["location"]:
            return error(
                409,
                "InvalidResourceGroupLocation",
                f"Invalid resource group location '{body['location']}'. The Resource group "
                f"already exists in location '{existing['location']}'.",
            )
        self.groups[name.lower()] = group
        return Answer(200 if existing else 201, group)

    def get_group(self, request: Request, sub: str, name: str) -> Answer:
        group = self.groups.get(name.lower())
        return self._sub(sub) or (Answer(200, group) if group else self._missing(name))

    def list_groups(self, request: Request, sub: str) -> Answer:
        refused = self._sub(sub)
        if refused:
            return refused
        skip = int(request.query.get("$skiptoken", "0"))
        groups = sorted(self.groups.values(), key=lambda g: g["name"])
        page = groups[skip : skip + self.page_size]
        body: dict[str, Any] = {"value": page}
        if skip + self.page_size < len(groups):
            body["nextLink"] = (
                f"{self.url}/subscriptions/{sub}/resourcegroups?api-version="
                f"{request.query['api-version']}&$skiptoken={skip + self.page_size}"
            )
        return Answer(200, body)

    def delete_group(self, request: Request, sub: str, name: str) -> Answer:
        refused = self._sub(sub)
        if refused:
            return refused
        if name.lower() not in self.groups:
            return self._missing(name)
        op = f"op{next(self._ids)}"
        with self._ops_lock:
            self.operations[op] = {"group": name.lower(), "left": self.polls}
        version = request.query["api-version"]
        if self.async_operation:
            url = f"{self.url}/subscriptions/{sub}/providers/Microsoft.Resources/operations/{op}"
            headers = {"Azure-AsyncOperation": f"{url}?api-version={version}", "Retry-After": "0"}
        else:
            url = f"{self.url}/subscriptions/{sub}/operationresults/{op}"
            headers = {"Location": f"{url}?api-version={version}", "Retry-After": "0"}
        return Answer(202, None, headers)

    def _advance(self, op: str) -> bool | None:
        """None: unknown operation; else whether it is done (polls count down)."""
        with self._ops_lock:
            state = self.operations.get(op)
            if state is None:
                return None
            if state["left"] > 0:
                state["left"] -= 1
                return False
            self.groups.pop(state["group"], None)
            return True

    def location_poll(self, request: Request, sub: str, op: str) -> Answer:
        done = self._advance(op)
        if done is None:
            return error(404, "NotFound", "operation not found")
        return Answer(200, None) if done else Answer(202, None, {"Retry-After": "0"})

    def op_poll(self, request: Request, sub: str, op: str) -> Answer:
        done = self._advance(op)
        if done is None:
            return error(404, "NotFound", "operation not found")
        return Answer(200, {"status": "Succeeded" if done else "InProgress"}, {"Retry-After": "0"})
