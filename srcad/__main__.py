"""``python -m srcad show FILE[:FUNCTION]`` and ``python -m srcad check FILE:FUNCTION``."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
