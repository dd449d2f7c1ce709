"""What a person types, checked in isolation."""

from __future__ import annotations

import pytest

from services.validation import (
    Invalid,
    PersonType,
    check_password,
    check_rfc,
    common_passwords,
    inbox,
    parse_email,
    slips,
    suggest_email,
)


@pytest.mark.parametrize(
    ("typed", "normalized"),
    [
        ("ana@example.mx", "ana@example.mx"),
        ("  Ana.Perez@Example.COM.MX ", "ana.perez@example.com.mx"),
        ("<ana@example.mx>", "ana@example.mx"),
    ],
)
def test_valid_emails_are_normalized(typed: str, normalized: str) -> None:
    assert parse_email(typed) == normalized


@pytest.mark.parametrize(
    "spelling",
    [
        "ana@ñandú.mx",
        "ana@xn--and-6ma2c.mx",
        "Ana@XN--AND-6MA2C.MX",
        "ana+facturas@ÑANDÚ.mx",
        "ana@n\u0303andu\u0301.mx",  # ñ and ú typed as letters with combining marks
    ],
)
def test_an_international_domain_is_one_inbox_in_unicode_or_punycode(spelling: str) -> None:
    assert inbox(spelling) == "ana@ñandú.mx"


def test_inboxes_fold_tags_and_gmail_dots_but_keep_what_they_cannot_read() -> None:
    assert inbox("Ana.Perez+sat@GoogleMail.com") == "anaperez@gmail.com"
    assert inbox("ana+x@example.mx") == "ana@example.mx"
    assert inbox("ana@ex_ample.mx") == "ana@ex_ample.mx"  # no IDNA name: as it is


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("", "email.empty"),
        ("ana.example.mx", "email.no-at"),
        ("ana perez@example.mx", "email.spaces"),
        ("@example.mx", "email.no-local"),
        ("ana@example", "email.bad-domain"),
        ("ana@@example.mx", "email.invalid"),
        ("a" * 250 + "@x.mx", "email.too-long"),
    ],
)
def test_bad_emails_say_why(typed: str, reason: str) -> None:
    with pytest.raises(Invalid) as error:
        parse_email(typed)
    assert error.value.reason == reason


def test_rfc_person_type_follows_length() -> None:
    assert check_rfc("MAB9307148T4").person_type is PersonType.MORAL
    assert check_rfc("GODE561231GR8").person_type is PersonType.FISICA


@pytest.mark.parametrize(
    "typed",
    ["ana\x00@example.mx", "ana@example.mx\x00", "\u202eana@example.mx", "ana\u200b@example.mx"],
)
def test_hidden_characters_in_an_email_say_so(typed: str) -> None:
    with pytest.raises(Invalid) as error:
        parse_email(typed)
    assert error.value.reason == "email.hidden-characters"


@pytest.mark.parametrize(
    "typed", ["GODE561231GR8\x00", "\u202eGODE561231GR8", "GODE\u200b561231GR8"]
)
def test_hidden_characters_in_an_rfc_say_so(typed: str) -> None:
    with pytest.raises(Invalid) as error:
        check_rfc(typed)
    assert error.value.reason == "rfc.hidden-characters"


def test_rfc_accepts_spaces_dashes_and_lower_case() -> None:
    assert check_rfc(" gode-561231 gr8 ").rfc == "GODE561231GR8"


def test_rfc_with_wrong_check_digit_is_soft() -> None:
    checked = check_rfc("GODE561231GR9")
    assert checked.rfc == "GODE561231GR9" and not checked.check_digit_ok
    assert check_rfc("GODE561231GR8").check_digit_ok


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("", "rfc.empty"),
        ("XAXX010101000", "rfc.generic"),
        ("XEXX010101000", "rfc.generic"),
        ("GODE561231", "rfc.length"),
        ("GODE561331GR8", "rfc.component"),
        ("1ODE561231GR8", "rfc.format"),
    ],
)
def test_bad_rfcs_say_why(typed: str, reason: str) -> None:
    with pytest.raises(Invalid) as error:
        check_rfc(typed)
    assert error.value.reason == reason


def test_common_password_list_has_ten_thousand_entries() -> None:
    passwords = common_passwords()
    assert len(passwords) == 10_000
    assert {"123456", "password", "qwerty", "iloveyou"} <= passwords


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("1234567", "password.too-short"),
        ("x" * 129, "password.too-long"),
        ("iloveyou", "password.common"),
        ("Football", "password.common"),
        ("ANA@example.mx", "password.is-identity"),
        ("gode561231gr8", "password.is-identity"),
    ],
)
def test_weak_passwords_are_refused(password: str, reason: str) -> None:
    with pytest.raises(Invalid) as error:
        check_password(password, email="ana@example.mx", rfc="GODE561231GR8")
    assert error.value.reason == reason


@pytest.mark.parametrize("password", ["ocho8888x", "sin reglas de composición", "x" * 128])
def test_any_long_enough_uncommon_password_is_accepted(password: str) -> None:
    check_password(password, email="ana@example.mx", rfc="GODE561231GR8")


@pytest.mark.parametrize(
    ("typed", "suggested"),
    [
        ("ana@gmial.com", "ana@gmail.com"),
        ("ana@gmai.com", "ana@gmail.com"),
        ("ana@gamil.com", "ana@gmail.com"),
        ("ana@gmail.con", "ana@gmail.com"),
        ("ana@gmail.com.mx", "ana@gmail.com"),
        ("ana.perez@hotmial.com", "ana.perez@hotmail.com"),
        ("ana@hotmal.com", "ana@hotmail.com"),
        ("ana@hotmail.co", "ana@hotmail.com"),
        ("ana@outlok.com", "ana@outlook.com"),
        ("ana@yaho.com", "ana@yahoo.com"),
        ("ana@yahoo.com.mz", "ana@yahoo.com.mx"),
        ("ana@live.com.mz", "ana@live.com.mx"),
        ("ana@prodigi.net.mx", "ana@prodigy.net.mx"),
    ],
)
def test_a_likely_typo_in_a_common_providers_domain_gets_a_suggestion(
    typed: str, suggested: str
) -> None:
    assert suggest_email(typed) == suggested


@pytest.mark.parametrize(
    "typed",
    [
        "ana@gmail.com",
        "ana@yahoo.com.mx",
        "ana@live.com.mx",
        "ana@mail.com",  # a real provider one letter from gmail.com
        "ana@hotmart.com",  # a real company two letters from hotmail.com
        "ana@me.com",
        "ana@acme.com",  # two slips from me.com, someone's own domain
        "ana@example.mx",
        "ana@empresa.com.mx",
        "ana@sat.gob.mx",
    ],
)
def test_known_and_unrelated_domains_get_no_suggestion(typed: str) -> None:
    assert suggest_email(typed) is None


def test_typing_slips_count_a_swap_as_one() -> None:
    assert slips("gmial", "gmail") == 1
    assert slips("gmail", "gmail") == 0
    assert slips("hotmal", "hotmail") == 1
    assert slips("abc", "") == 3


def test_a_decomposed_enie_in_an_rfc_is_one_letter() -> None:
    """Ñ typed as N + U+0303 (as some keyboards and PDFs give it) is one letter: the RFC
    is 12 or 13 characters, not refused as a wrong length."""
    assert check_rfc("N\u0303AA930714AB1").rfc == "ÑAA930714AB1"
    fisica = check_rfc("n\u0303aaa930714ab1")
    assert fisica.rfc == "ÑAAA930714AB1" and fisica.person_type is PersonType.FISICA
