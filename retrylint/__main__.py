"""`python -m retrylint` runs the same CLI as the console script."""

from retrylint.cli import main

if __name__ == "__main__":
    main()
