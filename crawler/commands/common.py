"""What every command shares: exit codes, argument types, the output-folder check."""

from __future__ import annotations

import argparse
from pathlib import Path

from crawler.errors import CliError

EXIT_OK = 0
EXIT_ERRORS = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 3


def output_dir(path: str) -> Path:
    out = Path(path)
    if not (out / "data").is_dir() and not (out / "warc").is_dir():
        raise CliError(f"{path} is not a tdmcrawl output folder (no data/ or warc/ in it)")
    return out


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive: {text}")
    return value


def non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value >= 0:  # NaN is not a duration either
        raise argparse.ArgumentTypeError(f"must be 0 or more: {text}")
    return value


def non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more: {text}")
    return value
