"""The chat's record: where it is and what it has told the bot so far, read from the
database for each of its updates and written back after it (services.chats).

Plain dataclasses with JSON round-trips; no password is ever kept here (only its hash)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any


@dataclass
class SignupDraft:
    email: str | None = None
    rfc: str | None = None
    unverified_rfc: str | None = None  # an RFC whose check digit failed, awaiting "yes"
    password_hash: str | None = None
    returning_to_summary: bool = False
    typed_email: str | None = None  # an address with a likely typo, awaiting a choice
    suggested_email: str | None = None  # its correction, offered with a button


@dataclass
class CompanyDraft:
    account_id: int
    rfc: str
    email: str
    values: dict[str, str | None] = field(default_factory=dict)
    proposed_place: dict[str, str | None] | None = None  # from the postal code, to confirm
    suggested_name: str | None = None  # razón social without its régimen capital


@dataclass
class ResetDraft:
    email: str | None = None
    code_id: int | None = None
    password_hash: str | None = None
    typed_email: str | None = None  # an address with a likely typo, awaiting a choice
    suggested_email: str | None = None  # its correction, offered with a button


@dataclass
class AccountDraft:
    """A change of the account in hand (/cuenta): its address, its password, or its
    deletion."""

    account_id: int
    action: str  # "email", "password" or "delete"
    verified_at: str | None = None  # when the password was typed again (ISO 8601, UTC)
    new_email: str | None = None
    typed_email: str | None = None  # a new address with a likely typo, awaiting a choice
    suggested_email: str | None = None  # its correction, offered with a button
    password_hash: str | None = None  # the new password's hash, until typed again


@dataclass
class CsdDraft:
    """The CSD being sent (/csd): its files as they arrive, in any order, until the key's
    password is checked. The chat's data is sealed at rest (services.chats), so the
    certificate and the key (still encrypted with its password) wait here between steps
    and across restarts; the password itself is never kept."""

    account_id: int
    rfc: str
    certificate: str | None = None  # the .cer as DER, base64
    key: str | None = None  # the .key as DER (encrypted PKCS#8), base64
    replacing: str | None = None  # the stored CSD's serial, once the person agreed to replace
    # The stored CSD's serial named by the open question («¿Lo reemplazo?», «¿Lo elimino?»):
    # a press acts on that one only, not on one another chat stored meanwhile.
    asked_about: str | None = None
    new_name: str | None = None  # the certificate's name, offered as the razón social


@dataclass
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
    signup: SignupDraft | None = None
    signup_email: str | None = None  # the address this chat signed up with (for /reenviar)
    login_email: str | None = None  # typed at sign-in, until the password is checked
    company: CompanyDraft | None = None
    reset: ResetDraft | None = None
    account: AccountDraft | None = None
    csd: CsdDraft | None = None
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

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ChatData:
        known = {f.name for f in fields(cls)}
        values = {key: value for key, value in data.items() if key in known}
        for name, kind in (
            ("signup", SignupDraft),
            ("company", CompanyDraft),
            ("reset", ResetDraft),
            ("account", AccountDraft),
            ("csd", CsdDraft),
        ):
            if isinstance(values.get(name), dict):
                known_fields = {f.name for f in fields(kind)}
                values[name] = kind(**{k: v for k, v in values[name].items() if k in known_fields})
        return cls(**values)
