"""The JSON action protocol as a JSON schema, for constrained decoding.

A model without native tool calls (a small local GGUF) answers the agent with one JSON
object in text: ``{"tool": "search", "query": "…"}`` or ``{"answer": "…"}``. Left free,
a 1.5B model writes prose, a fenced block or half an object. With the schema below
turned into a llama.cpp grammar, every token it can emit keeps the output a valid
action: the tool's name is one of those offered, its arguments have their types, and
the object closes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["ANSWER_KEY", "action_schema"]

ANSWER_KEY = "answer"
_TYPES = {"string", "integer", "number", "boolean"}


def action_schema(tools: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One JSON schema for "call one of ``tools`` (OpenAI shape) or answer"."""
    choices: list[dict[str, Any]] = []
    for tool in tools:
        function = tool.get("function") or {}
        name = function.get("name")
        if not isinstance(name, str) or not name:
            continue
        parameters = function.get("parameters") or {}
        properties: dict[str, Any] = {"tool": {"type": "string", "enum": [name]}}
        for key, spec in (parameters.get("properties") or {}).items():
            kind = spec.get("type") if isinstance(spec, Mapping) else None
            properties[str(key)] = {"type": kind if kind in _TYPES else "string"}
        required = ["tool", *[str(r) for r in parameters.get("required") or ()]]
        choices.append(
            {
                "type": "object",
                "properties": properties,
                "required": required,
                "additionalProperties": False,
            }
        )
    choices.append(
        {
            "type": "object",
            "properties": {ANSWER_KEY: {"type": "string", "minLength": 1}},
            "required": [ANSWER_KEY],
            "additionalProperties": False,
        }
    )
    return {"oneOf": choices}
