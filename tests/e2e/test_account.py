"""Tu cuenta (/cuenta): the account's facts, signing the other chats out, changing the
address and deleting the account, through the emulator."""

from __future__ import annotations

import contextlib
import re
from email.message import EmailMessage

from sqlalchemy import func, select, text

from bot.persistence import SEALED
from emulator import Person
from emulator.world import Message
from storage.crypto import SecretBox
from storage.db import create_engine, create_session_factory
from storage.models import (
    Account,
    Base,
    ChatDataRow,
    ChatSession,
    Company,
    ConfirmationCode,
    EmailChange,
    KnownChat,
    OutboxMessage,
    RateEvent,
    ResetCode,
)
from tests.conftest import Mailbox
from tests.e2e.conftest import DATA_KEY, Harness
from tests.e2e.test_company import companies_in, fill_moral_form
from tests.e2e.test_reset import request_code, shift_back
from tests.factories import (
    PASSWORD,
    RFC_FISICA,
    RFC_MORAL,
    accounts_in,
    chat_account,
    code_from_email,
    confirmed_account,
    sign_in,
    sign_up,
    text_part,
)

CHANGE_CODE = re.compile(r"Código: ([A-Z2-9]{4}-[A-Z2-9]{4})")


async def open_account(person: Person) -> Message:
    await person.send("/cuenta")
    return await person.expect("Tu cuenta")


async def type_password(person: Person, button: str, password: str = PASSWORD) -> Message:
    """Press a button of /cuenta that asks the password, and type it; the message sent."""
    await person.press(button)
    await person.expect("contraseña")
    return await person.send(password)


async def request_change(person: Person, new_email: str) -> Message:
    """From /cuenta to the answer after the new address."""
    await open_account(person)
    typed = await type_password(person, "Cambiar correo")
    await person.expect("correo electrónico nuevo")
    assert typed.deleted
    await person.send(new_email)
    return await person.expect("Te enviamos un código")


def change_code(message: EmailMessage) -> str:
    match = CHANGE_CODE.search(text_part(message))
    assert match, text_part(message)
    return match.group(1)


async def mail_after(mailbox: Mailbox, before: int) -> list[EmailMessage]:
    return (await mailbox.wait(before + 1))[before:]


async def delete_account(person: Person) -> None:
    await open_account(person)
    await type_password(person, "Eliminar mi cuenta")
    await person.expect("Eliminar tu cuenta")
    await person.press("Sí, eliminar mi cuenta")
    await person.expect("escribe la palabra")
    await person.send("ELIMINAR")
    await person.expect("Eliminamos tu cuenta")


async def test_the_account_shows_its_facts_and_signs_the_other_chats_out(
    bot: Harness, smtp
) -> None:
    ana = bot.person()
    await confirmed_account(ana, smtp.mailbox, "empresa@example.mx", RFC_MORAL)
    laptop = bot.person()
    assert "entraste" in (await sign_in(laptop, "empresa@example.mx")).text

    shown = await open_account(ana)
    for fact in (
        "Correo (usuario): empresa@example.mx",
        "RFC: MAB9307148T4 (persona moral)",
        "Estado: confirmada",
        "Datos de la empresa: sin capturar",
        "Chats con la sesión abierta: 2, este y otros",
    ):
        assert fact in shown.text
    assert any("Cerrar sesión en los otros chats" in b for b in shown.button_texts())
    # Looking is all /cuenta did: the next command is answered at once.
    await ana.send("/ayuda")
    assert "Seguimos en lo que estábamos" not in (await ana.expect("Esto es lo que")).text

    await ana.press("Cerrar sesión en los otros chats", message=shown)
    assert "cerré la sesión en el otro chat" in (await ana.expect("cerré la sesión")).text
    assert await chat_account(bot.settings.database_url, laptop.chat.id) is None
    await laptop.send("/cuenta")
    await laptop.expect("primero entra")

    await ana.send("/empresa")
    await fill_moral_form(ana)
    await ana.press("Guardar")
    await ana.expect("guardados")
    again = await open_account(ana)
    assert "Datos de la empresa: capturados" in again.text
    assert "Chats con la sesión abierta: 1, este" in again.text
    assert not any("Cerrar sesión" in b for b in again.button_texts())


