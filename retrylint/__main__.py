"""`python -m retrylint` runs the same CLI as the console script."""

from retrylint.cli import console

if __name__ == "__main__":
    console()
