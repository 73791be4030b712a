"""Notices to people: templates, recipients' preferences, the outbox dispatcher and its senders.

Domain code never talks to a provider: :func:`notifications.notify.notify` renders a notice and
writes one outbox row per channel in the caller's transaction; the dispatcher
(:mod:`notifications.dispatcher`) sends committed rows through a sender (console, Twilio SMS,
WeCom) exactly once, as far as the provider lets anyone know.
"""
