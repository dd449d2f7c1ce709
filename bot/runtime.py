"""The running bot: database, migrations, mail delivery, services and the Application,
started and stopped in the right order."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import signal
from datetime import timedelta
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

from sqlalchemy.exc import DBAPIError
from telegram import BotCommand, Update
from telegram.error import InvalidToken, TelegramError

from bot.app import POLL_TIMEOUT_SECONDS, build_application, updates_in_hand
from bot.intake import Intake
from bot.loopwatch import LoopWatch
from bot.membership import Membership
from bot.ratelimit import FloodControl
from bot.settings import Settings
from bot.startup import (
    bot_api_unreachable,
    database_unreachable,
    first_line,
    reach_smtp,
    until_reachable,
)
from bot.webhook import WebhookServer
from chat.registry import local_name, registered
from chat.texts import DEFAULT_LANGUAGE, Catalog
from mail.delivery import MailDelivery
from mail.identity import BotLinks
from mail.outbox import Outbox
from mail.transports import FileTransport, SmtpTransport, Transport
from services import build_services
from services.validation import common_passwords
from storage.crypto import SecretBox
from storage.db import (
    DatabaseInUse,
    create_engine,
    create_session_factory,
    hold_sqlite_file,
    migrate,
    ping,
    shares_database,
)

logger = logging.getLogger(__name__)


class StartupError(RuntimeError):
    """The bot cannot start; the message is one line for the operator."""


HOUSEKEEPING_SECONDS = 3600
SETTLE_SECONDS = 1  # for the rewrites an account's deletion left, at stop


def build_transport(settings: Settings) -> Transport:
    if settings.smtp_host:
        return SmtpTransport(
            host=settings.smtp_host,
            port=settings.smtp_port,
            security=settings.smtp_security.value,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            timeout=settings.smtp_timeout_seconds,
        )
    return FileTransport(settings.mail_outbox_dir)


class BotRuntime:
    def __init__(self, settings: Settings, *, token: str | None = None) -> None:
        self.settings = settings
        secret = settings.telegram_bot_token
        token = token or (secret.get_secret_value() if secret else None)
        if not token:
            raise ValueError("a bot token is needed")
        if settings.data_encryption_key is None:
            raise StartupError(
                "DATA_ENCRYPTION_KEY is required to keep secrets at rest sealed; "
                "make one with: python main.py new-key"
            )
        if not settings.support_contact:
            # The aviso de privacidad sends ARCO requests to /soporte, and the emails about
            # a changed address or a deleted account say "if it was not you, /soporte".
            raise StartupError(
                "SUPPORT_CONTACT is required to serve Telegram: an address, phone or URL "
                "where a person answers (/soporte and every email's footer give it)"
            )
        box = SecretBox.from_setting(settings.data_encryption_key.get_secret_value())
        outbox = Outbox(
            sender=settings.sender, box=box, operator=settings.operator, links=BotLinks()
        )
        self.engine = create_engine(settings.database_url)
        sessions = self.sessions = create_session_factory(self.engine)
        # PostgreSQL: each update in hand holds its chat's lock on a connection of this pool.
        self.lock_engine = (
            create_engine(settings.database_url, pool_size=updates_in_hand(settings))
            if shares_database(settings.database_url)
            else None
        )
        self.delivery = MailDelivery(
            sessions=sessions,
            transport=build_transport(settings),
            outbox=outbox,
            retry_cap_seconds=settings.mail_retry_max_seconds,
            max_age=timedelta(hours=settings.mail_max_age_hours),
        )
        self.services = build_services(
            sessions=sessions,
            code_ttl=timedelta(hours=settings.confirmation_code_ttl_hours),
            outbox=outbox,
            mail_ready=self.delivery.wake,
            session_idle=timedelta(hours=settings.session_idle_hours),
            human_check_on_signup=settings.human_check_on_signup,
            reset_notify_unknown=settings.reset_notify_unknown_email,
            admins=frozenset(settings.admin_telegram_ids),
            operator=settings.operator,
            box=box,
            lock_sessions=create_session_factory(self.lock_engine) if self.lock_engine else None,
        )
        self.catalog = Catalog.load(constants={"operator": settings.operator_name})
        watch_file = os.environ.get("BOT_LOOP_WATCH_FILE")  # set by the benchmark only
        self.loop_watch = (
            LoopWatch(Path(watch_file), cpu=bool(os.environ.get("BOT_LOOP_WATCH_CPU")))
            if watch_file
            else None
        )
        self._housekeeping: asyncio.Task[None] | None = None
        self._webhook: WebhookServer | None = None
        self._smtp_check: asyncio.Task[None] | None = None
        self._sqlite_lock: IO[bytes] | None = None
        self.application = build_application(
            settings,
            token=token,
            services=self.services,
            catalog=self.catalog,
        )
        self.intake = Intake(
            self.application, self.services.inbox, poll_timeout=POLL_TIMEOUT_SECONDS
        )
        limiter = self.application.bot.rate_limiter
        self.membership = Membership(
            self.services.inbox,
            self.intake,
            limiter if isinstance(limiter, FloodControl) else None,
        )

    async def start(self) -> None:
        """Start everything; while the database or the Bot API cannot be reached, wait for
        them (cancelling this is how a signal stops the wait: `stop()` then tidies up)."""
        wait = self.settings.startup_retry_max_seconds
        try:
            self._sqlite_lock = hold_sqlite_file(self.settings.database_url)
        except DatabaseInUse as error:
            raise StartupError(
                f"another bot process uses the SQLite database {error}: SQLite serves one "
                "process; to run several, use PostgreSQL (DATABASE_URL=postgresql+asyncpg://…)"
            ) from None
        try:
            await until_reachable(
                "database",
                lambda: migrate(self.engine),
                unreachable=database_unreachable,
                max_pause=wait,
            )
        except DBAPIError as error:
            raise StartupError(f"cannot use DATABASE_URL: {first_line(error)}") from error
        # Catalogs and the password list load off the event loop, before anyone waits.
        await asyncio.to_thread(self.services.catalogs.preload)
        await asyncio.to_thread(common_passwords)
        try:
            await until_reachable(
                "Bot API",
                self.application.initialize,
                unreachable=bot_api_unreachable,
                max_pause=wait,
            )
        except InvalidToken as error:
            # PTB's message quotes the token: never print it.
            raise StartupError(
                "the Bot API rejected TELEGRAM_BOT_TOKEN; check it with @BotFather"
            ) from error
        except TelegramError as error:
            raise StartupError(f"the Bot API refused the bot: {first_line(error)}") from error
        self.services.links.username = self.application.bot.username
        await self._set_commands()
        self.delivery.start()
        if self.settings.smtp_host:
            self._smtp_check = asyncio.create_task(self._check_smtp(), name="smtp-check")
        self._housekeeping = asyncio.create_task(self._keep_tidy(), name="housekeeping")
        await self.application.start()
        if not self.settings.webhook_url:
            # A webhook left from an earlier deployment would refuse getUpdates.
            await self.application.bot.delete_webhook()
        # Among the bot's processes (PostgreSQL may have several; SQLite has this one).
        await self.membership.join(alone=self.lock_engine is None)
        self.membership.start()
        # Updates reach the Application through the inbox (bot.intake), not PTB's Updater.
        await self.intake.start(poll=not self.settings.webhook_url)
        if self.settings.webhook_url:
            await self._start_webhook()
        # Everything built so far lives as long as the process: keep it out of the garbage
        # collector's full passes, which otherwise stall the loop for tens of milliseconds.
        gc.collect()
        gc.freeze()
        if self.loop_watch is not None:
            self.loop_watch.start()
        health = await self.health()
        logger.info(
            "bot @%s is running (%s): database %s, bot %s",
            self.application.bot.username,
            "webhook" if self.settings.webhook_url else "polling",
            health["database"],
            health["bot"],
        )

    async def health(self) -> dict[str, str]:
        """What /healthz answers: "ok" and "running", or what is wrong."""
        try:
            await ping(self.engine)
        except Exception as error:
            # The reason goes to the log only: /healthz may be reachable from outside.
            logger.warning("healthz: database not reachable (%s)", first_line(error))
            database = "not reachable"
        else:
            database = "ok"
        return {"database": database, "bot": "running" if self.application.running else "stopped"}

    async def _check_smtp(self) -> None:
        """Say in the log whether the mail server answers, trying until it does."""
        settings = self.settings
        assert settings.smtp_host is not None
        await until_reachable(
            "SMTP server",
            lambda: reach_smtp(
                host=settings.smtp_host or "",
                port=settings.smtp_port,
                security=settings.smtp_security.value,
                timeout=settings.smtp_timeout_seconds,
            ),
            # Anything (refused, a TLS mismatch, a greeting that never comes) is only
            # logged: delivery keeps the mail and retries on its own.
            unreachable=lambda error: True,
            max_pause=settings.startup_retry_max_seconds,
        )
        logger.info("SMTP server %s:%d answers", settings.smtp_host, settings.smtp_port)

    async def _keep_tidy(self) -> None:
        """Hourly, in every process: the CSD-expiry mail (each reminder is claimed in the
        transaction that queues it, so it goes once across processes and restarts), and
        housekeeping, run by the process that claims the hour's pass."""
        every = timedelta(seconds=HOUSEKEEPING_SECONDS)
        while True:
            try:
                if await self.services.housekeeping.claim("housekeeping", every):
                    await self.services.housekeeping.prune()
            except Exception:
                logger.exception("housekeeping failed; trying again later")
            try:
                await self.services.csd.remind_expiring()
            except Exception:
                logger.exception("CSD expiry reminders failed; trying again later")
            await asyncio.sleep(HOUSEKEEPING_SECONDS)

    async def _start_webhook(self) -> None:
        settings = self.settings
        assert settings.webhook_url and settings.webhook_secret
        # The whole path of the public URL: a proxy forwards it as it is.
        path = urlsplit(settings.webhook_url).path.strip("/")
        secret = settings.webhook_secret.get_secret_value()
        self._webhook = WebhookServer(
            self.application,
            path=path,
            secret=secret,
            healthy=self.health,
            receive=self.intake.receive,
        )
        await self._webhook.start(host=settings.webhook_listen, port=settings.webhook_port)
        await self.application.bot.set_webhook(
            url=settings.webhook_url, secret_token=secret, allowed_updates=Update.ALL_TYPES
        )

    async def _set_commands(self) -> None:
        """The command menu, description and short description: Spanish by default and in
        each other catalog's language for people whose Telegram uses it."""
        bot = self.application.bot
        for language in self.catalog.languages:
            code = None if language == DEFAULT_LANGUAGE else language
            text = self.catalog.text
            commands = [
                BotCommand(
                    local_name(spec.commands, language),
                    text(language, f"commands.{spec.commands[0]}"),
                )
                for spec in registered().menu()
            ]
            await bot.set_my_commands(commands, language_code=code)
            await bot.set_my_description(text(language, "bot.description"), language_code=code)
            await bot.set_my_short_description(
                text(language, "bot.short-description"), language_code=code
            )

    async def stop(self) -> None:
        """Take no more updates; give those started a short grace and leave the others in
        the inbox for the next start; stop mail after its current message, close."""
        application = self.application
        logger.info("stopping")
        if self._webhook is not None:
            await self._webhook.stop()
            self._webhook = None
        if application.running:
            await self.intake.stop()
            await application.stop()
        # What it has not processed goes to the other processes now (or to the next start).
        await self.membership.leave()
        try:
            await self.services.funnel.close()
        except Exception:  # the database may be stopping too: the rest is closed anyway
            logger.exception("funnel events not written at stop")
        await self.delivery.stop()
        for task in (self._housekeeping, self._smtp_check):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self.loop_watch is not None:
            await self.loop_watch.stop()
        await application.shutdown()
        # A start stopped before the Bot API answered leaves the bot's HTTP sessions open,
        # and the Application's shutdown (of an Application never initialized) skips them.
        await application.bot.shutdown()
        try:
            await asyncio.wait_for(self.services.chats.settle(), timeout=SETTLE_SECONDS)
        except TimeoutError:
            logger.warning("stopped before every chat's record was rewritten")
        await self.engine.dispose()
        if self.lock_engine is not None:
            await self.lock_engine.dispose()
        if self._sqlite_lock is not None:
            self._sqlite_lock.close()  # the next process may take the file
            self._sqlite_lock = None
        logger.info("bot stopped")

    async def run_until_signalled(self) -> None:
        """Run until SIGTERM or SIGINT, which also end a start still waiting for the
        database or the Bot API."""
        signalled = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, signalled.set)
        starting = asyncio.create_task(self.start(), name="start")
        waiting = asyncio.create_task(signalled.wait(), name="signal")
        try:
            await asyncio.wait({starting, waiting}, return_when=asyncio.FIRST_COMPLETED)
            if not starting.done():
                logger.info("stopping before the start finished")
                starting.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await starting
            else:
                starting.result()  # a StartupError goes up, after stop() below
                await waiting
        finally:
            waiting.cancel()
            await self.stop()
