"""`python -m bot.runtime ...`: Rasa's command line with our changes installed (bot.runtime.server)."""

from bot.runtime.server import main

main()
