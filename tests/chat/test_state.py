"""A chat's record read back from what was stored."""

from __future__ import annotations

from chat.state import ChatData, CompanyDraft


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
    assert chat.company == CompanyDraft(
        account_id=7,
        rfc="MAB9307148T4",
        email="empresa@example.mx",
        values={"razon_social": "EMPRESA PATITO"},
    )
