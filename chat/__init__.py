"""The chat toolkit handlers speak through: the typed context, what a chat has told the
bot (its record, with each flow's draft), the flows' step routing and their registry,
the text catalogs and their languages, the keyboards' tools, and the shared ways of
speaking in a flow (say, ask, ask again, begin, leave and end a flow, the error reply).
It knows no flow: each registers itself from `handlers/`. It sits below `handlers/` and
above `services/`; it never imports `bot/` or `handlers/`."""
