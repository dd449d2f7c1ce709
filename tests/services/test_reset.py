"""Reset codes and the human check, on a real database, with a clock the test moves."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event, select

from services.human_check import CHOICES, HumanCheckService, TapResult
from services.one_time_codes import CodeCheck, CodeStatus
from services.passwords import PasswordHasher
from services.reset import ResetPolicy, ResetService
from storage.models import ResetCode
from tests.factories import CountingHasher
from tests.services.conftest import AccountsWorld, outbox, request

# Codes' tries counted in one statement, shared codes, limits: both databases.
pytestmark = pytest.mark.postgres


def reset_service(
    accounts: AccountsWorld,
    hasher: PasswordHasher | None = None,
    policy: ResetPolicy | None = None,
) -> ResetService:
    return ResetService(
        sessions=accounts.sessions,
        passwords=hasher or PasswordHasher(),
        policy=policy or ResetPolicy(),
        outbox=accounts.outbox,
        mail_ready=lambda: None,
        clock=accounts.clock,
    )


async def mailed_reset(accounts: AccountsWorld) -> str:
    match = re.search(r"Código: (\S+)", (await outbox(accounts))[-1].text_body)
    assert match
    return match.group(1)


async def test_challenge_is_single_use_and_expires(accounts: AccountsWorld) -> None:
    checks = HumanCheckService(sessions=accounts.sessions, clock=accounts.clock)
    challenge = await checks.new_challenge(user_id=7)
    assert len(challenge.buttons) == CHOICES and challenge.symbol in challenge.buttons
    right = challenge.buttons.index(challenge.symbol)
    assert (
        await checks.tap(token=challenge.token, position=right, user_id=7)
    ).result is TapResult.PASSED
    again = await checks.tap(token=challenge.token, position=right, user_id=7)
    assert again.result is TapResult.EXPIRED
    late = await checks.new_challenge(user_id=7)
    accounts.clock.advance(minutes=5, seconds=1)
    answer = late.buttons.index(late.symbol)
    assert (
        await checks.tap(token=late.token, position=answer, user_id=7)
    ).result is TapResult.EXPIRED
    other = await checks.new_challenge(user_id=7)
    stolen = await checks.tap(token=other.token, position=0, user_id=8)  # another person's
    assert stolen.result is TapResult.EXPIRED


async def test_three_wrong_taps_in_a_row_lock_for_ten_minutes(accounts: AccountsWorld) -> None:
    checks = HumanCheckService(sessions=accounts.sessions, clock=accounts.clock)

    async def tap_wrong() -> TapResult:
        challenge = await checks.new_challenge(user_id=1)
        wrong = (challenge.buttons.index(challenge.symbol) + 1) % CHOICES
        return (await checks.tap(token=challenge.token, position=wrong, user_id=1)).result

    async def tap_right() -> TapResult:
        challenge = await checks.new_challenge(user_id=1)
        right = challenge.buttons.index(challenge.symbol)
        return (await checks.tap(token=challenge.token, position=right, user_id=1)).result

    assert [await tap_wrong(), await tap_wrong()] == [TapResult.WRONG] * 2
    assert await tap_right() is TapResult.PASSED  # the streak starts over
    assert [await tap_wrong(), await tap_wrong()] == [TapResult.WRONG] * 2
    assert await tap_wrong() is TapResult.LOCKED
    assert await checks.locked_for(1) is not None
    assert await tap_right() is TapResult.LOCKED
    accounts.clock.advance(minutes=10, seconds=1)
    assert await checks.locked_for(1) is None
    assert await tap_right() is TapResult.PASSED


async def test_unknown_address_can_be_told_by_email_when_set(accounts: AccountsWorld) -> None:
    for notify, expected in ((False, 0), (True, 1)):
        service = reset_service(accounts, policy=ResetPolicy(notify_unknown=notify))
        before = len(await outbox(accounts))
        assert (
            await service.request(
                email="nadie@example.mx", chat_id=int(notify), user_id=int(notify), language="es"
            )
            is None
        )
        messages = (await outbox(accounts))[before:]
        assert len(messages) == expected
        if messages:
            assert "no hay ninguna cuenta" in messages[0].text_body
        accounts.clock.advance(minutes=16)  # past the first request's code


async def test_code_expires_after_fifteen_minutes(accounts: AccountsWorld) -> None:
    await accounts.service.register(request(), user_id=1)
    service = reset_service(accounts)
    await service.request(email="ana@example.mx", chat_id=1, user_id=1, language="es")
    code = await mailed_reset(accounts)
    accounts.clock.advance(minutes=14, seconds=59)
    assert (
        await service.check_code(email="ana@example.mx", chat_id=1, text=code)
    ).status is CodeStatus.VERIFIED
    accounts.clock.advance(seconds=2)
    assert (
        await service.check_code(email="ana@example.mx", chat_id=1, text=code)
    ).status is CodeStatus.EXPIRED


async def test_a_reset_code_takes_five_tries(accounts: AccountsWorld) -> None:
    await accounts.service.register(request(), user_id=1)
    service = reset_service(accounts)
    await service.request(email="ana@example.mx", chat_id=1, user_id=1, language="es")
    wrong = [
        await service.check_code(email="ana@example.mx", chat_id=1, text="ZZZZ-ZZZ2")
        for _ in range(4)
    ]
    assert [check.tries_left for check in wrong] == [4, 3, 2, 1]
    fifth = await service.check_code(
        email="ana@example.mx", chat_id=1, text=await mailed_reset(accounts)
    )
    assert fifth.status is CodeStatus.VERIFIED


async def test_ten_requests_per_telegram_user_an_hour(accounts: AccountsWorld) -> None:
    service = reset_service(accounts)
    for number in range(10):
        assert (
            await service.request(
                email=f"u{number}@example.mx", chat_id=5, user_id=5, language="es"
            )
            is None
        )
    wait = await service.request(email="otro@example.mx", chat_id=5, user_id=5, language="es")
    assert wait is not None and wait.total_seconds() <= 3600
    assert (
        await service.request(email="otro@example.mx", chat_id=6, user_id=6, language="es") is None
    )


async def test_housekeeping_forgets_old_rows_and_keeps_recent_ones(accounts: AccountsWorld) -> None:
    from sqlalchemy import func, select

    from services.housekeeping import Housekeeping
    from storage.models import HumanCheck, RateEvent

    checks = HumanCheckService(sessions=accounts.sessions, clock=accounts.clock)
    old = await checks.new_challenge(user_id=1)
    await checks.tap(
        token=old.token, position=(old.buttons.index(old.symbol) + 1) % CHOICES, user_id=1
    )
    accounts.clock.advance(days=8)
    await checks.new_challenge(user_id=1)
    removed = await Housekeeping(sessions=accounts.sessions, clock=accounts.clock).prune()
    assert removed == 2  # the old challenge and its wrong-tap event
    async with accounts.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(HumanCheck)) == 1
        assert await session.scalar(select(func.count()).select_from(RateEvent)) == 0


async def test_known_and_unknown_addresses_do_the_same_work_and_answer_alike(
    accounts: AccountsWorld,
) -> None:
    await accounts.service.register(request(), user_id=1)
    seen = []
    for chat, email in ((1, "ana@example.mx"), (2, "nadie@example.mx")):
        hasher = CountingHasher()
        service = reset_service(accounts, hasher)
        await service.request(email=email, chat_id=chat, user_id=chat, language="es")
        wrong = await service.check_code(email=email, chat_id=chat, text="ABCD-EFG2 extra")
        seen.append((hasher.hashes, hasher.verifies, wrong))
    assert seen[0] == seen[1] == (1, 1, CodeCheck(CodeStatus.WRONG, tries_left=4))
    accounts.clock.advance(minutes=15, seconds=1)
    for chat, email in ((1, "ana@example.mx"), (2, "nadie@example.mx")):
        late = await reset_service(accounts).check_code(email=email, chat_id=chat, text="ABCD-EFG2")
        assert late == CodeCheck(CodeStatus.EXPIRED)


async def test_a_code_for_an_address_without_an_account_is_never_right(
    accounts: AccountsWorld,
) -> None:
    """Its code is mailed to nobody; were it guessed, it would still open nothing."""
    service = reset_service(accounts)
    await service.request(email="nadie@example.mx", chat_id=2, user_id=2, language="es")
    async with accounts.sessions() as session, session.begin():
        [row] = (await session.scalars(select(ResetCode))).all()
        row.code_hash = await PasswordHasher().hash("ABCDEFG2")
    guessed = await service.check_code(email="nadie@example.mx", chat_id=2, text="ABCD-EFG2")
    assert guessed == CodeCheck(CodeStatus.WRONG, tries_left=4)


async def test_wrong_codes_in_another_chat_do_not_spend_the_owners_code(
    accounts: AccountsWorld,
) -> None:
    await accounts.service.register(request(), user_id=1)
    service = reset_service(accounts)
    await service.request(email="ana@example.mx", chat_id=1, user_id=1, language="es")
    code = await mailed_reset(accounts)
    await service.request(email="ana@example.mx", chat_id=6, user_id=6, language="es")
    for _ in range(5):
        await service.check_code(email="ana@example.mx", chat_id=6, text="ABCD-EFG2")
    spent = await service.check_code(email="ana@example.mx", chat_id=6, text="ABCD-EFG2")
    assert spent.status is CodeStatus.NO_TRIES
    # Chat 6 spent its own tries, not chat 1's: the code still works in chat 1.
    assert (await service.check_code(email="ana@example.mx", chat_id=6, text=code)).status in (
        CodeStatus.NO_TRIES,
        CodeStatus.WRONG,
    )
    check = await service.check_code(email="ana@example.mx", chat_id=1, text=code)
    assert check.status is CodeStatus.VERIFIED


async def test_complete_refuses_codes_not_good_for_it(accounts: AccountsWorld) -> None:
    await accounts.service.register(request(), user_id=1)
    service = reset_service(accounts)
    new_hash = await PasswordHasher().hash("una frase nueva y larga")
    await service.request(email="ana@example.mx", chat_id=1, user_id=1, language="es")
    code = await mailed_reset(accounts)
    async with accounts.sessions() as session:
        [row] = (await session.scalars(select(ResetCode))).all()
    unverified = await service.complete(code_id=row.id, password_hash=new_hash, chat_id=1)
    assert not unverified
    verified = await service.check_code(email="ana@example.mx", chat_id=1, text=code)
    assert verified.code_id == row.id
    assert not await service.complete(code_id=row.id, password_hash=new_hash, chat_id=2)
    accounts.clock.advance(minutes=15, seconds=1)
    assert not await service.complete(code_id=row.id, password_hash=new_hash, chat_id=1)

    await service.request(email="ana@example.mx", chat_id=1, user_id=1, language="es")
    fresh = await service.check_code(
        email="ana@example.mx", chat_id=1, text=await mailed_reset(accounts)
    )
    assert fresh.code_id is not None
    assert await service.complete(code_id=fresh.code_id, password_hash=new_hash, chat_id=1)
    assert not await service.complete(code_id=fresh.code_id, password_hash=new_hash, chat_id=1)


async def test_strangers_share_the_pending_code_instead_of_mailing_new_ones(
    accounts: AccountsWorld,
) -> None:
    await accounts.service.register(request(), user_id=1)
    hasher = CountingHasher()
    service = reset_service(accounts, hasher)
    before = len(await outbox(accounts))
    await service.request(email="ana@example.mx", chat_id=2, user_id=2, language="es")
    code = await mailed_reset(accounts)
    for _ in range(3):
        for stranger in range(3, 9):
            await service.request(
                email="ana@example.mx", chat_id=stranger, user_id=stranger, language="es"
            )
    assert len(await outbox(accounts)) == before + 1
    assert hasher.hashes == 19  # a shared code is answered after the same hashing
    # The code in the inbox works in any chat that asked while it was pending.
    assert (
        await service.check_code(email="ana@example.mx", chat_id=8, text=code)
    ).status is CodeStatus.VERIFIED
    accounts.clock.advance(minutes=15, seconds=1)
    # Strangers 3–8 asked three times each, their allowance for the inbox: someone else.
    await service.request(email="ana@example.mx", chat_id=3, user_id=3, language="es")
    assert len(await outbox(accounts)) == before + 1
    await service.request(email="ana@example.mx", chat_id=9, user_id=9, language="es")
    assert len(await outbox(accounts)) == before + 2
    assert await mailed_reset(accounts) != code


async def test_strangers_resets_are_not_held_to_the_cap_sign_ups_can_fill(
    accounts: AccountsWorld,
) -> None:
    """Nine strangers' sign-ups fill the inbox's hourly cap: a stranger's reset (the owner
    on a new phone, for all the bot knows) still mails its code, once; a second stranger
    shares it; the owner's own chat gets one of its own."""
    await accounts.service.register(request(), user_id=1)
    [confirmation] = await outbox(accounts)
    code = re.search(r"[0-9a-f]{8}(?: [0-9a-f]{8}){4}", confirmation.text_body)
    assert code
    await accounts.service.confirm(text=code.group(0), chat_id=1, user_id=1)
    for stranger in range(10, 19):  # nine sign-ups with her address: nine notices to her
        await accounts.service.register(request(), user_id=stranger)
    service = reset_service(accounts)
    before = len(await outbox(accounts))
    assert before == 10  # the inbox's hourly cap is reached
    await service.request(email="ana@example.mx", chat_id=30, user_id=30, language="es")
    assert len(await outbox(accounts)) == before + 1
    await service.request(email="ana@example.mx", chat_id=31, user_id=31, language="es")
    assert len(await outbox(accounts)) == before + 1
    await service.request(email="ana@example.mx", chat_id=1, user_id=1, language="es")
    assert len(await outbox(accounts)) == before + 2
    assert "Código:" in (await outbox(accounts))[-1].text_body


async def test_a_request_does_as_many_database_round_trips_for_a_known_or_unknown_address(
    accounts: AccountsWorld,
) -> None:
    await accounts.service.register(request(), user_id=1)
    service = reset_service(accounts)
    engine = accounts.sessions.kw["bind"].sync_engine
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    trips = {}
    for email in ("ana@example.mx", "nadie@example.mx"):
        # A first stranger's request (mailed for the account), then a second one's (shared).
        await service.request(email=email, chat_id=50, user_id=50, language="es")
        event.listen(engine, "before_cursor_execute", count)
        statements.clear()
        await service.request(email=email, chat_id=51, user_id=51, language="es")
        event.remove(engine, "before_cursor_execute", count)
        trips[email] = len(statements)
    assert trips["ana@example.mx"] == trips["nadie@example.mx"], trips
