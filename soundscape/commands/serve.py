"""``soundscape serve``: stream every scene in a folder to browsers (see docs/protocol.md).

Exit status: 0 after SIGINT or SIGTERM (taken at any point: while starting, while
scenes build, while serving); 2 for a bad flag or a port that cannot be bound (one
line naming the address, e.g. ``--port: cannot listen on 127.0.0.1:8000: address
already in use``).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from ..bank import default_bank_dir
from ..errors import UsageError
from ..server.config import ServerConfig
from ..server.gate import parse_origin
from .broadcast import add_output_flags, output_flags


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    d = ServerConfig()
    p = subparsers.add_parser(
        "serve", help="stream scenes to a web player over websockets",
        description="Serve the web player at / and stream every scene in --scenes without end.",
    )
    p.add_argument("--host", default=d.host, help=f"address to listen on (default {d.host})")
    p.add_argument("--port", type=int, default=d.port, help=f"TCP port (default {d.port}; 0: any)")
    p.add_argument("--scenes", type=Path, default=d.scenes, help="scenes folder (default scenes)")
    p.add_argument("--bank", type=Path, default=None,
                   help=f"segment bank folder (default {default_bank_dir()})")
    # (`duplicates` pairs these option lines by shape: one per setting, as argparse wants)
    p.add_argument("--max-listeners", type=int, default=d.max_listeners,
                   help=f"connections at most (default {d.max_listeners})")
    p.add_argument("--max-personal", type=int, default=d.max_personal,
                   help=f"personal mixes at most (default {d.max_personal})")
    p.add_argument("--max-personal-per-client", type=int, default=d.max_personal_per_client,
                   help=f"personal mixes one client address may run (default "
                        f"{d.max_personal_per_client})")
    p.add_argument("--max-message", type=int, default=d.max_message_bytes,
                   help=f"largest control message in bytes (default {d.max_message_bytes})")
    p.add_argument("--bitrate", type=int, default=d.bitrate,
                   help=f"Opus bit rate in bit/s (default {d.bitrate})")
    p.add_argument("--stem-bitrate", type=int, default=d.stem_bitrate,
                   help=f"Opus bit rate of each stem in bit/s (a stem listener takes one per "
                        f"layer; default {d.stem_bitrate})")
    p.add_argument("--frames-per-message", type=int, default=d.frames_per_message,
                   help=f"20 ms frames per websocket message (default {d.frames_per_message})")
    p.add_argument("--mixers", type=int, default=d.mixers,
                   help=f"mixer threads (default {d.mixers})")
    p.add_argument("--idle-pause", type=float, default=d.idle_pause_s,
                   help=f"pause a channel nobody listens to after this many seconds, 0 = "
                        f"never (default {d.idle_pause_s:g})")
    p.add_argument("--reload-interval", type=float, default=d.reload_interval_s,
                   help=f"seconds between scene-folder checks, 0 = off "
                        f"(default {d.reload_interval_s:g})")
    p.add_argument("--refresh-bank", metavar="MODEL", default=None,
                   help="keep adding fresh generated variants to each scene's bank while "
                        "streaming (audioldm2, stable-audio-open or a folder; needs the "
                        "[gen] extra and ideally a GPU)")
    p.add_argument("--refresh-interval", type=float, default=d.refresh_interval_s,
                   help=f"seconds between refresh rounds (default {d.refresh_interval_s:g})")
    p.add_argument("--refresh-max-variants", type=int, default=d.refresh_max_variants,
                   help=f"generated variants kept per layer (default {d.refresh_max_variants})")
    p.add_argument("--allow-origin", action="append", default=[], metavar="ORIGIN",
                   help="also accept pages from this web origin, e.g. https://example.org "
                        "(repeatable; the player's own origin is always accepted)")
    add_output_flags(p, "MOUNT/SCENE.opus and MP3 to MOUNT/SCENE.mp3 for every scene "
                        "(no MOUNT: /SCENE.opus)")
    p.add_argument("--icecast-bitrate", type=int, default=None,
                   help="Icecast bit rate in bit/s (default 128000)")
    p.add_argument("--token", default=None,
                   help="token needed to change a mix or set a sleep timer (default: "
                        "$SOUNDSCAPE_TOKEN, else random when --host is beyond loopback, "
                        "else none)")
    p.set_defaults(func=run)


def config_from_args(args: argparse.Namespace) -> ServerConfig:
    checks = [("--port", args.port, 0, 65535), ("--max-listeners", args.max_listeners, 1, 10**6),
              ("--max-personal", args.max_personal, 0, 10**4),
              ("--max-personal-per-client", args.max_personal_per_client, 0, 10**4),
              ("--max-message", args.max_message, 64, 1 << 20),
              ("--bitrate", args.bitrate, 6000, 510000),
              ("--stem-bitrate", args.stem_bitrate, 6000, 510000),
              ("--frames-per-message", args.frames_per_message, 1, 50),
              ("--mixers", args.mixers, 1, 64),
              ("--refresh-max-variants", args.refresh_max_variants, 1, 256)]
    for flag, value, low, high in checks:
        if not low <= value <= high:
            raise UsageError(f"{flag}: {value} is out of range {low}..{high}")
    if not args.scenes.is_dir():
        raise UsageError(f"--scenes: {args.scenes} is not a folder")
    for origin in args.allow_origin:
        if parse_origin(origin) is None:
            raise UsageError(f"--allow-origin: {origin!r} is not scheme://host[:port], "
                             "e.g. https://example.org")
    targets, formats, segment = output_flags(args)
    if args.icecast_bitrate is not None and not 32000 <= args.icecast_bitrate <= 320000:
        raise UsageError(f"--icecast-bitrate: {args.icecast_bitrate} is out of range "
                         "32000..320000")
    token = args.token if args.token is not None else os.environ.get("SOUNDSCAPE_TOKEN") or None
    if token is not None and not 8 <= len(token) <= 256:
        raise UsageError("--token: use 8 to 256 characters")
    return ServerConfig(
        host=args.host, port=args.port, scenes=args.scenes, bank=args.bank,
        max_listeners=args.max_listeners, max_personal=args.max_personal,
        max_personal_per_client=args.max_personal_per_client,
        max_message_bytes=args.max_message, bitrate=args.bitrate,
        stem_bitrate=args.stem_bitrate,
        frames_per_message=args.frames_per_message, mixers=args.mixers,
        reload_interval_s=max(0.0, args.reload_interval),
        idle_pause_s=max(0.0, args.idle_pause),
        refresh_model=args.refresh_bank,
        refresh_interval_s=max(5.0, args.refresh_interval),
        refresh_max_variants=args.refresh_max_variants,
        allow_origins=tuple(args.allow_origin), token=token,
        icecast=tuple(targets), icecast_formats=tuple(formats),
        icecast_bitrate=args.icecast_bitrate, hls=args.hls, hls_segment_s=segment,
    )


def run(args: argparse.Namespace) -> int:
    from ..server.app import run as run_server

    config = config_from_args(args)
    if config.refresh_model is not None:
        from ..generators import resolve_model

        resolve_model(config.refresh_model)  # fail now, clearly, not in a thread later
    return run_server(config)