async def test_the_account_asks_a_chat_that_is_not_signed_in_to_sign_in(bot: Harness, smtp) -> None:
    await confirmed_account(bot.person(), smtp.mailbox, "ana@example.mx", RFC_FISICA)
    phone = bot.person()
    await phone.send("/cuenta")
    await phone.expect("primero entra")
    await phone.expect("correo electrónico")
    await phone.send("ana@example.mx")
    await phone.expect("contraseña")
    typed = await phone.send(PASSWORD)
    shown = await phone.expect("Tu cuenta")
    assert "RFC: GODE561231GR8 (persona física)" in shown.text and typed.deleted


async def test_changing_the_email_needs_the_code_sent_to_the_new_address(
    bot: Harness, smtp
) -> None:
    ana = bot.person()
    await confirmed_account(ana, smtp.mailbox, "ana@example.mx")
    laptop = bot.person()
    assert "entraste" in (await sign_in(laptop, "ana@example.mx")).text
    before = len(smtp.mailbox.messages)
    sent = await request_change(ana, "ana.nueva@example.mx")
    assert "ana.nueva@example.mx" in sent.text
    [mail] = await mail_after(smtp.mailbox, before)
    assert mail["To"] == "ana.nueva@example.mx"
    code = change_code(mail)
    await ana.expect("código")
    assert [a.email for a in await accounts_in(bot.settings.database_url)] == ["ana@example.mx"]

    await ana.send("no me llegó nada")  # not shaped like a code: help, and not counted
    assert "Spam" in (await ana.expect("no parece el código")).text
    await ana.send("ZZZZ-ZZZ2")
    assert (await ana.reply()).text == "Ese código no es correcto. Te quedan 4 intentos."
    await ana.expect("código")
    await ana.send(f"es {code.lower()}")
    done = await ana.expect("ahora es")
    assert "ana.nueva@example.mx" in done.text
    others = await ana.expect("sigue abierta en otro chat")
    assert any("Cerrar sesión" in b for b in others.button_texts())

    [notice] = await mail_after(smtp.mailbox, before + 1)
    assert notice["To"] == "ana@example.mx" and notice["Subject"] == "El correo de tu cuenta cambió"
    assert "ana.nueva@example.mx" in text_part(notice) and code not in text_part(notice)
    assert [a.email for a in await accounts_in(bot.settings.database_url)] == [
        "ana.nueva@example.mx"
    ]
    # The other chat stays signed in; sign-in takes the new address, not the old one.
    assert await chat_account(bot.settings.database_url, laptop.chat.id) is not None
    stranger = bot.person()
    assert "incorrectos" in (await sign_in(stranger, "ana@example.mx")).text
    assert "entraste" in (await sign_in(stranger, "ana.nueva@example.mx")).text


async def test_a_changed_email_ends_with_the_next_steps(bot: Harness, smtp) -> None:
    ana = bot.person()
    await confirmed_account(ana, smtp.mailbox, "ana@example.mx")
    before = len(smtp.mailbox.messages)
    await request_change(ana, "ana.nueva@example.mx")
    [mail] = await mail_after(smtp.mailbox, before)
    await ana.send(change_code(mail))
    done = await ana.expect("ahora es")
    assert done.button_texts() == ["🏢 Datos de la empresa", "👤 Mi cuenta", "🚪 Salir"]
    await ana.press("Mi cuenta", done)
    assert "ana.nueva@example.mx" in (await ana.expect("Tu cuenta")).text


