"""Use cases. Nothing here knows about Telegram."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.accounts import AccountPolicy, AccountService, BotLinks
from services.passwords import PasswordHasher


@dataclass(frozen=True)
class Services:
    accounts: AccountService
    passwords: PasswordHasher
    links: BotLinks = field(default_factory=BotLinks)


def build_services(
    *,
    sessions: async_sessionmaker[AsyncSession],
    code_ttl: timedelta,
    sender: str,
    mail_ready: Callable[[], None],
) -> Services:
    links = BotLinks()
    accounts = AccountService(
        sessions=sessions,
        policy=AccountPolicy(code_ttl=code_ttl, sender=sender),
        links=links,
        mail_ready=mail_ready,
    )
    return Services(accounts=accounts, passwords=PasswordHasher(), links=links)
