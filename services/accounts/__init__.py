"""The reference account service: a stand-in for Parallels' account system.

The assistant's actions talk to an account API over HTTP. This package is a
small, real implementation of that API that behaves as the Parallels support
article says the real system behaves (the "email already in use" and "too
common password" errors, the cooldown after an address is deleted, reset and
device-confirmation emails from the article's senders), so the assistant can
be developed, demonstrated and tested end to end without the real system.

Run it with ``python -m services.accounts``; `services.accounts.settings` documents the
environment variables. Nothing heavy is imported here, so importing a single
submodule stays cheap.
"""
