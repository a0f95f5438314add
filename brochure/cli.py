"""CLI: ``python build.py [COMMAND] [FILE...]``; parses arguments and delegates.

Content mistakes are printed one per line and exit 1 with no traceback; anything else is
a bug in brochure and keeps its traceback. Modules are imported per command, so a no-op
build never imports the content model or WeasyPrint.
"""

from __future__ import annotations

import argparse
import difflib
import errno
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__, options
from .targets import DEFAULT_FILES, files_named, settle_out

if TYPE_CHECKING:
    from .errors import Problem
    from .runner import Outcome
    from .settings import Settings

COMMANDS = {
    "build": "build the print and email PDFs of each file, skipping those up to date (the default command)",
    "check": "check each file as a patient-education reviewer would: reading level, claims, contact, contrast...",
    "watch": "build, then rebuild on every save of the content, its images or a template; Ctrl-C stops",
    "proof": "build, then write a PNG of every page to out/proof/, with trim, bleed and fold lines on print proofs",
    "serve": "build and show the pages in your browser beside a form to edit them, updated on every save; Ctrl-C stops",
    "studio": "the same as serve: edit the handout in your browser beside its pages",
    "import": "turn an article (.docx, .md, .txt or .html) into a content file, its pictures copied beside it",
    "translated": "record that each translation FILE (first-visit.es.yaml) matches its source's text as it is now",
    "new": "start a handout in FOLDER (content.yaml and a logo), or with --project a project folder to build as it is",
    "schema": "print the JSON Schema of content files, or with --project of brochure.yaml (or write it with --write FILE)",
}


# The FILE list when none is given (compared by identity: "content.yaml" typed out is a file).
FILES_HELP = ("content files, or a project (its brochure.yaml or folder); default: the project in this "
              "folder, else content.yaml")


def _files_and_out(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="*", metavar="FILE", default=DEFAULT_FILES, help=FILES_HELP)
    parser.add_argument("--out", metavar="DIR",
                        help="folder for the PDFs (default: the project's out folder, else out in this folder)")
    parser.add_argument("--force", action="store_true", help="rebuild even what is up to date")


def _prog() -> str:
    """How the user ran us, for usage lines: ``python build.py`` in the repository, else ``brochure``."""
    return "python build.py" if Path(sys.argv[0]).name == "build.py" else "brochure"


def _parser() -> argparse.ArgumentParser:
    parser = options.Parser(
        prog=_prog(),
        description="Build patient handouts from content.yaml into print and email PDFs. "
                    "With no command, build is meant: FILE defaults to content.yaml.")
    parser.add_argument("--version", action="version", version=f"brochure {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands", parser_class=options.Parser)
    build = sub.add_parser("build", help=COMMANDS["build"], description=COMMANDS["build"])
    _files_and_out(build)
    build.add_argument("--jobs", "-j", type=options.jobs, default=None, metavar="N",
                       help="build files and variants in N processes; one handout renders its PDFs at once on N "
                            "of 2 or more (default: the number of cores, and one handout's PDFs at once only "
                            "when a core is idle)")
    build.add_argument("--scheduler", metavar="ADDRESS",
                       help="render on the Dask cluster whose scheduler is at ADDRESS (tcp://host:8786) instead of here")
    build.add_argument("--scheduler-timeout", metavar="SECONDS", type=options.seconds, default=None,
                       help="give up on a scheduler that does not answer, or has no worker, after SECONDS (default: 15)")
    build.add_argument("--strict", action="store_true", help="exit 1 when the checks find a warning")
    build.add_argument("--catalog", action="store_true",
                       help="also write the catalog (out/index.html, out/catalog.pdf); a project always does")
    check = sub.add_parser("check", help=COMMANDS["check"], description=COMMANDS["check"])
    check.add_argument("files", nargs="*", metavar="FILE", default=DEFAULT_FILES, help=FILES_HELP)
    check.add_argument("--format", choices=("text", "json"), default="text", help="text for people, json for tools")
    check.add_argument("--strict", action="store_true", help="exit 1 when there is any warning")
    watch = sub.add_parser("watch", help=COMMANDS["watch"], description=COMMANDS["watch"])
    _files_and_out(watch)
    proof = sub.add_parser("proof", help=COMMANDS["proof"], description=COMMANDS["proof"])
    _files_and_out(proof)
    proof.add_argument("--dpi", type=options.dpi, default=150, help="resolution of the pictures (default: 150)")
    proof.add_argument("--no-guides", dest="guides", action="store_false",
                       help="leave out the trim, bleed and fold lines")
    for command in ("serve", "studio"):
        serve = sub.add_parser(command, help=COMMANDS[command], description=COMMANDS[command])
        _files_and_out(serve)
        serve.add_argument("--port", type=options.port, default=8000, help="port on 127.0.0.1 (default: 8000)")
        serve.add_argument("--dpi", type=options.dpi, default=110, help="resolution of the page pictures (default: 110)")
    imports = sub.add_parser("import", help=COMMANDS["import"], description=COMMANDS["import"])
    imports.add_argument("file", metavar="FILE", help="the article: a Word file (.docx), Markdown, plain text or HTML")
    imports.add_argument("--to", metavar="FILE", type=options.folder_or_file,
                         help="the content file to write (default: FILE's name, .yaml, here)")
    imports.add_argument("--force", action="store_true", help="replace the content file if it exists")
    translated = sub.add_parser("translated", help=COMMANDS["translated"], description=COMMANDS["translated"])
    translated.add_argument("files", nargs="+", metavar="FILE", help="translations (name.LANG.yaml beside name.yaml)")
    new = sub.add_parser("new", help=COMMANDS["new"], description=COMMANDS["new"])
    new.add_argument("folder", nargs="?", default=".", metavar="FOLDER", help="where to write (default: this folder)")
    new.add_argument("--project", action="store_true",
                     help="a project: brochure.yaml, locations.csv, a handout and its Spanish translation")
    schema = sub.add_parser("schema", help=COMMANDS["schema"], description=COMMANDS["schema"])
    schema.add_argument("--write", metavar="FILE", type=options.folder_or_file, help="write the schema to FILE instead of printing it")
    schema.add_argument("--project", action="store_true", help="the schema of the project file, brochure.yaml")
    return parser


