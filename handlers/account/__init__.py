"""Tu cuenta (/cuenta): the account's facts, its chats, a change of address and its
deletion. flow.py wires the conversation and shows the account, steps.py holds the steps
and the password asked again, change.py the change of address, deletion.py the deletion;
the diagram is account.mmd."""

from handlers.account.flow import build_account_conversation

__all__ = ["build_account_conversation"]
