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

from sqlalchemy.exc import DBAPIError
from telegram import BotCommand, Update
from telegram.error import TelegramError

from bot.app import POLL_TIMEOUT_SECONDS, build_application
from bot.loopwatch import LoopWatch
from bot.persistence import DatabasePersistence
from bot.settings import Settings
from chat.common import COMMANDS
from chat.texts import DEFAULT_LANGUAGE, Catalog
from mail.delivery import FileTransport, MailDelivery, SmtpTransport, Transport
from mail.outbox import Outbox
from services import build_services
from services.validation import common_passwords
from storage.crypto import SecretBox
from storage.db import create_engine, create_session_factory, migrate

logger = logging.getLogger(__name__)


class StartupError(RuntimeError):
    """The bot cannot start; the message is one line for the operator."""


def first_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error) or type(error).__name__
    return text.strip().splitlines()[0]


HOUSEKEEPING_SECONDS = 3600


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
        box = SecretBox.from_setting(settings.data_encryption_key.get_secret_value())
        outbox = Outbox(sender=settings.sender, box=box)
        self.engine = create_engine(settings.database_url)
        sessions = self.sessions = create_session_factory(self.engine)
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
        )
        self.catalog = Catalog.load()
        watch_file = os.environ.get("BOT_LOOP_WATCH_FILE")  # set by the benchmark only
        self.loop_watch = LoopWatch(Path(watch_file)) if watch_file else None
        self._housekeeping: asyncio.Task[None] | None = None
        self.application = build_application(
            settings,
            token=token,
            services=self.services,
            persistence=DatabasePersistence(sessions, box),
            catalog=self.catalog,
        )

    async def start(self) -> None:
        try:
            await migrate(self.engine)
        except (DBAPIError, OSError) as error:
            await self.engine.dispose()
            raise StartupError(f"cannot use DATABASE_URL: {first_line(error)}") from error
        # Catalogs and the password list load off the event loop, before anyone waits.
        await asyncio.to_thread(self.services.catalogs.preload)
        await asyncio.to_thread(common_passwords)
        try:
            await self.application.initialize()
        except TelegramError as error:
            await self.engine.dispose()
            raise StartupError(f"cannot reach the Bot API: {first_line(error)}") from error
        self.services.links.username = self.application.bot.username
        await self._set_commands()
        self.delivery.start()
        self._housekeeping = asyncio.create_task(self._keep_tidy(), name="housekeeping")
        await self.application.start()
        if self.settings.webhook_url:
            await self._start_webhook()
        else:
            assert self.application.updater is not None  # built with one
            await self.application.updater.start_polling(
                poll_interval=0, timeout=POLL_TIMEOUT_SECONDS, allowed_updates=Update.ALL_TYPES
            )
        # Everything built so far lives as long as the process: keep it out of the garbage
        # collector's full passes, which otherwise stall the loop for tens of milliseconds.
        gc.collect()
        gc.freeze()
        if self.loop_watch is not None:
            self.loop_watch.start()
        logger.info("bot @%s is running", self.application.bot.username)

    async def _keep_tidy(self) -> None:
        while True:
            try:
                await self.services.housekeeping.prune()
            except Exception:
                logger.exception("housekeeping failed; trying again later")
            await asyncio.sleep(HOUSEKEEPING_SECONDS)

    async def _start_webhook(self) -> None:
        settings = self.settings
        assert settings.webhook_url and settings.webhook_secret
        path = settings.webhook_url.rstrip("/").rsplit("/", 1)[-1]
        assert self.application.updater is not None  # built with one
        await self.application.updater.start_webhook(
            listen=settings.webhook_listen,
            port=settings.webhook_port,
            url_path=path,
            webhook_url=settings.webhook_url,
            secret_token=settings.webhook_secret.get_secret_value(),
            allowed_updates=Update.ALL_TYPES,
        )

    async def _set_commands(self) -> None:
        """The command menu, description and short description: Spanish by default and in
        each other catalog's language for people whose Telegram uses it."""
        bot = self.application.bot
        for language in self.catalog.languages:
            code = None if language == DEFAULT_LANGUAGE else language
            text = self.catalog.text
            commands = [
                BotCommand(names[0], text(language, f"commands.{names[0]}"))
                for names in COMMANDS.values()
            ]
            await bot.set_my_commands(commands, language_code=code)
            await bot.set_my_description(text(language, "bot.description"), language_code=code)
            await bot.set_my_short_description(
                text(language, "bot.short-description"), language_code=code
            )

    async def stop(self) -> None:
        """Finish the update in hand, stop mail after its current message, persist, close."""
        application = self.application
        if application.updater and application.updater.running:
            await application.updater.stop()
        if application.running:
            await application.stop()
        await self.delivery.stop()
        if self._housekeeping is not None:
            self._housekeeping.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._housekeeping
        if self.loop_watch is not None:
            await self.loop_watch.stop()
        await application.shutdown()
        await self.engine.dispose()
        logger.info("bot stopped")

    async def run_until_signalled(self) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await self.start()
        try:
            await stop.wait()
        finally:
            await self.stop()
