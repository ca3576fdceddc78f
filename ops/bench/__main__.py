"""`python -m ops.bench`: see ops.bench.run."""

import sys

from ops.bench.run import main

sys.exit(main())
