"""``python -m helpers.stub [--port N] [--speed S] [--recordings DIR]``: serve the stub until Ctrl-C."""
from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading

from .utils import parse_speed

__all__ = ["main"]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m helpers.stub", description="Offline Managed Agents API (replays recordings).")
    ap.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (0 = any free port; default 8765)")
    ap.add_argument("--speed", default="1", help="'instant' or a multiplier of the recorded pace (default 1)")
    ap.add_argument("--recordings", default=None, help="directory of *.jsonl recordings (default data/recordings)")
    ap.add_argument("--keepalive", type=float, default=10.0, help="seconds between SSE keepalive comments")
    ap.add_argument("-v", "--verbose", action="store_true", help="log every request")
    args = ap.parse_args(argv)
    try:
        speed = parse_speed(args.speed)
    except ValueError as e:
        ap.error(str(e))
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    from . import recordings, start

    try:
        server = start(port=args.port, speed=speed, recordings_dir=args.recordings, keepalive=args.keepalive)
    except OSError as e:
        print(f"cannot listen on 127.0.0.1:{args.port}: {e}. Try --port 0 for any free port.", file=sys.stderr)
        return 2
    names = recordings.available(args.recordings)
    print(f"Managed Agents stub listening on {server.url}", flush=True)
    print(f"  speed={speed}  recordings ({server.recordings_dir}): {', '.join(names) or 'none'}", flush=True)
    print(f"  use: anthropic.Anthropic(api_key='stub', base_url='{server.url}')  or  ANTHROPIC_BASE_URL={server.url}",
          flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: done.set())
    try:
        while not done.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
