"""Runs the command line: `python -m tlcore train|evaluate|predict|worker`."""

import sys

from tlcore import cli

if __name__ == "__main__":
    sys.exit(cli.main())
