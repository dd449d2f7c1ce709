"""Email: templates, the outbox (enqueue within a transaction) and delivery."""
