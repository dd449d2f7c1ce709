"""Composition root: settings, the application, texts, keyboards, persistence, local mode."""
