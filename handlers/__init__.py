"""Thin PTB callbacks and one Flow (chat.flow) per flow. No SQL, no SMTP."""