async def test_changing_the_password_asks_the_current_one_then_the_new_one_twice(
    bot: Harness, smtp
) -> None:
    ana = bot.person()
    await confirmed_account(ana, smtp.mailbox, "ana@example.mx")
    laptop = bot.person()
    assert "entraste" in (await sign_in(laptop, "ana@example.mx")).text
    before = len(smtp.mailbox.messages)
    await open_account(ana)
    typed = [await type_password(ana, "Cambiar contraseña", "no es mi contraseña")]
    await ana.expect("Esa no es tu contraseña")  # counted as a sign-in, asked again
    typed.append(await ana.send(PASSWORD))
    await ana.expect("contraseña nueva")
    for weak, reason in (("corta", "muy corta"), ("ana@example.mx", "ni tu RFC")):
        typed.append(await ana.send(weak))
        refusal = await ana.expect(reason)  # one message: deleted, why, the question again
        assert "Borré" in refusal.text and "contraseña nueva" in refusal.text
    typed.append(await ana.send("una frase nueva y larga"))
    await ana.expect("otra vez")
    typed.append(await ana.send("otra frase distinta"))
    await ana.expect("no coinciden")
    await ana.expect("contraseña nueva")
    typed.append(await ana.send("una frase nueva y larga"))
    await ana.expect("otra vez")
    typed.append(await ana.send("una frase nueva y larga"))
    done = await ana.expect("cambiaste tu contraseña")
    assert done.button_texts() == ["🏢 Datos de la empresa", "👤 Mi cuenta", "🚪 Salir"]
    assert all(message.deleted for message in typed)

    [notice] = await mail_after(smtp.mailbox, before)
    assert notice["To"] == "ana@example.mx" and notice["Subject"] == "Tu contraseña cambió"
    assert "una frase nueva" not in text_part(notice) and PASSWORD not in text_part(notice)
    # The other chat is signed out, as after a reset; this one stays signed in.
    assert await chat_account(bot.settings.database_url, laptop.chat.id) is None
    assert await chat_account(bot.settings.database_url, ana.chat.id) is not None
    [account] = await accounts_in(bot.settings.database_url)
    assert account.password_hash.startswith("$argon2id$")
    stranger = bot.person()
    assert "incorrectos" in (await sign_in(stranger, "ana@example.mx")).text
    assert "entraste" in (await sign_in(stranger, "ana@example.mx", "una frase nueva y larga")).text


async def test_a_password_changed_in_cuenta_voids_a_pending_recovery_code(
    bot: Harness, smtp
) -> None:
    ana = bot.person()
    await confirmed_account(ana, smtp.mailbox, "ana@example.mx")
    phone = bot.person()
    before = len(smtp.mailbox.messages)
    await request_code(bot, phone, "ana@example.mx")
    [mail] = await mail_after(smtp.mailbox, before)
    code = change_code(mail)  # the recovery code has the same shape
    await phone.expect("código")
    await open_account(ana)
    await type_password(ana, "Cambiar contraseña")
    await ana.expect("contraseña nueva")
    await ana.send("una frase nueva y larga")
    await ana.expect("otra vez")
    await ana.send("una frase nueva y larga")
    await ana.expect("cambiaste tu contraseña")
    await phone.send(code)
    assert "ya venció o ya se usó" in (await phone.reply()).text
    assert (
        "incorrectos"
        not in (await sign_in(bot.person(), "ana@example.mx", "una frase nueva y larga")).text
    )


async def test_a_wrong_password_is_asked_again_and_counted_as_a_sign_in(bot: Harness, smtp) -> None:
    ana = bot.person()
    await confirmed_account(ana, smtp.mailbox, "ana@example.mx")
    await open_account(ana)
    typed = [await type_password(ana, "Cambiar correo", "no es mi contraseña")]
    assert (await ana.reply()).text.startswith("Esa no es tu contraseña. Por seguridad")
    for _ in range(4):
        typed.append(await ana.send("tampoco es esta"))
        await ana.expect("Esa no es tu contraseña")
    typed.append(await ana.send(PASSWORD))  # the chat's five tries are spent: refused
    assert "demasiados intentos" in (await ana.reply()).text
    assert all(message.deleted for message in typed)
    await ana.send("/cuenta")
    assert "Chats con la sesión abierta" in (await ana.expect("Tu cuenta")).text


async def test_a_password_typed_into_an_edited_message_is_deleted(bot: Harness, smtp) -> None:
    ana = bot.person()
    await confirmed_account(ana, smtp.mailbox, "ana@example.mx")
    await open_account(ana)
    await ana.press("Eliminar mi cuenta")
    await ana.expect("contraseña")
    # Telegram Desktop's Up key edits the last message sent: here, /cuenta.
    last = [message for message in ana.messages if not message.from_bot][-1]
    await ana.edit(last, PASSWORD)
    await ana.wait_deleted(last)
    assert "contraseña" in (await ana.expect("Borré tu mensaje")).text


