"""Composition root: settings, the application, the per-chat processor, local mode."""
