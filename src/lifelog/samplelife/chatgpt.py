"""``chatgpt/conversations.json``: a ChatGPT data export.

The file is one JSON array of conversations, newest first. Each conversation
has a ``mapping`` of nodes (``id``, ``message``, ``parent``, ``children``)
forming a tree that starts at a message-less root and a hidden system
message; a regenerated answer leaves a second branch, and ``current_node``
names the leaf of the branch that was shown last. Conversations start in 2023,
after ChatGPT's launch.
"""

from __future__ import annotations

import json
import random
import uuid
from pathlib import Path
from typing import Any

from . import facts as F
from . import templates as T
from .clock import EPOCH_END
from .filler import Filler, Pool, pool_size
from .writer import BufferedText

__all__ = ["write_chatgpt"]

BASE_CONVERSATIONS = 45
_TITLES = {
    "python": (
        "Python CSV Grouping",
        "Debugging None Output",
        "Explaining {tech}",
        "{tech} Basics",
    ),
    "portuguese": ("European Portuguese Phrases", "Tu vs Você", "Ordering in Portuguese"),
    "travel": ("Trip to {city}", "{city} Packing List", "{city} in {month}"),
    "writing": ("Email to Landlord", "Friendlier Message Rewrite", "Thank-You Note"),
    "fitness": ("Beginner Training Plan", "Stretching Routine"),
}
_CODE = (
    "```python\nimport csv\nfrom collections import defaultdict\n\ntotals = defaultdict(float)\n"
    'with open("data.csv", newline="") as handle:\n    for row in csv.DictReader(handle):\n'
    '        totals[row["date"][:7]] += float(row["amount"])\nprint(dict(totals))\n```',
    "```python\ndef total(values):\n    result = 0\n    for value in values:\n"
    "        result += value\n    return result  # without this line you get None\n```",
    "```python\nfrom dataclasses import dataclass\n\n@dataclass(frozen=True)\nclass Point:\n"
    "    x: float\n    y: float\n\nprint(Point(1, 2))\n```",
)
_FOLLOW_UPS = (
    "Thanks! Can you make it shorter?",
    "Could you give me another example?",
    "Perfect, thank you.",
    "What would you change for a beginner?",
    "And if I only have half an hour?",
)


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


class _Conversation:
    """Builds one conversation's mapping, node by node."""

    def __init__(self, rng: random.Random, created: float, model: str) -> None:
        self.rng = rng
        self.model = model
        self.mapping: dict[str, dict[str, Any]] = {}
        self.clock = created
        root = _uuid(rng)
        self.mapping[root] = {"id": root, "message": None, "parent": None, "children": []}
        self.current = root
        system = self.add("system", "", self.current, hidden=True)
        self.current = system

    def add(self, role: str, text: str, parent: str, hidden: bool = False) -> str:
        rng = self.rng
        node = _uuid(rng)
        metadata: dict[str, Any]
        if hidden:
            metadata = {"is_visually_hidden_from_conversation": True}
        elif role == "user":
            metadata = {
                "request_id": f"{rng.getrandbits(64):016x}",
                "message_source": None,
                "timestamp_": "absolute",
                "message_type": None,
            }
        else:
            metadata = {
                "finish_details": {"type": "stop", "stop_tokens": [200002]},
                "is_complete": True,
                "citations": [],
                "content_references": [],
                "model_slug": self.model,
                "default_model_slug": self.model,
                "parent_id": parent,
                "request_id": f"{rng.getrandbits(64):016x}",
                "timestamp_": "absolute",
            }
        message: dict[str, Any] = {
            "id": node,
            "author": {"role": role, "name": None, "metadata": {}},
            "create_time": None if hidden else round(self.clock, 6),
            "update_time": None,
            "content": {"content_type": "text", "parts": [text]},
            "status": "finished_successfully",
            "end_turn": True if role == "assistant" else None,
            "weight": 0.0 if hidden else 1.0,
            "metadata": metadata,
            "recipient": "all",
            "channel": None,
        }
        self.mapping[node] = {"id": node, "message": message, "parent": parent, "children": []}
        self.mapping[parent]["children"].append(node)
        return node

    def turn(self, question: str, answers: list[str]) -> None:
        """A user message and its answer; two answers mean the first was regenerated."""
        self.clock += self.rng.uniform(20, 900)
        user = self.add("user", question, self.current)
        for answer in answers:
            self.clock += self.rng.uniform(2, 40)
            self.current = self.add("assistant", answer, user)

    def export(self, title: str, created: float) -> dict[str, Any]:
        conversation_id = _uuid(self.rng)
        return {
            "title": title,
            "create_time": round(created, 6),
            "update_time": round(self.clock + self.rng.uniform(0.1, 2), 6),
            "mapping": self.mapping,
            "moderation_results": [],
            "current_node": self.current,
            "plugin_ids": None,
            "conversation_id": conversation_id,
            "conversation_template_id": None,
            "gizmo_id": None,
            "gizmo_type": None,
            "is_archived": False,
            "is_starred": None,
            "safe_urls": [],
            "blocked_urls": [],
            "default_model_slug": self.model,
            "conversation_origin": None,
            "voice": None,
            "async_status": None,
            "disabled_tool_ids": [],
            "id": conversation_id,
        }