def report(outcomes: list[Outcome], strict: bool = False) -> int:
    """Print what a batch did, problems and check summaries on stderr; return the exit status."""
    status = 0
    shown: set[Problem] = set()  # a mistake in what handouts share (brochure.yaml, a catalog) is printed once
    for outcome in outcomes:
        findings = list(dict.fromkeys(f for result in outcome.results for f in result.findings))
        if findings:  # imported only then: a no-op build stays free of rich and the checks
            from .checks.report import exit_status, summary

            line = summary(findings, outcome.name)
            if line:
                print(line, file=sys.stderr)
            status = max(status, exit_status(findings, strict))
        if outcome.up_to_date:
            print(f"{outcome.name}: up to date ({', '.join(str(p) for p in outcome.up_to_date)})")
        for result in outcome.results:
            for warning in result.warnings:
                print(f"{outcome.name}: warning: {warning}", file=sys.stderr)
            for path in result.written:
                print(f"wrote {path} ({path.stat().st_size // 1024} kB)")
            for path in result.skipped:
                print(f"unchanged {path}")
        for line in outcome.removed:
            print(line)
        if outcome.problems:
            status = 1
            for problem in dict.fromkeys(outcome.problems):
                if problem not in shown:
                    print(problem, file=sys.stderr)
            count = len(set(outcome.problems))
            above = " (shown above)" if shown.issuperset(outcome.problems) else ""
            shown.update(outcome.problems)
            written = sum(len(result.written) for result in outcome.results)
            what = f"the other {written} PDFs were written" if written else "no PDF was written"
            print(f"{outcome.name}: {count} problem{'s' * (count != 1)}{above}; {what}.", file=sys.stderr)
    return status


def _settings(args: argparse.Namespace) -> Settings:
    """The command's options as one record, made once here and passed down (runner, watch,
    serve, the executors). ``build``, ``watch`` and ``serve`` check what they build; with
    ``--strict``, up-to-date files are checked too."""
    from .settings import Settings

    strict = getattr(args, "strict", False)
    given = {name: getattr(args, name) for name in ("force", "jobs", "scheduler", "scheduler_timeout", "port", "dpi")
             if getattr(args, name, None) is not None}  # an option not given keeps the record's default
    return Settings(Path(getattr(args, "out", "out")), check=args.command in ("build", "watch", "serve"),
                    strict=strict, skip_fresh_files=not strict, **given)


def _build(args: argparse.Namespace) -> int:
    from .console import progress_for
    from .runner import run
    from .scheduler import ClusterError, parse_address  # light: distributed is imported only to reach one

    files = files_named(args)
    if not settle_out(args, files):
        return 1
    settings = _settings(args)
    try:
        if args.scheduler is not None:  # a mistyped address is said before anything is built
            parse_address(args.scheduler)
        with progress_for(sys.stdout) as progress:
            outcomes = run(files, settings, progress)
    except ClusterError as error:
        print(error, file=sys.stderr)
        return 1
    status = report(outcomes, settings.strict)
    if settings.strict:
        from .approval import unapproved

        for problem in unapproved(files):
            print(problem, file=sys.stderr)
            status = 1
    if args.projects or args.catalog:
        from .catalog import stale, write_catalog
        from .environment import review_day

        if stale(files, outcomes, settings.out_dir, review_day()):
            for path in write_catalog(files, outcomes, settings.out_dir, review_day()):
                if path.suffix in (".html", ".pdf"):
                    print(f"wrote {path}")
    return status