async def test_an_expired_code_changes_nothing(bot: Harness, smtp) -> None:
    ana = bot.person()
    await confirmed_account(ana, smtp.mailbox, "ana@example.mx")
    before = len(smtp.mailbox.messages)
    await request_change(ana, "ana.nueva@example.mx")
    code = change_code((await mail_after(smtp.mailbox, before))[0])
    await ana.expect("código")
    await shift_back(bot.settings.database_url, EmailChange, "expires_at", 1)
    await ana.send(code)
    assert "ya venció" in (await ana.expect("venció")).text
    assert [a.email for a in await accounts_in(bot.settings.database_url)] == ["ana@example.mx"]


async def test_an_address_of_another_account_is_answered_alike_and_changes_nothing(
    bot: Harness, smtp
) -> None:
    await confirmed_account(bot.person(), smtp.mailbox, "bob@example.mx")
    ana, carol = bot.person(), bot.person()
    await confirmed_account(ana, smtp.mailbox, "ana@example.mx")
    await confirmed_account(carol, smtp.mailbox, "carol@example.mx")
    before = len(smtp.mailbox.messages)

    taken = await request_change(ana, "bob@example.mx")
    taken_prompt = await ana.expect("código")
    free = await request_change(carol, "libre@example.mx")
    free_prompt = await carol.expect("código")
    assert taken.text.replace("bob@", "X@") == free.text.replace("libre@", "X@")
    assert taken_prompt.text.replace("bob@", "X@") == free_prompt.text.replace("libre@", "X@")

    mail = await mail_after(smtp.mailbox, before)
    await smtp.mailbox.wait(before + 2)
    to_bob = smtp.mailbox.to("bob@example.mx")[-1]
    assert to_bob["Subject"] == "Alguien intentó usar tu correo en otra cuenta"
    assert not CHANGE_CODE.search(text_part(to_bob)) and "ana@example.mx" not in text_part(to_bob)
    assert {m["To"] for m in smtp.mailbox.messages[before:]} == {
        "bob@example.mx",
        "libre@example.mx",
    }
    assert mail

    # No code works: a guess, or the code mailed to the other request, is a wrong code.
    for guess in ("ABCD-EFG2", change_code(smtp.mailbox.to("libre@example.mx")[-1])):
        await ana.send(guess)
        assert (await ana.reply()).text.startswith("Ese código no es correcto")
        await ana.expect("código")
    emails = {a.email for a in await accounts_in(bot.settings.database_url)}
    assert emails == {"bob@example.mx", "ana@example.mx", "carol@example.mx"}
    assert "entraste" in (await sign_in(bot.person(), "bob@example.mx")).text


async def rows_naming(database_url: str, account_id: int, email: str) -> dict[str, int]:
    """How many rows of each table still name the account or its address."""
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:

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
                "known_chats": await count(
                    select(KnownChat).where(KnownChat.account_id == account_id)
                ),
                "rate_events": await count(
                    select(RateEvent).where(
                        RateEvent.key.contains(email)
                        | RateEvent.key.contains(f"known-chat:{account_id}:")
                    )
                ),
            }
    finally:
        await engine.dispose()


async def outbox_to(database_url: str, email: str) -> list[OutboxMessage]:
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            query = select(OutboxMessage).where(OutboxMessage.recipient == email)
            return list((await session.scalars(query)).all())
    finally:
        await engine.dispose()


