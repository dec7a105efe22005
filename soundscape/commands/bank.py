"""``soundscape bank info|verify|prune``: look after the segment bank.

* ``info``: entries, total size against the cap, groups, oldest and newest use.
* ``verify [--fix]``: decode every entry, check its checksum, length and samples
  (NaN, infinite, absurd values); report the damaged ones and, with ``--fix``,
  delete them (they are made again, or generated again, when next needed).
  Exit status 1 when damage was found and left in place.
* ``prune [--max SIZE] [--older-than DUR] [--dry-run]``: evict the least recently
  used entries down to SIZE (default: the bank's cap) and every entry unused for
  longer than DUR; entries used in the last minute stay (a render may be at work).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

from tqdm import tqdm

from ..bank import RECENT_SECONDS, Entry, SegmentBank, default_bank_dir, format_size, parse_size
from ..errors import UsageError
from ..units import parse_duration


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--bank", type=Path, default=None,
                        help=f"segment bank folder (default {default_bank_dir()})")
    p = subparsers.add_parser(
        "bank", help="show, check or shrink the segment bank",
        description="Show, check or shrink the segment bank (cached segments).",
    )
    sub = p.add_subparsers(dest="action", metavar="ACTION")
    sub.required = True
    info = sub.add_parser("info", parents=[common], help="entries, size, groups, ages")
    info.set_defaults(func=run_info)
    verify = sub.add_parser("verify", parents=[common],
                            help="check every entry's checksum and samples")
    verify.add_argument("--fix", action="store_true", help="delete the damaged entries")
    verify.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    verify.set_defaults(func=run_verify)
    prune = sub.add_parser("prune", parents=[common],
                           help="evict least recently used entries")
    prune.add_argument("--max", default=None, metavar="SIZE",
                       help="shrink to this size: 500MB, 2GB (default: the bank's cap)")
    prune.add_argument("--older-than", default=None, metavar="DUR",
                       help="also evict entries unused for longer than this: 12h, 7d, 2w")
    prune.add_argument("--dry-run", "-n", action="store_true",
                       help="list what would go; remove nothing")
    prune.set_defaults(func=run_prune)


def _bank(args: argparse.Namespace, max_bytes: int | None = None) -> SegmentBank:
    return SegmentBank(args.bank, max_bytes=max_bytes)


def _ago(seconds: float) -> str:
    for unit, scale in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds >= 2 * scale:
            return f"{seconds / scale:.0f} {unit} ago"
    return f"{seconds:.0f} s ago"


def _when(stamp: float, now: float) -> str:
    return f"{time.strftime('%Y-%m-%d %H:%M', time.localtime(stamp))} ({_ago(now - stamp)})"


def _cap(bank: SegmentBank) -> str:
    return format_size(bank.max_bytes) if bank.max_bytes else "none"


def run_info(args: argparse.Namespace) -> int:
    bank = _bank(args)
    if not bank.root.is_dir():
        print(f"bank {bank.root}: empty (no such folder yet); cap {_cap(bank)}")
        return 0
    scan = bank.scan()
    now = time.time()
    segments = [e for e in scan.of_kind("segment") if any(f.suffix == ".wav" for f in e.files)]
    markers = [e for e in scan.of_kind("segment") if e not in segments]
    calibration = scan.of_kind("calibration")
    leftovers = scan.of_kind("leftover")
    total = scan.total_bytes
    used = f" ({100 * total / bank.max_bytes:.0f}% of the cap)" if bank.max_bytes else ""
    print(f"bank {bank.root}")
    print(f"  size:        {format_size(total)}{used}; cap {_cap(bank)}")
    print(f"  segments:    {len(segments)} ({format_size(sum(e.size for e in segments))})"
          + (f", {len(markers)} rejection markers" if markers else ""))
    print(f"  calibration: {len(calibration)} files "
          f"({format_size(sum(e.size for e in calibration))})")
    members = sum(len(m) for m in scan.groups.values())
    print(f"  groups:      {len(scan.groups)} ({members} generated segments)")
    if segments:
        oldest = min(e.used for e in segments)
        newest = max(e.used for e in segments)
        print(f"  last used:   oldest {_when(oldest, now)}, newest {_when(newest, now)}")
    if leftovers:
        print(f"  leftovers:   {len(leftovers)} temporary files "
              f"({format_size(sum(e.size for e in leftovers))}; 'prune' removes stale ones)")
    return 0


def run_verify(args: argparse.Namespace) -> int:
    bank = _bank(args)
    scan = bank.scan()
    now = time.time()
    # a rejection marker alone holds no audio; an entry written this minute may be
    # half way through its write
    entries = [e for e in scan.of_kind("segment") if _whole(e) or (
        any(f.suffix in (".wav", ".json") for f in e.files) and now - e.used >= RECENT_SECONDS)]
    member_of: dict[str, list[str]] = {}
    for g, names in scan.groups.items():
        for name in names:
            member_of.setdefault(name, []).append(g)
    started = time.perf_counter()
    damaged: list[tuple[Entry, str]] = []
    unchecked = 0
    size = sum(e.size for e in entries)
    bar = None if args.quiet else tqdm(total=size, unit="B", unit_scale=True,
                                       desc="verifying", file=sys.stderr, leave=False)
    for entry in entries:
        problem, checked = bank.verify(entry.name)
        if problem is not None:
            damaged.append((entry, problem))
        elif not checked:
            unchecked += 1
        if bar is not None:
            bar.update(entry.size)
    if bar is not None:
        bar.close()
    elapsed = time.perf_counter() - started
    for entry, problem in damaged:
        audio = next((f for f in entry.files if f.suffix == ".wav"), entry.files[0])
        groups = member_of.get(entry.name, [])
        where = f" (group {', '.join(groups)})" if groups else ""
        print(f"damaged: {entry.name} {audio}{where}: {problem}")
        if args.fix:
            bank.remove(entry, groups)
    old = f", {unchecked} without a checksum (written before checksums)" if unchecked else ""
    fixed = " (deleted: they are made again when next needed)" if args.fix and damaged else ""
    print(f"verified {len(entries)} entries ({format_size(size)}) in {elapsed:.1f} s: "
          f"{len(damaged)} damaged{fixed}{old}")
    return 1 if damaged and not args.fix else 0


def _whole(entry: Entry) -> bool:
    suffixes = {f.suffix for f in entry.files}
    return ".wav" in suffixes and ".json" in suffixes


_DAYS = re.compile(r"(\d+(?:\.\d+)?)([dw])")


def _age(text: str) -> float:
    """Seconds from a duration (``90m``, ``12h``) or days and weeks (``7d``, ``2w``)."""
    match = _DAYS.fullmatch(text.strip().lower())
    if match:
        return float(match.group(1)) * (86400 if match.group(2) == "d" else 7 * 86400)
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise UsageError(f"--older-than: {exc} (or days and weeks: 7d, 2w)") from None


def run_prune(args: argparse.Namespace) -> int:
    limit: int | None = None
    if args.max is not None:
        try:
            limit = parse_size(args.max)
        except ValueError as exc:
            raise UsageError(f"--max: {exc}") from None
    older = _age(args.older_than) if args.older_than is not None else None
    bank = _bank(args)
    before = bank.scan().total_bytes
    result = bank.prune(max_bytes=limit, older_than=older, dry_run=args.dry_run)
    now = time.time()
    verb = "would remove" if args.dry_run else "removed"
    if args.dry_run:
        for entry in result.removed:
            print(f"{entry.kind:12} {entry.name:30} {format_size(entry.size):>8}  "
                  f"last used {_when(entry.used, now)}")
    kept = (f"; {result.kept_in_use} in use in the last minute kept"
            if result.kept_in_use else "")
    print(f"{verb} {len(result.removed)} entries ({format_size(result.freed_bytes)}): "
          f"{format_size(before)} -> {format_size(result.remaining_bytes)} "
          f"(cap {_cap(bank) if limit is None else format_size(limit) if limit else 'none'})"
          f"{kept}")
    return 0
