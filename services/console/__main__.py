"""Lets `python -m services.console COMMAND` reach the command line in services.console.cli."""

import sys

from services.console.cli import main

sys.exit(main())
