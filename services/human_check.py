"""The chat's CAPTCHA: tap the named symbol among several. Random per attempt, single
use, expiring; three wrong taps in a row lock the check for a while."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services import ratelimit, security
from storage import repositories
from storage.models import utcnow

CHALLENGE_TTL = timedelta(minutes=5)
CHOICES = 6
# The symbols, each with an id by which the chat catalogs name it in words (for screen
# readers: `check.symbol.<id>`, with its article in `check.article.<id>`).
SYMBOLS: dict[str, str] = {
    "turtle": "🐢",
    "cat": "🐱",
    "dog": "🐶",
    "cactus": "🌵",
    "car": "🚗",
    "apple": "🍎",
    "ball": "⚽",
    "moon": "🌙",
    "star": "⭐",
    "guitar": "🎸",
    "fish": "🐟",
    "taco": "🌮",
    "key": "🔑",
    "balloon": "🎈",
    "bicycle": "🚲",
    "sunflower": "🌻",
}
_random = secrets.SystemRandom()


@dataclass(frozen=True, slots=True)
class Challenge:
    token: str
    symbol_id: str  # the one to tap, as the catalogs name it
    symbol: str
    buttons: list[str]  # symbols in their shuffled order


class TapResult(StrEnum):
    PASSED = "passed"
    WRONG = "wrong"
    EXPIRED = "expired"  # old, already used, or unknown
    LOCKED = "locked"


@dataclass(frozen=True, slots=True)
class Verdict:
    result: TapResult
    retry_after: timedelta | None = None


class HumanCheckService:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._now = clock

    async def locked_for(self, user_id: int) -> timedelta | None:
        async with self._sessions() as session:
            return await ratelimit.retry_after(
                session=session, limit=ratelimit.HUMAN_CHECK_WRONG, subject=user_id, now=self._now()
            )

    async def new_challenge(self, user_id: int) -> Challenge:
        picked = _random.sample(list(SYMBOLS), CHOICES)
        answer = _random.randrange(CHOICES)
        token = secrets.token_urlsafe(12)
        async with self._sessions() as session, session.begin():
            await repositories.add_human_check(
                session=session, token=token, user_id=user_id, answer=answer, created_at=self._now()
            )
        symbol_id = picked[answer]
        return Challenge(
            token=token,
            symbol_id=symbol_id,
            symbol=SYMBOLS[symbol_id],
            buttons=[SYMBOLS[name] for name in picked],
        )

    async def discard(self, token: str) -> None:
        async with self._sessions() as session, session.begin():
            check = await repositories.get_human_check(session=session, token=token)
            if check is not None and check.used_at is None:
                check.used_at = self._now()

    async def tap(self, *, token: str, position: int, user_id: int) -> Verdict:
        now = self._now()
        limit = ratelimit.HUMAN_CHECK_WRONG
        async with self._sessions() as session, session.begin():
            await repositories.lock_keys(session=session, keys=[limit.key(user_id)])
            wait = await ratelimit.retry_after(
                session=session, limit=limit, subject=user_id, now=now
            )
            if wait is not None:
                security.event("human-check-locked", user_id=user_id)
                return Verdict(TapResult.LOCKED, wait)
            check = await repositories.get_human_check(session=session, token=token)
            if (
                check is None
                or check.user_id != user_id
                or check.used_at is not None
                or check.created_at + CHALLENGE_TTL <= now
            ):
                return Verdict(TapResult.EXPIRED)
            check.used_at = now
            if position == check.answer:
                # "In a row": a success forgets the earlier wrong taps.
                await ratelimit.clear(session=session, limit=limit, subject=user_id)
                return Verdict(TapResult.PASSED)
            await ratelimit.record(session=session, limit=limit, subject=user_id, now=now)
            security.event("human-check-failed", user_id=user_id)
            wait = await ratelimit.retry_after(
                session=session, limit=limit, subject=user_id, now=now
            )
            if wait:
                security.event("human-check-locked", user_id=user_id)
                return Verdict(TapResult.LOCKED, wait)
            return Verdict(TapResult.WRONG)
