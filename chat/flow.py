"""A flow: entry points, one `states = {STEP: [handlers…]}` table and fallbacks, written
with PTB's handler classes, routed by the step the chat's record holds.

This is the project's own stand-in for PTB's `ConversationHandler`, with the same
routing: outside the flow, its entry points; inside, the handlers of its step, else its
fallbacks. A callback's answer is the next step (`END` ends the flow, None stays). The
difference is where the step lives: in the chat's record (`ChatData.flow` and `.step`,
read from the database for each update by bot.processor), never in this object, so that
memory does not grow with parked chats and any process can serve the chat's next update."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, BaseHandler

from chat.context import BotContext, Handler, held_chat

END = -1

# What check_update hands to handle_update: the handler that matched, and its own result.
Match = tuple[Handler, object]


async def _never_called(update: Update, context: BotContext) -> None:
    raise AssertionError("a Flow routes to its handlers' callbacks")


class Flow(BaseHandler[Update, BotContext, Any]):
    def __init__(
        self,
        name: str,
        *,
        entry_points: Sequence[Handler],
        states: Mapping[int, Sequence[Handler]],
        fallbacks: Sequence[Handler],
    ) -> None:
        super().__init__(_never_called)
        self.name = name
        self.entry_points = list(entry_points)
        self.states = {int(step): list(handlers) for step, handlers in states.items()}
        self.fallbacks = list(fallbacks)

    def step(self) -> int | None:
        """The step the update's chat is at in this flow (None: not in it)."""
        chat = held_chat()
        if chat is None or chat.flow != self.name:
            return None
        return chat.step

    def check_update(self, update: object) -> Match | None:
        if not isinstance(update, Update) or update.effective_chat is None:
            return None
        if update.channel_post or update.edited_channel_post:
            return None
        if update.callback_query and not update.callback_query.message:
            return None
        step = self.step()
        candidates = (
            self.entry_points if step is None else [*self.states.get(step, []), *self.fallbacks]
        )
        for handler in candidates:
            check = handler.check_update(update)
            if check is not None and check is not False:
                return handler, check
        return None

    async def handle_update(
        self,
        update: Update,
        application: Application[Any, BotContext, Any, Any, Any, Any],
        check_result: object,
        context: BotContext,
    ) -> None:
        assert isinstance(check_result, tuple)
        handler, check = check_result
        stop = False
        try:
            answer = await handler.handle_update(update, application, check, context)
        except ApplicationHandlerStop as raised:
            answer, stop = raised.state, True
        self.go_to(answer)
        if stop:
            raise ApplicationHandlerStop

    def go_to(self, answer: object) -> None:
        """Apply a callback's answer to the chat's record: a step, END, or None (stay)."""
        chat = held_chat()
        if answer is None or chat is None:
            return
        if answer == END:
            if chat.flow in (self.name, None):  # not a flow started meanwhile
                chat.flow = chat.step = None
            return
        if not isinstance(answer, int):
            raise TypeError(f"flow {self.name}: a step is a number, not {answer!r}")
        chat.flow = self.name
        chat.step = int(answer)
