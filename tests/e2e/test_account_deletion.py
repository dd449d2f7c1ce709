"""Deleting the account from /cuenta: asked twice, confirmed with a word; it erases every
row naming the account or its addresses (old and pending), leaves nothing behind in the
other chats, wins over what they were doing, and leaves the address free to sign up anew."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from storage.models import (
    Account,
    ChatSession,
    Company,
    ConfirmationCode,
    EmailChange,
    KnownChat,
    OutboxMessage,
    RateEvent,
    ResetCode,
)
from tests import journeys
from tests.e2e.conftest import DATA_KEY, Harness
from tests.factories import (
    PASSWORD,
    RFC_FISICA,
    RFC_MORAL,
    accounts_in,
    chat_account,
    code_from_email,
    companies_in,
    database,
    stored_chat_data,
    tables_naming,
)

DELETED = "Eliminamos tu cuenta"


async def rows_naming(database_url: str, account_id: int, email: str) -> dict[str, int]:
    """How many rows of each table still name the account or its address."""
    async with database(database_url) as session:

        async def count(query) -> int:  # type: ignore[no-untyped-def]
            return await session.scalar(select(func.count()).select_from(query.subquery()))

        return {
            "accounts": await count(
                select(Account).where((Account.id == account_id) | (Account.email == email))
            ),
            "companies": await count(select(Company).where(Company.account_id == account_id)),
            "confirmation_codes": await count(
                select(ConfirmationCode).where(ConfirmationCode.account_id == account_id)
            ),
            "email_changes": await count(
                select(EmailChange).where(EmailChange.account_id == account_id)
            ),
            "reset_codes": await count(
                select(ResetCode).where(
                    (ResetCode.account_id == account_id) | (ResetCode.email == email)
                )
            ),
            "chat_sessions": await count(
                select(ChatSession).where(ChatSession.account_id == account_id)
            ),
            "known_chats": await count(select(KnownChat).where(KnownChat.account_id == account_id)),
            "rate_events": await count(
                select(RateEvent).where(
                    RateEvent.key.contains(email)
                    | RateEvent.key.contains(f"known-chat:{account_id}:")
                )
            ),
        }


async def outbox_to(database_url: str, email: str) -> list[OutboxMessage]:
    async with database(database_url) as session:
        query = select(OutboxMessage).where(OutboxMessage.recipient == email)
        return list((await session.scalars(query)).all())


# What a deletion erases


@pytest.mark.postgres  # deletions and cascades
async def test_deleting_the_account_leaves_nothing_and_the_address_can_sign_up_anew(
    bot: Harness, smtp
) -> None:
    database = bot.settings.database_url
    ana, laptop = bot.person(), bot.person()
    await journeys.two_chats(ana, laptop, smtp.mailbox, "empresa@example.mx", RFC_MORAL)
    await journeys.company(ana, save=True)
    await journeys.request_reset(bot.person(), "empresa@example.mx")  # a reset code too
    [account] = await accounts_in(database)

    # Declined first: nothing goes.
    await journeys.open_account(ana)
    await journeys.type_password(ana, "Eliminar mi cuenta")
    warning = await ana.expect("Eliminar tu cuenta")
    assert "No se puede deshacer" in warning.text
    await ana.press("No, conservarla")
    await ana.expect("sigue igual")
    assert len(await accounts_in(database)) == 1

    await journeys.open_account(ana)
    typed = await journeys.type_password(ana, "Eliminar mi cuenta")
    await ana.expect("Eliminar tu cuenta")
    assert typed.deleted
    await ana.press("Sí, eliminar mi cuenta")
    await ana.expect("escribe la palabra ELIMINAR")
    await ana.send("sí")
    assert "No coincide" in (await ana.expect("No coincide")).text
    assert len(await accounts_in(database)) == 1
    before = len(smtp.mailbox.messages)
    await ana.send("eliminar")
    await ana.expect(DELETED)

    [goodbye] = await journeys.mail_after(smtp.mailbox, before)
    assert goodbye["To"] == "empresa@example.mx"
    assert goodbye["Subject"] == "Tu cuenta fue eliminada"
    left = await rows_naming(database, account.id, "empresa@example.mx")
    assert left == dict.fromkeys(left, 0)
    # Only the last email stays in the outbox, its body blanked once it was sent.
    [row] = await outbox_to(database, "empresa@example.mx")
    assert row.subject == "Tu cuenta fue eliminada"

    for chat in (ana, laptop):
        await chat.send("/cuenta")
        await chat.expect("primero entra")
        await chat.send("/cancelar")
        await chat.reply()
    assert "incorrectos" in (await journeys.sign_in(bot.person(), "empresa@example.mx")).text

    newcomer = bot.person()
    before = len(smtp.mailbox.messages)
    await journeys.sign_up(newcomer, "empresa@example.mx", RFC_FISICA, "una frase distinta y larga")
    [welcome] = await journeys.mail_after(smtp.mailbox, before)
    assert welcome["Subject"].startswith("Confirma tu cuenta")
    await newcomer.send(code_from_email(welcome))
    await newcomer.expect("Felicidades")
    [fresh] = await accounts_in(database)
    assert fresh.rfc == RFC_FISICA and fresh.confirmed


@pytest.mark.postgres  # deletions and cascades
async def test_a_deletion_leaves_its_addresses_old_and_pending_in_no_table(
    bot: Harness, smtp
) -> None:
    ana = bot.person()
    await journeys.confirmed(ana, smtp.mailbox, "empresa@example.mx", RFC_MORAL)
    await journeys.company(ana, save=True)
    before = len(smtp.mailbox.messages)
    await journeys.request_change(ana, "nuevo@example.mx")
    [code] = await journeys.mail_after(smtp.mailbox, before)
    assert code["To"] == "nuevo@example.mx"
    await ana.send("/cancelar")
    await ana.reply()
    assert DELETED in (await journeys.delete_account(ana)).text
    await journeys.mail_after(smtp.mailbox, before + 1)  # the last notice
    found = await tables_naming(
        bot.settings.database_url, "empresa@example.mx", "nuevo@example.mx", RFC_MORAL
    )
    # Only the last email's row (recipient and subject, body blanked) may stay.
    assert set(found) <= {"outbox"}, found
    assert len(found.get("outbox", [])) <= 1, found


async def test_a_deletion_after_a_completed_change_leaves_the_former_address_in_no_table(
    bot: Harness, smtp
) -> None:
    ana = bot.person()
    await journeys.confirmed(ana, smtp.mailbox, "empresa@example.mx", RFC_MORAL)
    before = len(smtp.mailbox.messages)
    await journeys.change_email(ana, smtp.mailbox, "nuevo@example.mx")
    await journeys.mail_after(smtp.mailbox, before + 1)  # the notice to the former address
    assert DELETED in (await journeys.delete_account(ana)).text
    await journeys.mail_after(smtp.mailbox, before + 2)  # the last notice
    found = await tables_naming(bot.settings.database_url, "empresa@example.mx", RFC_MORAL)
    assert found == {}, found


@pytest.mark.postgres  # the outbox
async def test_a_change_code_still_queued_at_the_deletion_is_never_sent(bot: Harness, smtp) -> None:
    ana = bot.person()
    await journeys.confirmed(ana, smtp.mailbox, "ana@example.mx")
    smtp.mailbox.deferred.add("nuevo@example.mx")  # its server asks to try again later
    asked = len(smtp.mailbox.asked)
    await journeys.request_change(ana, "nuevo@example.mx")
    await smtp.mailbox.wait_asked(asked + 1)  # tried once: the code waits in the outbox
    await ana.send("/cancelar")
    await ana.reply()
    before = len(smtp.mailbox.messages)
    assert DELETED in (await journeys.delete_account(ana)).text
    smtp.mailbox.deferred.clear()
    [goodbye] = await journeys.mail_after(smtp.mailbox, before)
    assert goodbye["To"] == "ana@example.mx"
    assert goodbye["Subject"] == "Tu cuenta fue eliminada"
    assert await outbox_to(bot.settings.database_url, "nuevo@example.mx") == []
    assert smtp.mailbox.to("nuevo@example.mx") == []


async def test_a_deleted_account_gets_no_mail_from_a_stale_confirmation_link(
    bot: Harness, smtp
) -> None:
    ana = bot.person()
    await journeys.sign_up(ana, "ana@example.mx")
    code = code_from_email((await smtp.mailbox.wait(1))[0])
    await ana.send(code)
    await ana.expect("Felicidades")
    assert DELETED in (await journeys.delete_account(ana)).text
    await smtp.mailbox.wait(2)
    await ana.send(f"/start c_{code}")
    answer = await ana.reply()
    assert "Felicidades" not in answer.text
    assert await chat_account(bot.settings.database_url, ana.chat.id) is None


# The other chats of the account


@pytest.mark.postgres  # races between two chats
async def test_a_company_form_in_another_chat_ends_kindly_after_the_deletion_saving_nothing(
    bot: Harness, smtp
) -> None:
    ana, laptop = bot.person(), bot.person()
    await journeys.two_chats(ana, laptop, smtp.mailbox, "empresa@example.mx", RFC_MORAL)
    summary = await journeys.company(laptop)
    assert DELETED in (await journeys.delete_account(ana)).text
    await laptop.press("Guardar", message=summary)
    answer = await laptop.reply()
    assert "no guardé nada" in answer.text and "guardados" not in answer.text, answer.text
    await laptop.send("/ayuda")  # the form is over: any command works again
    await laptop.expect("Esto es lo que puedo hacer")
    assert await companies_in(bot.settings.database_url) == []
    assert await accounts_in(bot.settings.database_url) == []


async def test_a_deletion_leaves_no_company_draft_in_another_chat(bot: Harness, smtp) -> None:
    ana, laptop = bot.person(), bot.person()
    await journeys.two_chats(ana, laptop, smtp.mailbox, "empresa@example.mx", RFC_MORAL)
    await journeys.company(laptop)
    assert DELETED in (await journeys.delete_account(ana)).text
    await bot.stop()  # what the chats hold, written to the database
    stored = await stored_chat_data(bot.settings.database_url, DATA_KEY)
    assert "PATITO" not in stored.upper() and "INSURGENTES" not in stored.upper()


async def test_a_deletion_leaves_no_new_address_in_another_chat(bot: Harness, smtp) -> None:
    ana, laptop = bot.person(), bot.person()
    await journeys.two_chats(ana, laptop, smtp.mailbox, "empresa@example.mx", RFC_MORAL)
    await journeys.request_change(laptop, "nueva.direccion@example.mx")
    assert DELETED in (await journeys.delete_account(ana)).text
    await laptop.send("hola")  # not a code: the question again says the session ended
    await laptop.expect("Tu sesión en este chat terminó")
    await bot.stop()  # what the chats hold, written to the database
    assert "nueva.direccion" not in await stored_chat_data(bot.settings.database_url, DATA_KEY)


@pytest.mark.postgres  # races between two chats
async def test_a_change_code_typed_in_another_chat_after_the_deletion_changes_nothing(
    bot: Harness, smtp
) -> None:
    ana, laptop = bot.person(), bot.person()
    await journeys.two_chats(ana, laptop, smtp.mailbox, "ana@example.mx")
    code = await journeys.change_code_asked(laptop, smtp.mailbox, "ana.nueva@example.mx")
    assert DELETED in (await journeys.delete_account(ana)).text
    await laptop.send(code)
    answer = await laptop.reply()
    assert "ahora es" not in answer.text, answer.text
    assert await accounts_in(bot.settings.database_url) == []


async def test_a_deletion_leaves_no_address_in_the_chat_that_signed_up(bot: Harness, smtp) -> None:
    """The sign-up chat keeps the address for /reenviar; a deletion from another chat
    does not leave it there."""
    signup_chat = bot.person()
    await journeys.confirmed(signup_chat, smtp.mailbox, "ana@example.mx")
    await signup_chat.send("/salir")
    await signup_chat.reply()
    phone = bot.person()
    assert "entraste" in (await journeys.sign_in(phone, "ana@example.mx")).text
    assert DELETED in (await journeys.delete_account(phone)).text
    await signup_chat.send("/reenviar")
    answer = await signup_chat.reply()
    assert "ana@example.mx" not in answer.text, answer.text


@pytest.mark.postgres  # races between two chats, at the same moment
async def test_deleting_and_saving_the_company_at_the_same_moment_leaves_no_company(
    bot: Harness, smtp
) -> None:
    ana, laptop = bot.person(), bot.person()
    await journeys.two_chats(ana, laptop, smtp.mailbox, "empresa@example.mx", RFC_MORAL)
    summary = await journeys.company(laptop)
    await journeys.ask_deletion(ana)
    await asyncio.gather(ana.send("ELIMINAR"), laptop.press("Guardar", message=summary))
    await ana.expect(DELETED)
    await laptop.reply()
    await laptop.send("/ayuda")  # answered once the press is done with
    await laptop.reply()
    assert await accounts_in(bot.settings.database_url) == []
    assert await companies_in(bot.settings.database_url) == []


@pytest.mark.postgres  # races between two chats, at the same moment
async def test_changing_the_address_and_deleting_at_the_same_moment_leave_no_account(
    bot: Harness, smtp
) -> None:
    ana, laptop = bot.person(), bot.person()
    await journeys.two_chats(ana, laptop, smtp.mailbox, "ana@example.mx")
    code = await journeys.change_code_asked(laptop, smtp.mailbox, "ana.nueva@example.mx")
    await journeys.ask_deletion(ana)
    await asyncio.gather(ana.send("ELIMINAR"), laptop.send(code))
    deleted = await ana.reply()
    changed = await laptop.reply()
    assert await accounts_in(bot.settings.database_url) == []
    assert DELETED in deleted.text
    assert changed.text  # either order is fine, as long as no account stays


# The word, and what is typed instead


async def test_a_password_typed_at_the_word_step_is_deleted(bot: Harness, smtp) -> None:
    ana = bot.person()
    await journeys.confirmed(ana, smtp.mailbox, "ana@example.mx")
    await journeys.ask_deletion(ana)
    typed = await ana.send(PASSWORD)
    await ana.expect("No coincide")
    assert typed.deleted


async def test_soporte_at_the_word_step_keeps_the_step(bot: Harness, smtp) -> None:
    ana = bot.person()
    await journeys.confirmed(ana, smtp.mailbox, "ana@example.mx")
    await journeys.ask_deletion(ana)
    await ana.send("/soporte")
    await ana.expect("ELIMINAR")
    await ana.send("ELIMINAR")
    await ana.expect(DELETED)


async def test_deletion_in_english_asks_an_english_word(bot: Harness, smtp) -> None:
    ana = bot.person()
    await journeys.confirmed(ana, smtp.mailbox, "ana@example.mx")
    await ana.send("/language")
    await ana.press("English")
    await ana.expect("in English")
    await ana.send("/account")
    await ana.expect("Your account")
    await ana.press("Delete my account")
    await ana.expect("password")
    await ana.send(PASSWORD)
    warning = await ana.expect("Delete your account")
    yes = [b for b in warning.button_texts() if "delete" in b.lower() and "keep" not in b.lower()]
    await ana.press(yes[0])
    ask = await ana.reply()
    assert "ELIMINAR" not in ask.text, ask.text


# After the deletion


async def test_after_deletion_start_offers_sign_up_again(bot: Harness, smtp) -> None:
    ana = bot.person()
    await journeys.confirmed(ana, smtp.mailbox, "ana@example.mx")
    assert DELETED in (await journeys.delete_account(ana)).text
    await ana.send("/start")
    menu = await ana.reply()
    assert "ana@example.mx" not in menu.text
    assert any("Crear cuenta" in b for b in menu.button_texts()), menu.button_texts()


async def test_an_old_capture_now_button_after_deletion_asks_to_sign_in(bot: Harness, smtp) -> None:
    ana = bot.person()
    confirmed = await journeys.confirmed(ana, smtp.mailbox, "ana@example.mx")
    assert DELETED in (await journeys.delete_account(ana)).text
    await ana.press("Capturarlos ahora", message=confirmed)
    answer = await ana.reply()
    assert "entra" in answer.text.lower(), answer.text


async def test_an_old_delete_button_after_signing_out_asks_nothing(bot: Harness, smtp) -> None:
    ana = bot.person()
    await journeys.confirmed(ana, smtp.mailbox, "ana@example.mx")
    shown = await journeys.open_account(ana)
    await ana.send("/salir")
    await ana.expect("Cerraste")
    await ana.press("Eliminar mi cuenta", message=shown)
    answer = await ana.reply()
    assert "no cambié nada" in answer.text, answer.text