async def test_deleting_the_account_leaves_nothing_and_the_address_can_sign_up_anew(
    bot: Harness, smtp
) -> None:
    database = bot.settings.database_url
    ana = bot.person()
    await confirmed_account(ana, smtp.mailbox, "empresa@example.mx", RFC_MORAL)
    await ana.send("/empresa")
    await fill_moral_form(ana)
    await ana.press("Guardar")
    await ana.expect("guardados")
    laptop = bot.person()
    assert "entraste" in (await sign_in(laptop, "empresa@example.mx")).text
    await request_code(bot, bot.person(), "empresa@example.mx")  # a reset code for the address
    [account] = await accounts_in(database)

    # Declined first: nothing goes.
    await open_account(ana)
    await type_password(ana, "Eliminar mi cuenta")
    warning = await ana.expect("Eliminar tu cuenta")
    assert "No se puede deshacer" in warning.text
    await ana.press("No, conservarla")
    await ana.expect("sigue igual")
    assert len(await accounts_in(database)) == 1

    await open_account(ana)
    typed = await type_password(ana, "Eliminar mi cuenta")
    await ana.expect("Eliminar tu cuenta")
    assert typed.deleted
    await ana.press("Sí, eliminar mi cuenta")
    await ana.expect("escribe la palabra ELIMINAR")
    await ana.send("sí")
    assert "No coincide" in (await ana.expect("No coincide")).text
    assert len(await accounts_in(database)) == 1
    before = len(smtp.mailbox.messages)
    await ana.send("eliminar")
    await ana.expect("Eliminamos tu cuenta")

    [goodbye] = await mail_after(smtp.mailbox, before)
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
    assert "incorrectos" in (await sign_in(bot.person(), "empresa@example.mx")).text

    newcomer = bot.person()
    before = len(smtp.mailbox.messages)
    await sign_up(newcomer, "empresa@example.mx", RFC_FISICA, "una frase distinta y larga")
    [welcome] = await mail_after(smtp.mailbox, before)
    assert welcome["Subject"].startswith("Confirma tu cuenta")
    await newcomer.send(code_from_email(welcome))
    await newcomer.expect("Felicidades")
    [fresh] = await accounts_in(database)
    assert fresh.rfc == RFC_FISICA and fresh.confirmed


async def test_account_in_english(bot: Harness, smtp) -> None:
    ana = bot.person()
    await confirmed_account(ana, smtp.mailbox, "ana@example.mx")
    await ana.send("/idioma")
    await ana.press("English")
    await ana.expect("in English")
    await ana.send("/account")
    shown = await ana.expect("Your account")
    assert "RFC: GODE561231GR8 (persona física)" in shown.text and "Status: confirmed" in shown.text
    assert shown.button_texts() == ["✉️ Change email", "🔑 Change password", "🗑 Delete my account"]
    await ana.press("Change password", shown)
    await ana.expect("current password")
    await ana.send(PASSWORD)
    await ana.expect("new password")
    await ana.send("una frase nueva y larga")
    await ana.expect("again")
    await ana.send("una frase nueva y larga")
    done = await ana.expect("password has changed")
    assert done.button_texts()[-2:] == ["👤 My account", "🚪 Sign out"]


async def test_a_likely_typo_in_the_new_address_is_offered_a_correction(bot: Harness, smtp) -> None:
    ana = bot.person()
    await confirmed_account(ana, smtp.mailbox, "ana@example.mx")
    await open_account(ana)
    await type_password(ana, "Cambiar correo")
    await ana.expect("correo electrónico nuevo")
    before = len(smtp.mailbox.messages)
    await ana.send("ana@gmial.com")
    question = await ana.expect("¿Quisiste decir")
    assert "ana@gmail.com" in question.text
    assert len(smtp.mailbox.messages) == before  # nothing mailed before the choice
    await ana.press("ana@gmail.com", message=question)
    sent = await ana.expect("Te enviamos un código")
    assert "ana@gmail.com" in sent.text
    [mail] = await mail_after(smtp.mailbox, before)
    assert mail["To"] == "ana@gmail.com"


async def test_the_typed_new_address_is_kept_when_the_person_says_so(bot: Harness, smtp) -> None:
    ana = bot.person()
    await confirmed_account(ana, smtp.mailbox, "ana@example.mx")
    await open_account(ana)
    await type_password(ana, "Cambiar correo")
    await ana.expect("correo electrónico nuevo")
    before = len(smtp.mailbox.messages)
    await ana.send("ana@hotmial.com")
    question = await ana.expect("¿Quisiste decir")
    await ana.press("No, dejar", message=question)
    await ana.expect("Te enviamos un código")
    [mail] = await mail_after(smtp.mailbox, before)
    assert mail["To"] == "ana@hotmial.com"


async def tables_naming(database_url: str, *fragments: str) -> dict[str, list[object]]:
    """Every row of every table that holds one of `fragments`, by table."""
    engine = create_engine(database_url)
    found: dict[str, list[object]] = {}
    try:
        async with create_session_factory(engine)() as session:
            for table in Base.metadata.sorted_tables:
                rows = (await session.execute(text(f"SELECT * FROM {table.name}"))).all()
                hits = [r for r in rows if any(f in repr(r) for f in fragments)]
                if hits:
                    found[table.name] = hits
    finally:
        await engine.dispose()
    return found


