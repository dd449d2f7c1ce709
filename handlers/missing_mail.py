"""«No me llegó»: how people say the confirmation email did not arrive
(handlers/confirm.missing_mail answers it while the chat's sign-up waits for its code)."""

from __future__ import annotations

import re
import unicodedata

# «No me llegó», as people say it (Spanish and English, read without accents): while this
# chat's sign-up waits for its code, the help about the confirmation email answers it
# wherever it is typed, instead of taking it for a value.
MISSING_MAIL_PATTERN = re.compile(
    r"\bno\s+(me\s+|nos\s+|lo\s+|la\s+|le\s+)?(ha\s+|han\s+|he\s+)?"
    r"(llego|llega|llegan|llegaron|llegado|recibi|recibo|recibido)\b"
    r"|\bno\s+(tengo|veo|encuentro|hay)\s+(el\s+|ningun\s+|ni\s+un\s+)?"
    r"(correo|codigo|mail|email)"
    r"|\bnunca\s+(me\s+)?(llego|llega)\b"
    r"|\b(didn'?t|did\s+not|haven'?t|have\s+not|never)\s+"
    r"(get|got|gotten|receive|received|arrive|arrived|come|came)\b"
    r"|\bnot\s+(received|arrived)\b"
    r"|\bno\s+(email|mail|code)\b"
    r"|\b(email|mail|code)\s+(has\s*n'?o?t|did\s*n'?o?t|never|is\s*n'?o?t)\s+"
    r"(arrive|arrived|come|came|coming)",
    re.IGNORECASE,
)
MISSING_MAIL_MAX_LENGTH = 120  # a sentence, not a value or a pasted text


def says_mail_missing(text: str | None) -> bool:
    """Whether `text` says the confirmation email did not arrive."""
    if not text or len(text) > MISSING_MAIL_MAX_LENGTH:
        return False
    plain = "".join(
        c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)
    ).replace("’", "'")
    return MISSING_MAIL_PATTERN.search(plain) is not None
