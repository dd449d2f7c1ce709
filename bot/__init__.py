"""Composition root: settings, the application, texts, keyboards, the per-chat processor, local mode."""
