"""What the assistant tells a model: the node-type catalogue within its budget, secrets
masked in params and sample items."""

from __future__ import annotations

import wirework.nodes  # noqa: F401 - registers the core and AI node types
from wirework.sdk.registry import registry
from wirework.services.ai_catalogue import MASK, catalogue, masked, masked_params, params_line


def test_the_catalogue_names_every_type_and_fits_its_budget() -> None:
    types = [s.type for s in registry.nodes()]
    for budget in (2000, 6000, 24000, 400000):
        text = catalogue("post the status to slack", budget)
        assert len(text) <= budget
        if budget >= 6000:
            assert all(f"- {t}" in text for t in types)
    roomy = catalogue("x", 400000)
    assert roomy.count("  params:") == len(types)
    # A tight budget details the core types and those the request is about first.
    tight = catalogue("post a message to slack", 7000)
    detailed = {
        line.split(":")[0].removeprefix("- ")
        for line, nxt in zip(tight.splitlines(), tight.splitlines()[1:], strict=False)
        if nxt.startswith("  params:")
    }
    assert "core.http_request" in detailed and "slack.post_message" in detailed
    assert "azure.blob_list" not in detailed


def test_params_lines_show_types_required_and_choices() -> None:
    spec = registry.node("core.http_request")
    assert spec is not None
    line = params_line(spec.params.model_json_schema())
    assert "url*: string" in line and "method: GET|POST|PUT" in line


def test_secrets_are_masked_by_schema_by_name_and_in_name_value_pairs() -> None:
    params = {
        "url": "https://x.test",
        "max_tokens": 10,
        "headers": {"Authorization": "Bearer s3cret", "Accept": "json"},
        "list": [{"name": "X-Api-Key", "value": "k3y"}, {"name": "page", "value": 2}],
        "nested": {"password": "pw", "keep": "me"},
    }
    out = masked_params("core.http_request", params)
    assert out["url"] == "https://x.test" and out["max_tokens"] == 10
    assert out["headers"] == {"Authorization": MASK, "Accept": "json"}
    assert out["list"] == [{"name": "X-Api-Key", "value": MASK}, {"name": "page", "value": 2}]
    assert out["nested"] == {"password": MASK, "keep": "me"}
    assert masked({"access_token": "t", "tokens": 5}) == {"access_token": MASK, "tokens": 5}
