"""`python -m mlanim` runs the command line."""

from mlanim.cli import main

main()
