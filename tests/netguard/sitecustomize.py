"""Loaded by the crawler processes a test starts with this folder on
PYTHONPATH: writes the address of every outgoing socket connection (Python's
``socket.connect`` audit event, which Twisted's non-blocking connects raise too)
to the file named by ``TDMCRAWL_TEST_CONNECT_LOG``, so a test can prove that
nothing left loopback."""

import os
import sys

_LOG = os.environ.get("TDMCRAWL_TEST_CONNECT_LOG")

if _LOG:

    def _note_connection(event: str, args: tuple) -> None:
        if event != "socket.connect":
            return
        address = args[1]
        if isinstance(address, tuple) and len(address) >= 2:
            with open(_LOG, "a", encoding="utf-8") as log:
                log.write(f"{address[0]} {address[1]}\n")

    sys.addaudithook(_note_connection)
