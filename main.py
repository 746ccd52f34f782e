"""Kestrel entry point: `python main.py --help`. All parsing lives in app.cli."""

import sys

from app.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
