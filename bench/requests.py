"""The Bot API requests that name a person's chat, per update, by method and by step:
Telegram's limit of about 30 a second for the whole bot counts each of them (a message
sent, edited or deleted), so they, not the CPU, bound how many people the bot serves at
once. Read from the emulator's log of each chat (`Chat.requests`), each request counted
for the update the person had sent last (`Run.steps` names it)."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from bench.scenario import Run
from emulator import Person


def requests_per_update(run: Run, people: list[Person]) -> dict[str, Any]:
    """The requests that named the people's chats: in all, per update, by method, and by
    step (each step's requests per time it was taken, by method)."""
    methods: Counter[str] = Counter()
    by_step: defaultdict[str, Counter[str]] = defaultdict(Counter)
    taken: Counter[str] = Counter(run.steps.values())
    updates = 0
    for person in people:
        chat = person.chat
        updates += len(chat.updates)
        for update, method in chat.requests:
            if update == 0:
                continue  # before the person's first update: none of the journey's
            methods[method] += 1
            by_step[run.steps.get((chat.id, update), "other")][method] += 1
    total = sum(methods.values())
    return {
        "chat_requests": total,
        "chat_requests_per_update": total / updates if updates else 0.0,
        "chat_requests_by_method": dict(methods.most_common()),
        "chat_requests_by_step": {
            step: {m: n / max(taken[step], 1) for m, n in counted.most_common()}
            for step, counted in by_step.items()
        },
    }


def requests_lines(figures: dict[str, Any]) -> list[str]:
    """The figures above as the report prints them."""
    methods = ", ".join(f"{m} {n}" for m, n in figures["chat_requests_by_method"].items())
    lines = [
        f"requests naming a chat: {figures['chat_requests_per_update']:.2f} per update"
        f" ({figures['chat_requests']}: {methods}); by step, per time taken:"
    ]
    for step, counted in figures["chat_requests_by_step"].items():
        lines.append(f"  {step:24} " + ", ".join(f"{m} {n:.2f}" for m, n in counted.items()))
    return lines
