"""A chat's record read back from what was stored."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pytest

from chat.state import ChatData, Draft
from handlers.company.form import CompanyDraft
from handlers.signin import SigninDraft
from handlers.signup import SignupDraft


def test_a_company_draft_stored_with_a_dropped_key_still_loads() -> None:
    """Drafts saved before `returning_to_summary` and `place_confirmed` were dropped resume
    where they were."""
    stored = {
        "flow": "company",
        "company": {
            "account_id": 7,
            "rfc": "MAB9307148T4",
            "email": "empresa@example.mx",
            "values": {"razon_social": "EMPRESA PATITO"},
            "place_confirmed": True,
            "returning_to_summary": True,
        },
    }
    chat = ChatData.from_json(stored)
    assert chat.flow == "company"
    assert chat.draft(CompanyDraft) == CompanyDraft(
        account_id=7,
        rfc="MAB9307148T4",
        email="empresa@example.mx",
        values={"razon_social": "EMPRESA PATITO"},
    )


def test_a_record_stored_before_drafts_were_the_flows_own_reads_back_the_same() -> None:
    """Each draft was once a field of the record, the sign-in's address a bare string: such
    a record still loads, every draft readable by its flow, and is written back as it was
    (what was None, no draft held, left out)."""
    stored = {
        "language": "es",
        "flow": "signin",
        "step": 2,
        "signup": {"email": "ana@example.mx", "rfc": None, "returning_to_summary": False},
        "login_email": "ana@example.mx",
        "company": None,
        "csd": None,
    }
    chat = ChatData.from_json(stored)
    assert chat.draft(SigninDraft) == SigninDraft("ana@example.mx")
    signup = chat.draft(SignupDraft)
    assert signup is not None and signup.email == "ana@example.mx"
    assert chat.draft(CompanyDraft) is None
    again = ChatData.from_json(chat.to_json())
    assert again == chat and again.to_json()["login_email"] == {"email": "ana@example.mx"}
    assert {"company", "csd"}.isdisjoint(chat.to_json())


def test_a_draft_cannot_take_another_drafts_key_or_a_field_of_the_record() -> None:
    with pytest.raises(TypeError, match="'company' is taken"):

        @dataclass
        class OtherCompany(Draft):
            KEY: ClassVar[str] = "company"

    with pytest.raises(TypeError, match="'language' is taken"):

        @dataclass
        class Language(Draft):
            KEY: ClassVar[str] = "language"
