"""Lets `python -m bot.console COMMAND` reach the command line in bot.console.cli."""

import sys

from bot.console.cli import main

sys.exit(main())
