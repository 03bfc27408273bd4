"""``python -m glassnet``: the same command line as ``glassnet``."""

import sys

from glassnet.cli import main

if __name__ == "__main__":
    sys.exit(main())