def _model(created: float) -> str:
    if created < 1683000000:  # May 2023
        return "text-davinci-002-render-sha"
    return "gpt-4" if created < 1715700000 else "gpt-4o"  # GPT-4o from May 2024


class _Maker:
    def __init__(self, rng: random.Random, scale: float) -> None:
        self.rng = rng
        self.filler = Filler(rng)
        size = pool_size(scale, 200, 80, 6000)
        self.topics = [
            (topic, self.filler.pool(prompts, size // 4), self.filler.pool(answers, size))
            for topic, prompts, answers in T.PROMPTS
        ]

    def answer(self, topic: str, pool: Pool) -> str:
        """An intro sentence, then a numbered list or short paragraphs, maybe code."""
        filler = self.filler
        sentences = pool.draw(filler.between(3, 7))
        parts = [sentences[0]]
        rest = sentences[1:]
        if filler.random() < 0.5:
            parts.append("\n".join(f"{i}. {s}" for i, s in enumerate(rest, 1)))
        else:
            parts.extend(" ".join(rest[i : i + 2]) for i in range(0, len(rest), 2))
        if topic == "python" and filler.random() < 0.7:
            parts.append(filler.pick(_CODE))
        parts.append(filler.pick(T.ASSIST))
        return "\n\n".join(parts)

    def conversation(self, created: float) -> dict[str, Any]:
        rng = self.rng
        topic, prompts, answers = self.filler.pick(self.topics)
        conv = _Conversation(rng, created, _model(created))
        for number in range(self.filler.between(1, 4)):
            question = prompts.pick() if number == 0 else self.filler.pick(_FOLLOW_UPS)
            replies = [self.answer(topic, answers)]
            if rng.random() < 0.12:
                replies.append(self.answer(topic, answers))
            conv.turn(question, replies)
        return conv.export(self.filler.fill(self.filler.pick(_TITLES[topic])), created)


def _planted(rng: random.Random) -> list[dict[str, Any]]:
    out = []
    created = 1678011125.482913  # 2023-03-05 10:12 UTC
    conv = _Conversation(rng, created, _model(created))
    conv.turn(
        f"{F.MISO_SENTENCE} She is almost two now. Which vaccines does an indoor cat in "
        "Portugal need each year?",
        [
            "Great to hear Miso is doing well! For an indoor adult cat, vets in Portugal usually "
            "recommend:\n\n- **Core vaccine (panleukopenia, herpesvirus, calicivirus)**: a booster "
            "every one to three years, depending on the product.\n- **Rabies**: not mandatory for "
            "indoor cats, but required if she ever travels abroad.\n\nAn annual check-up is a good "
            "moment to ask your vet which schedule fits her."
        ],
    )
    out.append(conv.export("Indoor Cat Vaccines", created))

    created = 1691691725.102437  # 2023-08-10 18:22 UTC
    conv = _Conversation(rng, created, _model(created))
    conv.turn(
        f"Hi! {F.MEAT_SENTENCE} Can you suggest five quick weeknight dinners for two?",
        [
            "Absolutely! Here are five quick pescatarian dinners for two:\n\n"
            "1. **Lemon-garlic salmon with greens**: ready in 20 minutes.\n"
            "2. **Chickpea and spinach curry**: a pantry favourite.\n"
            "3. **Grilled sardines with potato salad**: a Lisbon classic.\n"
            "4. **Shrimp tacos with lime slaw**: fun for a Friday.\n"
            "5. **Mushroom and tofu stir-fry**: a lighter night.\n\n"
            "Would you like a shopping list for the week?"
        ],
    )
    conv.turn(
        "Yes please, a shopping list.",
        [
            "Here is a combined list:\n\n- 2 salmon fillets, 4 sardines, 300 g shrimp\n"
            "- 1 can chickpeas, 200 g spinach, 250 g mushrooms, 1 block tofu\n"
            "- lemons, garlic, limes, red cabbage, potatoes, tortillas\n\nEnjoy your week!"
        ],
    )
    out.append(conv.export("Pescatarian Weeknight Dinners", created))
    return out


def write_chatgpt(root: Path, seed: int, scale: float) -> list[Path]:
    """Write ``root/chatgpt/conversations.json``; return its path."""
    rng = random.Random(f"{seed}:chatgpt")
    maker = _Maker(rng, scale)
    start = float(F.CHATGPT_START)
    count = max(1, round(BASE_CONVERSATIONS * scale))
    times = sorted(
        (start + rng.uniform(0, EPOCH_END - start - 86400) for _ in range(count)), reverse=True
    )
    planted = _planted(random.Random(f"{seed}:chatgpt:facts"))
    planted.sort(key=lambda c: c["create_time"], reverse=True)
    path = root / F.CHATGPT
    first = True
    with BufferedText(path) as out:
        out.write("[")
        for created in times:
            while planted and planted[0]["create_time"] > created:
                out.write(("" if first else ", ") + json.dumps(planted.pop(0)))
                first = False
            out.write(("" if first else ", ") + json.dumps(maker.conversation(created)))
            first = False
        for conversation in planted:
            out.write(("" if first else ", ") + json.dumps(conversation))
            first = False
        out.write("]")
    return [path]
