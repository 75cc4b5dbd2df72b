"""Notify: the durable outbox and its delivery channels (e-mail)."""
