"""`python -m webui.cli`: the same as the `pgwarden` console script."""

import sys

from webui.cli import main

sys.exit(main())
