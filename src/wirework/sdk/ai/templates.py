"""A prompt template as a node gets it from ``NodeContext.prompt_template``: named,
versioned messages whose ``content`` may hold ``{{ … }}`` expressions (the expression
language; the node evaluates them with its item and the template's ``variables``)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from wirework.sdk.ai.messages import Role


class TemplateMessage(BaseModel):
    role: Role
    content: str


class PromptTemplate(BaseModel):
    name: str
    version: int
    messages: list[TemplateMessage]
    # Declared variables and their sample values (the preview uses them).
    variables: dict[str, object] = Field(default_factory=dict)

    @property
    def ref(self) -> str:
        """``name@version``, as usage records name it."""
        return f"{self.name}@{self.version}"
