"""Confirmation codes: their shape and how they are found in pasted text."""

from __future__ import annotations

import re

from services.codes import (
    code_candidates,
    code_from_payload,
    deep_link_payload,
    hash_code,
    new_confirmation_code,
)


def test_codes_are_40_hex_characters_and_differ() -> None:
    codes = {new_confirmation_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(re.fullmatch(r"[0-9a-f]{40}", code) for code in codes)


def test_hash_ignores_case_and_hides_the_code() -> None:
    code = new_confirmation_code()
    assert hash_code(code) == hash_code(code.upper())
    assert code not in hash_code(code)


def test_code_is_found_with_words_around_it() -> None:
    code = new_confirmation_code()
    assert code_candidates(f"mi código: {code.upper()}. ¡Gracias!") == [code]


def test_code_broken_over_lines_is_found_among_few_candidates() -> None:
    code = new_confirmation_code()
    candidates = code_candidates(f"Código de confirmación:\n{code[:25]}\n{code[25:]}\nsaludos")
    assert code in candidates
    assert len(candidates) <= 9


def test_text_without_a_code_has_no_candidates() -> None:
    assert code_candidates("hola, ¿cómo confirmo?") == []
    assert code_candidates("abc" * 5) == []


def test_deep_link_payload_round_trips_and_fits_telegram() -> None:
    code = new_confirmation_code()
    payload = deep_link_payload(code)
    assert len(payload) <= 64 and re.fullmatch(r"[A-Za-z0-9_-]+", payload)
    assert code_from_payload(payload) == code
    assert code_from_payload("otra-cosa") is None
