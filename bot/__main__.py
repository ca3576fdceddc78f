"""Lets `python -m bot COMMAND` reach the command line in bot.cli."""

import sys

from bot.cli import main

sys.exit(main())