def _check(args: argparse.Namespace) -> int:
    from .checks.report import exit_status, render_json, render_text
    from .errors import ContentError
    from .runner import check_file

    status = 0
    everything = []
    shown: set[Problem] = set()  # a mistake in what handouts share (brochure.yaml, a CSV) is printed once
    for path, name in files_named(args):
        failed: list[Problem] = []  # a bad row fails its own location; the others are checked
        try:
            findings = check_file(path, name, problems=failed)
        except ContentError as error:
            failed = error.problems
            findings = []
        for problem in dict.fromkeys(failed):
            if problem not in shown:  # a mistake in what handouts share (brochure.yaml) is printed once
                print(problem, file=sys.stderr)
        shown.update(failed)
        status = 1 if failed else status
        if not findings and failed:
            continue
        everything += findings
        if args.format == "text":
            sys.stdout.write(render_text(findings, name, color=sys.stdout.isatty()))
        status = max(status, exit_status(findings, args.strict))
    if args.format == "json":
        sys.stdout.write(render_json(everything, args.files[0] if len(args.files) == 1 else None))
    return status


def _watch(args: argparse.Namespace) -> int:
    from .watch import rebuilds

    files = files_named(args)
    if not settle_out(args, files):
        return 1
    shown = [str(p) for p in args.projects] or args.files
    print(f"watching {', '.join(shown)} and the templates; Ctrl-C stops", flush=True)
    discover = (lambda: files_named(args)) if args.projects else None  # a handout added to the project is built too
    try:
        for outcomes in rebuilds(files, _settings(args), discover=discover):
            report(outcomes)
            print("waiting for changes...", flush=True)
    except KeyboardInterrupt:
        pass  # Ctrl-C during a build: what was being written is a temporary file, never a PDF
    print("stopped watching")
    return 0


def _proof(args: argparse.Namespace) -> int:
    from .proof import render_proofs
    from .runner import run

    files = files_named(args)
    if not settle_out(args, files):
        return 1
    settings = _settings(args)
    outcomes = run(files, settings)
    status = report(outcomes)
    for outcome in outcomes:
        for pdf in [p for result in outcome.results for p in result.pdfs] or outcome.up_to_date:
            for path in render_proofs(pdf, settings.out_dir, settings.dpi, args.guides):
                print(f"wrote {path}")
    return status


def _serve(args: argparse.Namespace) -> int:
    from .serve import serve

    def show(outcomes: list[Outcome]) -> None:
        report(outcomes)
        print("waiting for changes...", flush=True)

    files = files_named(args)
    if not settle_out(args, files):
        return 1
    discover = (lambda: files_named(args)) if args.projects else None  # a handout added to the project is shown too
    serve(files, _settings(args), on_outcomes=show, discover=discover)
    print("stopped the preview")
    return 0


def _import(args: argparse.Namespace) -> int:
    from .importer import CannotImport, default_target, import_file, summary

    target = Path(args.to) if args.to else default_target(Path(args.file))
    try:
        imported = import_file(Path(args.file), target, force=args.force)
    except CannotImport as error:
        print(error, file=sys.stderr)
        return 1
    print("\n".join(summary(imported, _prog())))
    return 0


def _schema_text(project: bool) -> str:
    from .content import json_schema
    from .content.project import project_schema

    return json.dumps(project_schema() if project else json_schema(), indent=2, ensure_ascii=False) + "\n"


def _schema(args: argparse.Namespace) -> int:
    text = _schema_text(args.project)
    if args.write:
        from .files import write_atomic

        target = Path(args.write)
        if not target.parent.is_dir():  # said as open() says it: a folder is not made for it
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", str(target))
        write_atomic(target, text.encode("utf-8"))  # never half a schema
        print(f"wrote {args.write}")
    else:
        sys.stdout.write(text)
    return 0


def _translated(args: argparse.Namespace) -> int:
    from .content import read_source, translated
    from .discover import source_of
    from .errors import ContentError

    status = 0
    for name in args.files:
        path = Path(name)
        original = source_of(path) if path.is_file() else None
        if original is None:
            what = "no such file" if not path.is_file() else (
                "not a translation: a translation is named like first-visit.es.yaml, beside the first-visit.yaml "
                "it translates")
            print(f"{name}: {what}", file=sys.stderr)
            status = 1
            continue
        try:
            data = read_source(original, str(path.parent / original.name)).data
        except ContentError as error:
            for problem in error.problems:
                print(problem, file=sys.stderr)
            status = 1
            continue
        lock = translated.record(path, original, data)
        print(f"wrote {lock}: {name} translates {original.name} as it is now")
    return status