async def test_a_deletion_leaves_its_addresses_old_and_pending_in_no_table(
    bot: Harness, smtp
) -> None:
    ana = bot.person()
    await confirmed_account(ana, smtp.mailbox, "empresa@example.mx", RFC_MORAL)
    await ana.send("/empresa")
    await fill_moral_form(ana)
    await ana.press("Guardar")
    await ana.expect("guardados")
    before = len(smtp.mailbox.messages)
    await request_change(ana, "nuevo@example.mx")
    [code] = await mail_after(smtp.mailbox, before)
    assert code["To"] == "nuevo@example.mx"
    await ana.send("/cancelar")
    await ana.reply()
    await delete_account(ana)
    await mail_after(smtp.mailbox, before + 1)  # the last notice
    found = await tables_naming(
        bot.settings.database_url, "empresa@example.mx", "nuevo@example.mx", RFC_MORAL
    )
    # Only the last email's row (recipient and subject, body blanked) may stay.
    assert set(found) <= {"outbox"}, found
    assert len(found.get("outbox", [])) <= 1, found


async def test_a_change_code_still_queued_at_the_deletion_is_never_sent(bot: Harness, smtp) -> None:
    ana = bot.person()
    await confirmed_account(ana, smtp.mailbox, "ana@example.mx")
    smtp.mailbox.deferred.add("nuevo@example.mx")  # its server asks to try again later
    asked = len(smtp.mailbox.asked)
    await request_change(ana, "nuevo@example.mx")
    await smtp.mailbox.wait_asked(asked + 1)  # tried once: the code waits in the outbox
    await ana.send("/cancelar")
    await ana.reply()
    before = len(smtp.mailbox.messages)
    await delete_account(ana)
    smtp.mailbox.deferred.clear()
    [goodbye] = await mail_after(smtp.mailbox, before)
    assert goodbye["To"] == "ana@example.mx"
    assert goodbye["Subject"] == "Tu cuenta fue eliminada"
    assert await outbox_to(bot.settings.database_url, "nuevo@example.mx") == []
    assert smtp.mailbox.to("nuevo@example.mx") == []


async def test_a_contact_email_that_was_the_old_address_is_offered_the_new_one(
    bot: Harness, smtp
) -> None:
    ana = bot.person()
    await confirmed_account(ana, smtp.mailbox, "empresa@example.mx", RFC_MORAL)
    await ana.send("/empresa")
    await fill_moral_form(ana)  # contact: the account's address
    await ana.press("Guardar")
    await ana.expect("guardados")
    before = len(smtp.mailbox.messages)
    await request_change(ana, "nuevo@example.mx")
    [mail] = await mail_after(smtp.mailbox, before)
    await ana.send(change_code(mail))
    await ana.expect("ahora es")
    offer = await ana.expect("correo de contacto de tu empresa")
    assert "empresa@example.mx" in offer.text and "nuevo@example.mx" in offer.text
    [company] = await companies_in(bot.settings.database_url)
    assert company.correo_contacto == "empresa@example.mx"  # not until asked
    await ana.press("Sí, usar el nuevo como correo de contacto", message=offer)
    assert "nuevo@example.mx" in (await ana.expect("ahora es nuevo@example.mx")).text
    [company] = await companies_in(bot.settings.database_url)
    assert company.correo_contacto == "nuevo@example.mx"


async def test_a_deletion_after_a_completed_change_leaves_the_former_address_in_no_table(
    bot: Harness, smtp
) -> None:
    ana = bot.person()
    await confirmed_account(ana, smtp.mailbox, "empresa@example.mx", RFC_MORAL)
    before = len(smtp.mailbox.messages)
    await request_change(ana, "nuevo@example.mx")
    [mail] = await mail_after(smtp.mailbox, before)
    await ana.send(change_code(mail))
    await ana.expect("ahora es")
    await mail_after(smtp.mailbox, before + 1)  # the notice to the former address
    await delete_account(ana)
    await mail_after(smtp.mailbox, before + 2)  # the last notice
    found = await tables_naming(bot.settings.database_url, "empresa@example.mx", RFC_MORAL)
    assert found == {}, found


