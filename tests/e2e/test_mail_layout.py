"""The emails a person receives from the running bot: signed by the operator, laid out
(the code in a box, the one-tap link a button, support and the aviso de privacidad at the
foot), and with Reply-To only when MAIL_REPLY_TO is set."""

from __future__ import annotations

from tests import journeys
from tests.conftest import SmtpServer
from tests.e2e.conftest import Harness
from tests.factories import code_from_email, html_part, text_part
from tests.mail.reading import read_html

NOTICE = "https://timbres.example/aviso-de-privacidad"


async def test_the_confirmation_email_carries_the_operator_support_notice_and_reply_to(
    harness: Harness, smtp: SmtpServer
) -> None:
    harness.settings = harness.settings.model_copy(
        update={
            "operator_name": "Timbres del Norte",
            "support_contact": "soporte@timbres.example · 81 1234 5678",
            "privacy_notice_url": NOTICE,
            "mail_reply_to": "ayuda@timbres.example",
        }
    )
    await harness.start()
    ana = harness.person()
    await journeys.sign_up(ana, "ana@example.mx")

    [email] = await smtp.mailbox.wait(1)
    assert email["From"] == "Timbres del Norte <facturacion@example.mx>"
    assert email["Reply-To"] == "ayuda@timbres.example"
    code = code_from_email(email)
    link = f"https://t.me/{harness.bot_username}?start=c_{code}"
    text, document = text_part(email), read_html(html_part(email))
    assert document.body.first_words()[1] == "Timbres del Norte"
    # The code in its box, in groups of 8 that a phone wraps between groups.
    grouped = " ".join(code[start : start + 8] for start in range(0, 40, 8))
    assert grouped in [cell.text() for cell in document.body.cells()]
    [button] = [a for a in document.body.find_all("a") if a.attrs["href"] == link]
    assert button.style()["display"] == "inline-block"
    # The bot named by its @username and t.me link, as the person knows it.
    bot = f"https://t.me/{harness.bot_username}"
    facts = (link, "soporte@timbres.example · 81 1234 5678", NOTICE, "Responde a este correo")
    for fact in (*facts, f"@{harness.bot_username}", bot):
        assert fact in text and fact in document.visible_text() + " ".join(document.hrefs())


async def test_without_reply_to_the_email_neither_sets_it_nor_asks_for_a_reply(
    bot: Harness, smtp: SmtpServer
) -> None:
    ana = bot.person()
    await journeys.sign_up(ana, "ana@example.mx")

    [email] = await smtp.mailbox.wait(1)
    assert email["Reply-To"] is None
    assert email["From"] == "Facturación Electrónica por Internet <facturacion@example.mx>"
    text, html = text_part(email), html_part(email)
    assert "Responde" not in text and "Responde" not in html
    assert "Aviso de privacidad: escribe /privacidad en el chat del bot." in text