def _new(args: argparse.Namespace) -> int:
    from datetime import date

    from .content import read_source, translated
    from .starter import plan, write

    folder = Path(args.folder)
    if folder.exists() and not folder.is_dir():
        print(f"{folder}: this is a file; give a folder for the new {'project' if args.project else 'handout'}",
              file=sys.stderr)
        return 1
    today = date.today()
    files = plan(folder, args.project, "", today.isoformat(), today.replace(year=today.year + 1, day=min(today.day, 28))
                 .isoformat())
    # The schemas beside the files: an editor completes and checks keys, with no network.
    files[folder / "content.schema.json"] = _schema_text(False)
    if args.project:
        files[folder / "brochure.schema.json"] = _schema_text(True)
    spanish = folder / "handouts" / "first-visit.es.yaml"
    lock = translated.lock_path(spanish)
    taken = next((path for path in [*files, *([lock] if args.project else [])]
                  if path.exists() or path.is_symlink()), None)
    if taken is not None:
        print(f"{taken}: already exists; brochure new never overwrites a file: give another folder", file=sys.stderr)
        return 1
    for path in write(files):
        print(f"wrote {path}")
    if args.project:
        english = folder / "handouts" / "first-visit.yaml"
        print(f"wrote {translated.record(spanish, english, read_source(english, str(english)).data)}")
    where = "" if folder == Path(".") else f" {folder}" if args.project else f" {folder / 'content.yaml'}"
    print(f"next: change the words, then run: {_prog()} build{where}")
    return 0


def _unknown_command(word: str) -> str | None:
    """The error for a first word that is neither a command nor a content file, else None.

    Why: with ``build`` the default, ``brochure chek`` would otherwise be taken as a file
    name and fail as "no such file" rather than as the typo it is.
    """
    if word.startswith("-") or Path(word).exists() or Path(word).suffix.lower() in {".yaml", ".yml"}:
        return None
    close = difflib.get_close_matches(word, list(COMMANDS), n=1, cutoff=0.5)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return f"{_prog()}: '{word}' is not a command or a content file; {hint}the commands are: {', '.join(COMMANDS)}"


# A write refused for want of room: no space left, a quota reached, or a file larger than
# the system allows (EFBIG: a size limit, as ``ulimit -f`` sets). Never brochure's bug.
_DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] not in COMMANDS and argv[0] not in ("-h", "--help", "--version"):
        error = _unknown_command(argv[0])
        if error:
            print(error, file=sys.stderr)
            return 1
    if not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help", "--version")):
        argv.insert(0, "build")
    args = _parser().parse_args(argv)
    commands = {"build": _build, "check": _check, "watch": _watch, "proof": _proof, "serve": _serve,
                "studio": _serve, "import": _import, "schema": _schema, "translated": _translated, "new": _new}
    from .environment import SettingError, check
    from .errors import ContentError

    try:
        check()  # before anything is built: a watch must not start on a date it cannot stamp
        return commands[args.command](args)
    except SettingError as error:
        print(error, file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # watch and serve stop on Ctrl-C themselves; a build is cut short
        out = getattr(args, "out", None)
        print(f"stopped (Ctrl-C): nothing half-made was written; the PDFs in {out or 'out'} are whole",
              file=sys.stderr)
        return 130
    except ContentError as error:  # a project file with a mistake: reported once, for all its handouts
        for problem in error.problems:
            print(problem, file=sys.stderr)
        return 1
    except OSError as error:
        if error.errno in _DISK_FULL:  # the machine's to fix, wherever it was found: one line
            out = getattr(args, "out", None) or "out"
            where = f" {error.filename}" if error.filename else ""
            cause = ("a file is larger than this computer allows (the file-size limit)" if error.errno == errno.EFBIG
                     else "the disk is full")
            print(f"cannot write{where}: {cause} ({error.strerror or error}); free some space or raise the limit and "
                  f"run it again: the PDFs in {out} are as they were", file=sys.stderr)
            return 1
        # A file or folder to write that is not usable: the user's to fix, not a bug. An
        # error that names no file is not one of those: it keeps its traceback.
        if error.filename is None:
            raise
        reason = error.strerror or str(error)
        if isinstance(error, FileExistsError) and Path(str(error.filename)).is_file():
            reason = "a file of that name is in the way of the folder"
        print(f"cannot write {error.filename}: {reason}", file=sys.stderr)
        return 1
