"""Node types' palette metadata: icon and category, declared or derived."""

from __future__ import annotations

import httpx
import pytest
from pydantic import BaseModel

from wirework.schemas.node_types import NodeTypeOut
from wirework.sdk.registry import ICON_PATTERN, IntegrationInfo, NodeSpec, registry


class NoParams(BaseModel):
    pass


def spec(type_: str, group: str = "action", **extra: object) -> NodeSpec:
    return NodeSpec(
        type=type_,
        display_name=type_,
        description="",
        group=group,  # type: ignore[arg-type]
        params=NoParams,
        **extra,  # type: ignore[arg-type]
    )


def test_every_registered_type_has_an_icon_and_a_category() -> None:
    specs = list(registry.nodes())
    assert specs
    for node in specs:
        out = NodeTypeOut.model_validate(node.metadata())
        assert out.category.strip(), node.type
        assert ICON_PATTERN.match(out.icon), (node.type, out.icon)
        if node.type.startswith("core."):  # core nodes declare theirs where they are declared
            assert node.icon and node.category, node.type


def test_core_palette_sections() -> None:
    def palette(type_: str) -> tuple[str, str]:
        found = registry.node(type_)
        assert found is not None
        return found.palette()

    assert palette("core.webhook") == ("Triggers", "webhook")
    assert palette("core.if") == ("Flow", "git-branch")
    assert palette("core.code") == ("Data", "code")
    assert palette("core.http_request") == ("Network", "globe")


def test_third_party_defaults_come_from_the_group() -> None:
    assert spec("acme.thing", "data").palette() == ("Data", "table")
    assert spec("acme.start", "trigger").palette() == ("Triggers", "zap")
    assert spec("acme.thing", "data", icon="box", category="Acme").palette() == ("Acme", "box")


def test_actions_take_their_integration_name_and_icon(monkeypatch: pytest.MonkeyPatch) -> None:
    # No info registered: the name is derived from the type name, the icon is a plug.
    assert spec("acme_sheets.append").palette() == ("Acme Sheets", "plug")
    info = IntegrationInfo("acme_crm", "Acme CRM", icon="building")
    monkeypatch.setitem(registry._integrations, "acme_crm", info)
    assert spec("acme_crm.create_contact").palette() == ("Acme CRM", "building")
    assert spec("acme_crm.other", icon="user-plus").palette() == ("Acme CRM", "user-plus")


def test_icons_must_be_kebab_case_names() -> None:
    for bad in ("Webhook", "git_branch", "", "a--b", "<svg>"):
        with pytest.raises(ValueError, match="icon"):
            spec("acme.x", "data", icon=bad)
        with pytest.raises(ValueError, match="icon"):
            IntegrationInfo("acme", "Acme", icon=bad)


async def test_node_types_api_is_typed(client: httpx.AsyncClient) -> None:
    resp = await client.get("/api/node-types")
    assert resp.status_code == 200
    catalogue = {n["type"]: n for n in resp.json()}
    assert set(catalogue["core.webhook"]) == set(NodeTypeOut.model_fields)
    assert catalogue["core.schedule"]["category"] == "Triggers"
    assert catalogue["core.schedule"]["icon"] == "clock"
    one = (await client.get("/api/node-types/core.merge")).json()
    assert (one["category"], one["icon"]) == ("Flow", "merge")
    schema = (await client.get("/openapi.json")).json()
    response = schema["paths"]["/api/node-types/{node_type}"]["get"]["responses"]["200"]
    assert response["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/NodeTypeOut"
    }
