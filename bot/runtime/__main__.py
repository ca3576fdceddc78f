"""`python -m bot.runtime ...`: Rasa's command line with our changes installed (bot.runtime.server),
in a process that never imports the modules Rasa does not use (bot.runtime.unused_modules)."""

from bot.runtime.unused_modules import keep_out

keep_out()

from bot.runtime.server import main  # noqa: E402  (after keep_out: it imports TensorFlow)

main()
