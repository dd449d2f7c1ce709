"""Use cases. Nothing here knows about Telegram."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mail.identity import BotLinks, Operator
from mail.outbox import Outbox
from services.accounts import AccountPolicy, AccountService
from services.catalogs import SatCatalogs
from services.chats import ChatRecords
from services.company import CompanyService
from services.csd import CsdService
from services.email_change import EmailChangeService
from services.funnel import FunnelService
from services.housekeeping import Housekeeping
from services.human_check import HumanCheckService
from services.inbox import Inbox
from services.mail_status import MailStatusService
from services.own_account import OwnAccountService
from services.passwords import PasswordHasher
from services.reset import ResetPolicy, ResetService
from services.signin import SignInService
from services.support import SupportService
from storage.crypto import SecretBox


@dataclass(frozen=True)
class Services:
    accounts: AccountService
    passwords: PasswordHasher
    signin: SignInService
    companies: CompanyService
    human_check: HumanCheckService
    reset: ResetService
    funnel: FunnelService
    mail_status: MailStatusService
    housekeeping: Housekeeping
    own_account: OwnAccountService
    email_change: EmailChangeService
    csd: CsdService
    support: SupportService
    chats: ChatRecords
    inbox: Inbox
    human_check_on_signup: bool = False
    admins: frozenset[int] = frozenset()
    catalogs: SatCatalogs = field(default_factory=SatCatalogs)
    links: BotLinks = field(default_factory=BotLinks)
    operator: Operator = field(default_factory=Operator)


def build_services(
    *,
    sessions: async_sessionmaker[AsyncSession],
    code_ttl: timedelta,
    outbox: Outbox,
    mail_ready: Callable[[], None],
    session_idle: timedelta = timedelta(hours=24),
    human_check_on_signup: bool = False,
    reset_notify_unknown: bool = False,
    admins: frozenset[int] = frozenset(),
    operator: Operator | None = None,
    box: SecretBox,
    lock_sessions: async_sessionmaker[AsyncSession] | None = None,
) -> Services:
    links = outbox.links
    passwords = PasswordHasher(repeat_key=box.derived_key("password repeat"))
    catalogs = SatCatalogs.shared()
    accounts = AccountService(
        sessions=sessions,
        policy=AccountPolicy(code_ttl=code_ttl),
        outbox=outbox,
        links=links,
        mail_ready=mail_ready,
    )
    return Services(
        accounts=accounts,
        passwords=passwords,
        signin=SignInService(sessions=sessions, passwords=passwords, idle_timeout=session_idle),
        companies=CompanyService(sessions=sessions, idle_timeout=session_idle, catalogs=catalogs),
        human_check=HumanCheckService(sessions=sessions),
        reset=ResetService(
            sessions=sessions,
            passwords=passwords,
            policy=ResetPolicy(notify_unknown=reset_notify_unknown),
            outbox=outbox,
            mail_ready=mail_ready,
        ),
        funnel=FunnelService(sessions=sessions),
        mail_status=MailStatusService(sessions=sessions),
        housekeeping=Housekeeping(sessions=sessions),
        own_account=OwnAccountService(
            sessions=sessions, outbox=outbox, mail_ready=mail_ready, idle_timeout=session_idle
        ),
        email_change=EmailChangeService(
            sessions=sessions,
            passwords=passwords,
            outbox=outbox,
            mail_ready=mail_ready,
            idle_timeout=session_idle,
        ),
        csd=CsdService(sessions=sessions, box=box, outbox=outbox, mail_ready=mail_ready),
        support=SupportService(
            sessions=sessions,
            box=box,
            outbox=outbox,
            mail_ready=mail_ready,
            contact=(operator or Operator()).support_contact,
            passwords=passwords,
        ),
        chats=ChatRecords(sessions, box, lock_sessions=lock_sessions),
        inbox=Inbox(sessions, box),
        human_check_on_signup=human_check_on_signup,
        admins=admins,
        catalogs=catalogs,
        links=links,
        operator=operator or Operator(),
    )
