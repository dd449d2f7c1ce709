"""The Application the bot runs: PTB's, with the project's own dispatch of an update.

PTB's `process_update` hands an update to the first matching handler of each group, as
this does, and then marks the update's chat and user for its persistence, in two sets
that only a persistence empties. This bot has none (each chat's record is read and written
by bot.processor), so those sets would grow with every chat and every person the process
ever served. The dispatch here is PTB's, without the marking: handlers, groups,
`ApplicationHandlerStop` and the error handlers work as documented."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application, ApplicationHandlerStop


class ChatApplication(Application[Any, Any, Any, Any, Any, Any]):
    async def process_update(self, update: object) -> None:
        context = None
        # Copies: a handler may be added or removed while an update is in hand.
        for handlers in [group.copy() for group in self.handlers.values()]:
            try:
                for handler in handlers:
                    check = handler.check_update(update)
                    if check is None or check is False:
                        continue
                    if context is None:
                        context = self.context_types.context.from_update(update, self)
                    await handler.handle_update(update, self, check, context)
                    break  # one handler per group
            except ApplicationHandlerStop:
                break
            except Exception as error:
                if await self.process_error(update=update, error=error):
                    break
