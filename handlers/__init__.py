"""Thin PTB callbacks and one ConversationHandler per flow. No SQL, no SMTP."""
