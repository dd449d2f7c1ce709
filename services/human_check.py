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
# Symbols with their names in words (for screen readers), per catalog language, and the
# Spanish article ("Toca la 🐢 (tortuga)").
SYMBOLS: tuple[tuple[str, dict[str, str]], ...] = (
    ("🐢", {"es": "tortuga", "es-article": "la", "en": "turtle", "en-article": "the"}),
    ("🐱", {"es": "gato", "es-article": "el", "en": "cat", "en-article": "the"}),
    ("🐶", {"es": "perro", "es-article": "el", "en": "dog", "en-article": "the"}),
    ("🌵", {"es": "cactus", "es-article": "el", "en": "cactus", "en-article": "the"}),
    ("🚗", {"es": "coche", "es-article": "el", "en": "car", "en-article": "the"}),
    ("🍎", {"es": "manzana", "es-article": "la", "en": "apple", "en-article": "the"}),
    ("⚽", {"es": "balón", "es-article": "el", "en": "ball", "en-article": "the"}),
    ("🌙", {"es": "luna", "es-article": "la", "en": "moon", "en-article": "the"}),
    ("⭐", {"es": "estrella", "es-article": "la", "en": "star", "en-article": "the"}),
    ("🎸", {"es": "guitarra", "es-article": "la", "en": "guitar", "en-article": "the"}),
    ("🐟", {"es": "pez", "es-article": "el", "en": "fish", "en-article": "the"}),
    ("🌮", {"es": "taco", "es-article": "el", "en": "taco", "en-article": "the"}),
    ("🔑", {"es": "llave", "es-article": "la", "en": "key", "en-article": "the"}),
    ("🎈", {"es": "globo", "es-article": "el", "en": "balloon", "en-article": "the"}),
    ("🚲", {"es": "bicicleta", "es-article": "la", "en": "bicycle", "en-article": "the"}),
    ("🌻", {"es": "girasol", "es-article": "el", "en": "sunflower", "en-article": "the"}),
)
_random = secrets.SystemRandom()


@dataclass(frozen=True, slots=True)
class Challenge:
    token: str
    symbol: str
    names: dict[str, str]
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
        picked = _random.sample(SYMBOLS, CHOICES)
        answer = _random.randrange(CHOICES)
        token = secrets.token_urlsafe(12)
        async with self._sessions() as session, session.begin():
            await repositories.add_human_check(
                session=session, token=token, user_id=user_id, answer=answer, created_at=self._now()
            )
        symbol, names = picked[answer]
        return Challenge(token=token, symbol=symbol, names=names, buttons=[s for s, _ in picked])

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
