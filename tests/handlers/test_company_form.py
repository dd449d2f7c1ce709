"""The company form's table of fields against the model it fills and the flow it drives:
what a new field is missing shows here before a person meets it."""

from __future__ import annotations

from chat.texts import Catalog
from handlers.company import build_company_conversation
from handlers.company.fields import FORM_FIELDS, longest_text
from handlers.company.form import Step
from services.company import FIELDS


def test_the_form_has_one_row_per_company_field_in_the_models_order() -> None:
    assert tuple(field.name for field in FORM_FIELDS) == FIELDS


def test_each_field_has_its_own_step_and_one_way_to_read_a_typed_answer() -> None:
    assert len({field.step for field in FORM_FIELDS}) == len(FORM_FIELDS)
    for field in FORM_FIELDS:
        assert (field.parse is None) != (field.receive is None), field.name


def test_every_step_waits_for_something() -> None:
    """A field given buttons needs them answered in flow.py's states, not only its row."""
    assert set(build_company_conversation().states) == set(Step)


def test_every_field_has_its_question_and_summary_button_in_every_language() -> None:
    for language, texts in Catalog.load().languages.items():
        for field in FORM_FIELDS:
            assert field.prompt in texts, (language, field.name)
            assert f"company.label.{field.name}" in texts, (language, field.name)


def test_the_summary_shows_every_field_in_every_language() -> None:
    """The summary's text is written out per language (its words differ from the buttons'
    labels): a new field left out of it would be saved unseen."""
    for language, texts in Catalog.load().languages.items():
        summary = texts["company.summary"]
        shown = {"regimen_fiscal": "{regimen}"}  # shown with its name from SAT's catalog
        for field in FORM_FIELDS:
            assert shown.get(field.name, f"{{{field.name}}}") in summary, (language, field.name)


def test_a_text_field_is_as_long_as_the_model_lets_it_be() -> None:
    assert longest_text("calle") == 100 and longest_text("numero_exterior") == 30