async def test_deleting_accounts_does_not_lift_the_cap_of_an_inbox_they_mailed(
    bot: Harness, smtp
) -> None:
    """One Telegram user signs up, asks to change the address to Vera's three times,
    deletes the account, and again: Vera's inbox still gets at most 10 emails an hour
    from strangers."""
    mallory = bot.person()
    for round_ in range(4):
        await confirmed_account(mallory, smtp.mailbox, f"m{round_}@example.mx")
        for _ in range(3):
            await request_change(mallory, "vera@example.mx")
            await mallory.send("/cancelar")
            await mallory.reply()
        while len(smtp.mailbox.to("vera@example.mx")) < min(3 * (round_ + 1), 10):
            await smtp.mailbox.wait(len(smtp.mailbox.messages) + 1)  # the codes, sent
        await delete_account(mallory)
        while not [
            m for m in smtp.mailbox.to(f"m{round_}@example.mx") if "eliminada" in m["Subject"]
        ]:
            await smtp.mailbox.wait(len(smtp.mailbox.messages) + 1)  # the last notice
    # Mail still on its way: awaited until it passes the cap, or none comes for a while.
    with contextlib.suppress(AssertionError):
        while len(smtp.mailbox.to("vera@example.mx")) <= 10:
            await smtp.mailbox.wait(len(smtp.mailbox.messages) + 1, timeout=5)
    assert len(smtp.mailbox.to("vera@example.mx")) <= 10


async def stored_chat_data(database_url: str) -> str:
    """Every chat's stored drafts, unsealed, as one text."""
    engine = create_engine(database_url)
    box = SecretBox([DATA_KEY])
    try:
        async with create_session_factory(engine)() as session:
            rows = (await session.scalars(select(ChatDataRow))).all()
            return "\n".join(box.open(row.data[SEALED]) for row in rows if SEALED in row.data)
    finally:
        await engine.dispose()


async def test_a_deletion_leaves_no_company_draft_in_another_chat(bot: Harness, smtp) -> None:
    ana = bot.person()
    await confirmed_account(ana, smtp.mailbox, "empresa@example.mx", RFC_MORAL)
    laptop = bot.person()
    assert "entraste" in (await sign_in(laptop, "empresa@example.mx")).text
    await laptop.send("/empresa")
    await fill_moral_form(laptop)
    await laptop.expect("Revisa los datos de tu empresa")
    await delete_account(ana)
    await bot.stop()  # what the chats hold, written to the database
    stored = await stored_chat_data(bot.settings.database_url)
    assert "PATITO" not in stored.upper() and "INSURGENTES" not in stored.upper()


async def test_a_company_form_in_another_chat_ends_kindly_after_the_deletion(
    bot: Harness, smtp
) -> None:
    ana = bot.person()
    await confirmed_account(ana, smtp.mailbox, "empresa@example.mx", RFC_MORAL)
    laptop = bot.person()
    assert "entraste" in (await sign_in(laptop, "empresa@example.mx")).text
    await laptop.send("/empresa")
    await fill_moral_form(laptop)
    await laptop.expect("Revisa los datos de tu empresa")
    await delete_account(ana)
    await laptop.press("Guardar")
    await laptop.expect("no guardé nada")
    await laptop.send("/ayuda")  # the form is over: any command works again
    await laptop.expect("Esto es lo que puedo hacer")
    assert await companies_in(bot.settings.database_url) == []


async def test_a_deletion_leaves_no_new_address_in_another_chat(bot: Harness, smtp) -> None:
    ana = bot.person()
    await confirmed_account(ana, smtp.mailbox, "empresa@example.mx", RFC_MORAL)
    laptop = bot.person()
    assert "entraste" in (await sign_in(laptop, "empresa@example.mx")).text
    await request_change(laptop, "nueva.direccion@example.mx")
    await delete_account(ana)
    await laptop.send("hola")  # not a code: the question again says the session ended
    await laptop.expect("Tu sesión en este chat terminó")
    await bot.stop()  # what the chats hold, written to the database
    assert "nueva.direccion" not in await stored_chat_data(bot.settings.database_url)
