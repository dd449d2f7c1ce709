"""Data functions over one AsyncSession, one module per table or concern. They flush when
they must, never commit: the service that opened the session owns the transaction. Callers
use `from storage import repositories` and `repositories.<function>(...)`."""

from __future__ import annotations

from storage.repositories.accounts import (
    add_account,
    get_account,
    get_account_by_email,
)
from storage.repositories.chats import (
    chats_after,
    count_chats,
    lock_chat,
    read_chat,
    write_chat,
    write_chats,
)
from storage.repositories.checks import (
    add_human_check,
    delete_human_checks_before,
    get_human_check,
)
from storage.repositories.codes import (
    add_confirmation_code,
    claim_confirmation_code,
    delete_spent_confirmation_codes,
    delete_unused_codes,
    find_confirmation_codes,
    get_confirmation_code,
)
from storage.repositories.companies import (
    get_company,
    has_company,
    save_company,
    set_company_contact_email,
)
from storage.repositories.csds import (
    claim_csd_reminder,
    csds_to_remind,
    delete_csd,
    get_csd,
    save_csd,
)
from storage.repositories.email_changes import (
    add_email_change,
    void_email_changes,
)
from storage.repositories.erasure import email_change_requests, erase_account
from storage.repositories.funnel import (
    add_funnel_event,
    add_funnel_events,
    count_funnel_events,
)
from storage.repositories.inbox import (
    add_updates,
    adopt_updates,
    count_pending_updates,
    delete_done_updates_before,
    fail_update,
    finish_update,
    first_in_line,
    give_up_updates_before,
    pending_updates,
    read_update,
    update_done,
)
from storage.repositories.jobs import claim_job
from storage.repositories.one_time_codes import (
    claim_code,
    count_code_try,
    delete_codes_expired_before,
    latest_unused_code,
)
from storage.repositories.outbox import (
    OutboxFigures,
    add_outbox_message,
    claim_due_outbox_messages,
    delete_outbox_sent_before,
    due_outbox_messages,
    give_up_outbox_message,
    mark_outbox_failed,
    mark_outbox_sent,
    next_outbox_attempt,
    outbox_figures,
    release_outbox_messages,
)
from storage.repositories.processes import (
    add_process,
    beat_process,
    count_live_processes,
    remove_process,
    remove_processes_seen_before,
)
from storage.repositories.ratelimits import (
    add_rate_event,
    delete_rate_events,
    delete_rate_events_before,
    delete_rate_events_by_key,
    lock_keys,
    rate_events_since,
)
from storage.repositories.resets import (
    add_reset_code,
    claim_reset_code,
    delete_unused_reset_codes,
    mark_reset_verified,
    pending_reset_code,
    verified_reset_code,
)
from storage.repositories.sessions import (
    account_chat_sessions,
    bind_chat,
    get_chat_session,
    is_known_chat,
    sign_out_account,
    sign_out_other_chats,
    unbind_chat,
)
from storage.repositories.support import (
    add_support_request,
    count_open_support_requests,
    mark_support_request_handled,
    open_support_requests,
)

__all__ = [
    "OutboxFigures",
    "account_chat_sessions",
    "add_account",
    "add_confirmation_code",
    "add_email_change",
    "add_funnel_event",
    "add_funnel_events",
    "add_human_check",
    "add_outbox_message",
    "add_process",
    "add_rate_event",
    "add_reset_code",
    "add_support_request",
    "add_updates",
    "adopt_updates",
    "beat_process",
    "bind_chat",
    "chats_after",
    "claim_code",
    "claim_confirmation_code",
    "claim_csd_reminder",
    "claim_due_outbox_messages",
    "claim_job",
    "claim_reset_code",
    "count_chats",
    "count_code_try",
    "count_funnel_events",
    "count_live_processes",
    "count_open_support_requests",
    "count_pending_updates",
    "csds_to_remind",
    "delete_codes_expired_before",
    "delete_csd",
    "delete_done_updates_before",
    "delete_human_checks_before",
    "delete_outbox_sent_before",
    "delete_rate_events",
    "delete_rate_events_before",
    "delete_rate_events_by_key",
    "delete_spent_confirmation_codes",
    "delete_unused_codes",
    "delete_unused_reset_codes",
    "due_outbox_messages",
    "email_change_requests",
    "erase_account",
    "fail_update",
    "find_confirmation_codes",
    "finish_update",
    "first_in_line",
    "get_account",
    "get_account_by_email",
    "get_chat_session",
    "get_company",
    "get_confirmation_code",
    "get_csd",
    "get_human_check",
    "give_up_outbox_message",
    "give_up_updates_before",
    "has_company",
    "is_known_chat",
    "latest_unused_code",
    "lock_chat",
    "lock_keys",
    "mark_outbox_failed",
    "mark_outbox_sent",
    "mark_reset_verified",
    "mark_support_request_handled",
    "next_outbox_attempt",
    "open_support_requests",
    "outbox_figures",
    "pending_reset_code",
    "pending_updates",
    "rate_events_since",
    "read_chat",
    "read_update",
    "release_outbox_messages",
    "remove_process",
    "remove_processes_seen_before",
    "save_company",
    "save_csd",
    "set_company_contact_email",
    "sign_out_account",
    "sign_out_other_chats",
    "unbind_chat",
    "update_done",
    "verified_reset_code",
    "void_email_changes",
    "write_chat",
    "write_chats",
]
