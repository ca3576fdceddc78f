"""The agents' console: conversations from the tracker store, review, handoff to a person, retention.

A Sanic app with Jinja2 templates (no front-end build) that reads Rasa's SQL
tracker store and keeps its own tables beside it; handoff and agents' replies
go through Rasa's HTTP API. Start it with `python -m services.console serve`; the
settings are described in services.console.settings, the commands in services.console.cli.
"""
