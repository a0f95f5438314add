"""CLI: ``python build.py [FILE...]`` and its commands; parses arguments and delegates.

Content mistakes are printed one per line and exit 1 with no traceback; anything else is
a bug in brochure and keeps its traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

COMMANDS = {
    "build": "build the print and email PDFs (the default command)",
    "schema": "print the JSON Schema of content files (or write it with --write FILE)",
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python build.py",
        description="Build patient handouts from content.yaml into print and email PDFs.",
        epilog="Commands: " + "; ".join(f"{k}: {v}" for k, v in COMMANDS.items()))
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    build = sub.add_parser("build", help=COMMANDS["build"], description=COMMANDS["build"])
    build.add_argument("files", nargs="*", metavar="FILE", default=["content.yaml"],
                       help="content files to build (default: content.yaml)")
    build.add_argument("--out", default="out", metavar="DIR", help="folder for the PDFs (default: out)")
    schema = sub.add_parser("schema", help=COMMANDS["schema"], description=COMMANDS["schema"])
    schema.add_argument("--write", metavar="FILE", help="write the schema to FILE instead of printing it")
    return parser


def _build(args: argparse.Namespace) -> int:
    from .build import build_file
    from .errors import ContentError

    status = 0
    for name in args.files:
        try:
            result = build_file(Path(name), Path(args.out), name)
        except ContentError as error:
            for problem in error.problems:
                print(problem, file=sys.stderr)
            count = len(error.problems)
            print(f"{name}: {count} problem{'s' * (count != 1)}; no PDF was written.", file=sys.stderr)
            status = 1
            continue
        for warning in result.warnings:
            print(f"{name}: warning: {warning}", file=sys.stderr)
        for path in result.pdfs:
            print(f"wrote {path} ({path.stat().st_size // 1024} kB)")
    return status


def _schema(args: argparse.Namespace) -> int:
    from .content import json_schema

    text = json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
    if args.write:
        Path(args.write).write_text(text, encoding="utf-8")
        print(f"wrote {args.write}")
    else:
        sys.stdout.write(text)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help")):
        argv.insert(0, "build")
    args = _parser().parse_args(argv)
    return {"build": _build, "schema": _schema}[args.command](args)
