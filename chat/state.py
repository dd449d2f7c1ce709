"""The chat's record: where it is and what it has told the bot so far, read from the
database for each of its updates and written back after it (services.chats).

Plain dataclasses with JSON round-trips; no password is ever kept here (only its hash).
Each flow's draft is its own dataclass (a `Draft`, written beside the flow), kept in the
record under the draft's `KEY`: the record knows no flow."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, ClassVar, TypeVar


class Draft:
    """What a flow has been told so far, until it ends. A subclass is a dataclass with a
    `KEY`, the name it is stored under in the chat's record (unique among the flows')."""

    KEY: ClassVar[str]
    _KINDS: ClassVar[dict[str, str]] = {}  # each KEY taken, and by which draft

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """A draft's KEY is its own: neither another draft's nor a field of the record."""
        super().__init_subclass__(**kwargs)
        name = f"{cls.__module__}.{cls.__qualname__}"
        if cls.KEY in {f.name for f in fields(ChatData)} or (
            Draft._KINDS.setdefault(cls.KEY, name) != name
        ):
            raise TypeError(f"draft {name}: its KEY {cls.KEY!r} is taken")

    @classmethod
    def decode(cls: type[D], stored: Any) -> D:
        """The draft again from what the record stored: its fields, those no longer
        known dropped (a draft saved before a field went away still loads)."""
        if not isinstance(stored, dict):
            raise TypeError(f"draft {cls.KEY}: {type(stored).__name__} stored")
        known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        return cls(**{name: value for name, value in stored.items() if name in known})


D = TypeVar("D", bound=Draft)


@dataclass(eq=False)
class ChatData:
    language: str | None = None
    flow: str | None = None  # the flow this chat is in, if any (chat.flow.Flow's name)
    step: int | None = None  # and its step there
    prompt: dict[str, Any] | None = None  # the last question: catalog key, keyboard, values
    # A question with buttons asked outside any flow (chat.common.offer), as `prompt`: the
    # chat's next update answers it or leaves it behind (chat.typed).
    offer: dict[str, Any] | None = None
    # The key of the offer the update in hand came right after (for the update's own
    # handlers: a problem typed after /soporte's offer instead of tapping its button).
    answering: str | None = None
    signup_email: str | None = None  # the address this chat signed up with (for /reenviar)
    # "account id:version" of the aviso de privacidad this chat was last asked to accept
    privacy_asked: str | None = None
    # The digest (never the code) of a confirmation code from the email's link, while the
    # chat, signed in to another account, is asked whether to switch to the code's.
    switch_code: str | None = None
    # A command that starts another flow, typed inside one, while the chat is asked
    # whether to leave the flow in hand for it; then, once the answer is yes, the command
    # to run as soon as the flow has ended (chat.common.leave_for_command).
    leave_for: str | None = None
    switch_to: str | None = None
    # When the bot last asked for a secret or read one (ISO 8601, UTC): for a while after,
    # a message no flow takes is deleted all the same (chat.secrets).
    secret_asked_at: str | None = None

    # The flows' drafts by their KEY: a Draft, or what the record stored until the flow
    # reads it again (`draft`). Stored beside the fields above, as each was once a field.
    drafts: dict[str, Any] = field(default_factory=dict)

    def draft(self, kind: type[D]) -> D | None:
        """The chat's draft of `kind`, if it has one."""
        held = self.drafts.get(kind.KEY)
        if held is None or isinstance(held, kind):
            return held
        decoded = kind.decode(held)
        self.drafts[kind.KEY] = decoded
        return decoded

    def keep(self, draft: Draft) -> None:
        """Make `draft` the chat's draft of its kind."""
        self.drafts[draft.KEY] = draft

    def drop(self, kind: type[Draft]) -> None:
        """Forget the chat's draft of `kind`, if any."""
        self.drafts.pop(kind.KEY, None)

    def __eq__(self, other: object) -> bool:
        """The same record, whether its drafts were read again or not."""
        return isinstance(other, ChatData) and self.to_json() == other.to_json()

    __hash__ = None  # type: ignore[assignment]  # mutable, as a dataclass with eq

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)  # the drafts too, each as a dict
        drafts = data.pop("drafts")
        return {**data, **drafts}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ChatData:
        known = {f.name for f in fields(cls)} - {"drafts"}
        values = {key: value for key, value in data.items() if key in known}
        # Any other key is a draft's (what is None was a draft not held, in older records).
        drafts = {key: value for key, value in data.items() if key not in known}
        return cls(**values, drafts={k: v for k, v in drafts.items() if v is not None})
