"""Rasa input/output channels for Messenger, X direct messages, Telegram and REST.

Each platform module is registered in `credentials.yml` by module path and reads its
secrets from environment variables (listed in each module's docstring); `common`
holds what every channel does the same way.
"""
