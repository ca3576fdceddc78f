"""`python -m bot.bench`: see bot.bench.run."""

import sys

from bot.bench.run import main

sys.exit(main())
