"""Use cases. Nothing here knows about Telegram."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.accounts import AccountPolicy, AccountService, BotLinks
from services.catalogs import SatCatalogs
from services.company import CompanyService
from services.passwords import PasswordHasher
from services.signin import SignInService


@dataclass(frozen=True)
class Services:
    accounts: AccountService
    passwords: PasswordHasher
    signin: SignInService
    companies: CompanyService
    catalogs: SatCatalogs = field(default_factory=SatCatalogs)
    links: BotLinks = field(default_factory=BotLinks)


def build_services(
    *,
    sessions: async_sessionmaker[AsyncSession],
    code_ttl: timedelta,
    sender: str,
    mail_ready: Callable[[], None],
    session_idle: timedelta = timedelta(hours=24),
) -> Services:
    links = BotLinks()
    passwords = PasswordHasher()
    accounts = AccountService(
        sessions=sessions,
        policy=AccountPolicy(code_ttl=code_ttl, sender=sender),
        links=links,
        mail_ready=mail_ready,
    )
    return Services(
        accounts=accounts,
        passwords=passwords,
        signin=SignInService(sessions=sessions, passwords=passwords, idle_timeout=session_idle),
        companies=CompanyService(sessions=sessions),
        links=links,
    )
