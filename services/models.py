"""Input models of the use cases: what reaches a service has been checked."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, field_validator

from services.validation import Invalid, check_rfc, parse_email


class SignupRequest(BaseModel):
    """An account to create. The password arrives already hashed: the chat hashes it as
    soon as it is typed, so that no plain password is ever kept, not even in a draft."""

    model_config = ConfigDict(frozen=True)

    email: str
    rfc: str
    password_hash: str
    language: str = "es"
    # The version of the aviso de privacidad shown before the first question and accepted
    # by creating the account.
    privacy_version: str | None = None

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        try:
            return parse_email(value)
        except Invalid as error:
            raise ValueError(error.reason) from None

    @field_validator("rfc")
    @classmethod
    def _rfc(cls, value: str) -> str:
        try:
            return check_rfc(value).rfc
        except Invalid as error:
            raise ValueError(error.reason) from None

    @field_validator("password_hash")
    @classmethod
    def _hashed(cls, value: str) -> str:
        if not value.startswith("$argon2id$"):
            raise ValueError("password_hash must be an argon2id hash")
        return value
