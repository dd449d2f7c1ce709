"""The chat toolkit handlers speak through: the typed context, what a chat has told the
bot (its state and drafts), the text catalogs and their languages, keyboards, and the
shared ways of speaking in a flow (say, ask, ask again, begin and end a flow, the
fallbacks every flow has, the error reply). It sits below `handlers/` and above
`services/`; it never imports `bot/` or `handlers/`."""
