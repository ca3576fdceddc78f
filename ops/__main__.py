"""Lets `python -m ops COMMAND` reach the command line in ops.cli."""

import sys

from ops.cli import main

sys.exit(main())
