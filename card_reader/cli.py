"""The command line: ``card-reader inspect | batch | review | serve | openapi | eval``.

Errors map to exit codes in one place (``CardReaderError.exit_code``): 0 ok, 2 usage, 3 bad input,
4 configuration, 5 OCR engine, 6 processing, 7 results store, 1 anything else. Logging goes to
stderr, masked, and is silenced by ``--quiet``. What this prints on the terminal for staff (inspect,
review) shows member IDs and names in full; log lines never do.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import sys
from pathlib import Path
from typing import Optional, Sequence

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from . import __version__
from .batch import discover_cases, process, run_batch
from .errors import CardReaderError, InvalidDecision
from .evaluate import Report, evaluate
from .models import CardFailure, CardResult, CheckStatus, Severity
from .pipeline import CardReader, load_submission
from .store import DB_ENV, JsonlStore, ResultStore, StoredResult

STATUS_STYLE = {
    CheckStatus.MATCH: "green", CheckStatus.MISMATCH: "bold red", CheckStatus.PROBABLE_TYPO: "yellow",
    CheckStatus.PLACEHOLDER: "cyan", CheckStatus.UNREADABLE: "magenta", CheckStatus.NOT_ON_CARD: "dim",
}
SEVERITY_STYLE = {Severity.INFO: "cyan", Severity.WARNING: "yellow", Severity.ERROR: "bold red"}


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = _parser().parse_args(argv)
    _configure_logging(args.verbose, args.quiet)
    console = Console(stderr=False)
    try:
        return args.handler(args, console)
    except CardReaderError as exc:
        Console(stderr=True).print(f"[bold red]error[/] {escape(f'[{exc.code}]: {exc}')}", highlight=False)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="card-reader", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"card-reader {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log each stage (PHI is masked)")
    parser.add_argument("-q", "--quiet", action="store_true", help="log nothing but errors")
    commands = parser.add_subparsers(dest="command", required=True)

    inspect = commands.add_parser("inspect", help="read one card and show it for staff")
    inspect.add_argument("front", type=Path)
    inspect.add_argument("back", type=Path, nargs="?")
    inspect.add_argument("--typed", type=Path, help="the typed form (ClientSubmission JSON)")
    inspect.add_argument("--json", action="store_true", help="print the CardResult JSON")
    inspect.add_argument("--debug-dir", type=Path, help="write each stage as an image here")
    inspect.add_argument("--annotate", type=Path, metavar="OUT.png",
                         help="draw the fields read, labelled, on the straightened card")
    inspect.set_defaults(handler=_inspect)

    db_help = f"results database URL (default: ${DB_ENV}, else a SQLite file in the data directory)"
    batch = commands.add_parser("batch", help="read the cards of SOURCE into the results store, skipping "
                                              "those already read with the same input and versions")
    batch.add_argument("source", type=Path, help="a folder of card folders, or a .jsonl/.csv manifest")
    batch.add_argument("--db", help=db_help)
    batch.add_argument("--workers", type=int, default=None, help="processes (default: all cores)")
    batch.add_argument("--time-limit", type=float, default=120.0, metavar="SECONDS",
                       help="stop a card that takes longer and record it as failed (default: 120)")
    batch.add_argument("--scheduler", metavar="tcp://HOST:8786", help="run on this Dask distributed cluster")
    batch.add_argument("--changed-only", action="store_true",
                       help="then list the cards whose payer, IDs or review decision changed")
    batch.add_argument("--out", type=Path, help="also write this run's results as JSON lines")
    batch.set_defaults(handler=_batch)

    review = commands.add_parser("review", help="the cards that need review, and staff decisions on them")
    review.add_argument("--db", help=db_help)
    actions = review.add_subparsers(dest="action", required=True)
    actions.add_parser("list", help="cards awaiting review, most severe first").set_defaults(handler=_review_list)
    show = actions.add_parser("show", help="one card's latest result and its decisions")
    show.add_argument("card_id")
    show.set_defaults(handler=_review_show)
    resolve = actions.add_parser("resolve", help="record a decision (never overwrites an earlier one)")
    resolve.add_argument("card_id")
    how = resolve.add_mutually_exclusive_group(required=True)
    how.add_argument("--accept", action="store_true", help="the reading and the form stand as they are")
    how.add_argument("--correct", action="append", metavar="FIELD=VALUE", help="the right value of a field")
    resolve.add_argument("--note", default="", help="why")
    resolve.add_argument("--by", default=None, help="who decides (default: the login name)")
    resolve.set_defaults(handler=_review_resolve)

    serve = commands.add_parser("serve", help="the HTTP service the portal calls after each upload "
                                              "(bearer tokens from $CARD_READER_API_TOKENS)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--db", help=db_help)
    serve.add_argument("--workers", type=int, default=None, help="OCR worker processes (default: all cores)")
    serve.add_argument("--queue", type=int, default=4, help="uploads that may wait for a worker (default: 4)")
    serve.add_argument("--time-limit", type=float, default=30.0, metavar="SECONDS",
                       help="per-upload reading limit (default: 30)")
    serve.add_argument("--max-upload-mb", type=float, default=20.0, help="per image (default: 20)")
    serve.set_defaults(handler=_serve)
    commands.add_parser("openapi", help="print the service's OpenAPI document").set_defaults(handler=_openapi)

    ev = commands.add_parser("eval", help="measure accuracy on card folders holding expected.json")
    ev.add_argument("directory", type=Path)
    ev.add_argument("--workers", type=int, default=None)
    ev.add_argument("--out", type=Path, help="also write the results as JSON lines")
    ev.add_argument("--json", type=Path, help="write the report as JSON")
    ev.add_argument("--show-cards", action="store_true", help="print a line per card")
    ev.set_defaults(handler=_eval)
    return parser


def _configure_logging(verbose: bool, quiet: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("card_reader")
    logger.addHandler(handler)
    logger.setLevel(logging.ERROR if quiet else logging.INFO if verbose else logging.WARNING)


def _inspect(args: argparse.Namespace, console: Console) -> int:
    typed = load_submission(args.typed) if args.typed else None
    result = CardReader().read(args.front, args.back, typed, case=args.front.parent.name,
                               debug_dir=args.debug_dir, annotate=args.annotate)
    if args.json:
        print(result.model_dump_json(indent=2))
    else:
        _show_card(result, console)
        if args.debug_dir:
            console.print(f"stage images written to {args.debug_dir}")
        if args.annotate:
            console.print(f"annotated card: {args.annotate}")
    return 0


def _show_card(result: CardResult, console: Console) -> None:
    console.print(f"[bold]Payer[/]: {result.payer.name} ({result.payer.id}, confidence {result.payer.confidence:.2f})")
    fields = Table(title="Read from the card", show_lines=False)
    for column in ("field", "value", "portal", "confidence", "side", "label"):
        fields.add_column(column)
    for name, reading in result.fields.items():
        fields.add_row(name, reading.value, reading.portal_value or "", f"{reading.confidence:.2f}", reading.side,
                       reading.label or "")
    console.print(fields)
    if result.checks:
        checks = Table(title="Typed vs card")
        for column in ("field", "typed", "read", "status", "detail"):
            checks.add_column(column)
        for c in result.checks:
            style = STATUS_STYLE[c.status]
            checks.add_row(c.field, c.typed or "", c.read or "", f"[{style}]{c.status.value}[/]", c.detail)
        console.print(checks)
    for f in result.flags:
        console.print(f"[{SEVERITY_STYLE[f.severity]}]{f.severity.value:7}[/] {f.code}: {f.message}", highlight=False)
    quality = Table(title="Photo quality")
    for column in ("side", "card found", "method", "rotation", "width px", "sharpness", "glare", "ocr conf", "issues"):
        quality.add_column(column)
    for side, q in result.quality.items():
        quality.add_row(side, str(q.card_found), q.method, str(q.rotation_applied), str(q.card_width_px),
                        f"{q.sharpness:.0f}", f"{q.glare:.3f}", f"{q.ocr_confidence:.2f}", ", ".join(q.issues))
    console.print(quality)
    verdict = "[bold yellow]NEEDS REVIEW[/]" if result.needs_review else "[bold green]OK[/]"
    console.print(f"Decision: {verdict}   ({sum(result.timings_ms.values()):.0f} ms)")


class _RateColumn(ProgressColumn):
    def render(self, task) -> Text:
        return Text(f"{task.speed:.2f} cards/s" if task.speed else "", style="progress.data.speed")


def _progress(console: Console) -> Progress:
    """Cards done, rate and time left; drawn only on a terminal."""
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), _RateColumn(),
                    TimeRemainingColumn(), console=console, disable=not console.is_terminal)


def _run(directory: Path, workers: Optional[int], console: Console, out: Optional[Path]) -> list:
    cases = discover_cases(directory)
    if not cases:
        raise CardReaderError(f"no card folders (with a front.* image) in {directory}")
    outcomes = []
    store = JsonlStore(out) if out else None
    with _progress(console) as progress:
        task = progress.add_task("reading cards", total=len(cases))
        for outcome in run_batch(cases, workers=workers):
            outcomes.append(outcome)
            if store:
                store.write(outcome)
            progress.advance(task)
    if store:
        store.close()
    return outcomes


def _batch(args: argparse.Namespace, console: Console) -> int:
    cases = discover_cases(args.source)
    if not cases:
        raise CardReaderError(f"no cards (a front.* image per card folder) in {args.source}")
    versions = CardReader(threads=1).versions
    out = JsonlStore(args.out) if args.out else None
    with ResultStore(args.db) as store, _progress(console) as progress:
        task = progress.add_task("reading cards", total=len(cases))

        def done(outcome) -> None:
            if out:
                out.write(outcome)
            progress.advance(task)

        summary = process(cases, store, versions=versions, source=str(args.source), workers=args.workers,
                          time_limit=args.time_limit, scheduler=args.scheduler, on_outcome=done,
                          on_skipped=lambda n: progress.update(task, completed=n))
        changed = store.changed_since_previous(summary.run_id) if args.changed_only else None
    if out:
        out.close()
    console.print(f"{len(cases)} cards: {summary.read} read ({summary.need_review} need review, "
                  f"{summary.failed} failed), {summary.skipped} already up to date; recorded as run "
                  f"{summary.run_id} in the {store.url.split('://')[0].split('+')[0]} store")
    if changed is not None:
        _show_changed(changed, console)
    return 0


def _service_settings(args: argparse.Namespace, tokens: tuple[str, ...]):
    import os

    from .service import ServiceSettings

    return ServiceSettings(tokens=tokens, db_url=getattr(args, "db", None),
                           workers=getattr(args, "workers", None) or os.cpu_count() or 1,
                           queue=getattr(args, "queue", 4), time_limit=getattr(args, "time_limit", 30.0),
                           max_upload_bytes=int(getattr(args, "max_upload_mb", 20.0) * 1_000_000))


def _serve(args: argparse.Namespace, console: Console) -> int:
    import uvicorn

    from .service import ServiceSettings, create_app

    app = create_app(_service_settings(args, ServiceSettings.tokens_from_env()))
    # uvicorn's access log names the method, path and status only: card ids, never member IDs or images
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning" if args.quiet else "info")
    return 0


def _openapi(args: argparse.Namespace, console: Console) -> int:
    from .service import create_app

    print(json.dumps(create_app(_service_settings(args, ("x" * 16,))).openapi(), indent=2))
    return 0


def _show_changed(changed: list, console: Console) -> None:
    if not changed:
        console.print("No card's payer, IDs or review decision changed from its previous result.")
        return
    table = Table(title=f"Changed since the previous result: {len(changed)} cards")
    for column in ("card", "payer", "member ID", "group", "review"):
        table.add_column(column)
    for new, previous in changed:
        before = previous.summary if previous else ("-",) * 4
        after = new.summary
        if after[0] == "failed" or before[0] == "failed":
            table.add_row(new.card_id, f"{' '.join(map(str, before))} -> {' '.join(map(str, after))}", "", "", "")
            continue
        cells = [f"{b} -> {a}" if b != a else str(a) for b, a in zip(before, after)]
        table.add_row(new.card_id, *cells)
    console.print(table)


def _review_list(args: argparse.Namespace, console: Console) -> int:
    with ResultStore(args.db) as store:
        queue = store.review_queue()
    table = Table(title=f"Awaiting review: {len(queue)} cards")
    for column in ("card", "severity", "payer", "flags", "read at"):
        table.add_column(column)
    for item in queue:
        table.add_row(item.card_id, _severity_name(item), *_outcome_cells(item), f"{item.created_at:%Y-%m-%d %H:%M}")
    console.print(table)
    return 0


def _severity_name(item: StoredResult) -> str:
    style = {"failed": "bold red", "error": "bold red", "warning": "yellow"}.get(item.severity_name, "cyan")
    return f"[{style}]{item.severity_name}[/]"


def _outcome_cells(item: StoredResult) -> tuple[str, str]:
    if isinstance(item.outcome, CardFailure):
        return "-", item.outcome.error
    return item.outcome.payer.id, ", ".join(f.code for f in item.outcome.flags if f.severity != Severity.INFO)


def _review_show(args: argparse.Namespace, console: Console) -> int:
    with ResultStore(args.db) as store:
        item = store.latest(args.card_id)
        decided = store.decisions(args.card_id)
    console.print(f"[bold]Card {escape(item.card_id)}[/], result {item.id} read {item.created_at:%Y-%m-%d %H:%M} "
                  f"(templates {item.templates_version})")
    if isinstance(item.outcome, CardFailure):
        console.print(f"[bold red]failed[/] [{item.outcome.error}]: {escape(item.outcome.message)}")
    else:
        _show_card(item.outcome, console)
    for d in decided:
        what = "accepted" if d.action == "accept" else "corrected " + ", ".join(f"{k}={v}" for k, v in d.corrections.items())
        console.print(f"decision {d.id} on result {d.result_id}: {what} by {escape(d.decided_by)} "
                      f"at {d.decided_at:%Y-%m-%d %H:%M}" + (f": {escape(d.note)}" if d.note else ""))
    return 0


def _review_resolve(args: argparse.Namespace, console: Console) -> int:
    corrections = {}
    for item in args.correct or ():
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise InvalidDecision(f"a correction is FIELD=VALUE, not {item.split('=')[0]!r}...")
        corrections[name.strip()] = value.strip()
    with ResultStore(args.db) as store:
        decision = store.decide(args.card_id, decided_by=args.by or getpass.getuser(),
                                action="accept" if args.accept else "correct", corrections=corrections,
                                note=args.note)
    console.print(f"decision {decision.id} recorded on result {decision.result_id} of card {escape(args.card_id)}")
    return 0


def _eval(args: argparse.Namespace, console: Console) -> int:
    outcomes = _run(args.directory, args.workers, console, args.out)
    report = evaluate(outcomes, args.directory)
    if args.show_cards:
        _show_outcomes(outcomes, console)
    print_report(report, console)
    if args.json:
        args.json.write_text(json.dumps(report.as_dict(), indent=2) + "\n", encoding="utf-8")
    return 0


def _show_outcomes(outcomes: list, console: Console) -> None:
    table = Table(title="Cards")
    for column in ("case", "payer", "member ID", "group", "portal", "review", "flags"):
        table.add_column(column)
    for o in sorted(outcomes, key=lambda o: o.case):
        if isinstance(o, CardFailure):
            table.add_row(o.case, f"[red]{o.error}[/]", "", "", "", "", o.message)
            continue
        member, group = o.fields.get("member_id"), o.fields.get("group_number")
        table.add_row(o.case, o.payer.id, member.value if member else "-", group.value if group else "-",
                      group.portal_value if group else "XXXXXX", "yes" if o.needs_review else "no",
                      ", ".join(f.code for f in o.flags if f.severity != Severity.INFO))
    console.print(table)


def print_report(report: Report, console: Console) -> None:
    data = report.as_dict()
    _print_slices(console, "Accuracy (% of cards)", ("cards", "payer", "member ID", "group", "whole card", "failed"),
                  ("cards", "payer", "member_id", "group_number", "whole_card", "failed"),
                  [("overall", {"": data["overall"]}), ("difficulty", data["by_difficulty"]),
                   ("payer", data["by_payer"])])
    if data["locate"]["sides"]:
        _print_slices(console, "Finding and straightening the card (% of card sides)",
                      ("sides", "outline found", "card region", "upright", "straightened"),
                      ("sides", "outlined", "region", "upright", "straightened"),
                      [("overall", {"": data["locate"]}), ("difficulty", data["locate_by_difficulty"]),
                       ("capture", data["locate_by_capture"])])
        console.print("card region: the region read overlaps the card's true outline by IoU >= 0.9 (an outline, "
                      "or the whole image when the photo is a tight crop); straightened: that, and turned upright")
    overall = {"typed_mistakes": data["typed_mistakes"], "caught": data["typed_mistakes_caught"],
               "correct_forms": data["correct_forms"], "flagged": data["correct_forms_flagged"]}
    _print_slices(console, "Review decisions", ("typed mistakes", "caught", "correct forms", "sent to review"),
                  ("typed_mistakes", "caught", "correct_forms", "flagged"),
                  [("overall", {"": overall}), ("difficulty", data["review_by_difficulty"])])
    if data["requiring_flags"]:
        console.print(f"Flags the payer's policy requires (e.g. a missing back photo), raised: "
                      f"{_pct(data['required_flags_raised'])} of {data['requiring_flags']} uploads; they are "
                      "not counted as sending a correct form to review")
    if data["listing_dependents"]:
        console.print(f"Dependents read (all, with suffixes): {_pct(data['dependents_read'])} of "
                      f"{data['listing_dependents']} cards that list them")
    console.print(f"Seconds per card: median {data['seconds_per_card_median']}, p90 {data['seconds_per_card_p90']}")


def _print_slices(console: Console, title: str, headers: tuple[str, ...], keys: tuple[str, ...],
                  sections: list[tuple[str, dict[str, dict]]]) -> None:
    """One table of report slices: a section per grouping (overall, by difficulty, ...), a row per slice;
    counts as integers, shares as percentages."""
    table = Table(title=title)
    table.add_column("slice", justify="left")
    for header in headers:
        table.add_column(header, justify="right")
    for index, (group, slices) in enumerate(sections):
        if index:
            table.add_section()
        for name, cells in slices.items():
            table.add_row(f"{group}: {name}" if name else group,
                          *(str(cells[k]) if isinstance(cells[k], int) else
                            "-" if cells[k] is None else f"{cells[k]:.1f}" for k in keys))
    console.print(table)


def _pct(value: Optional[float]) -> str:
    return "n/a" if value is None else f"{value:.1f}%"


if __name__ == "__main__":
    sys.exit(main())
