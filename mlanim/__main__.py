"""`python -m mlanim` runs the command line."""

from mlanim.cli import main

if __name__ == "__main__":  # not again in a spawned worker process, which imports this module
    main()
