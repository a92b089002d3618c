"""The ``assistant`` command line: thin mirrors of library calls.

Errors from the library (``AssistantError``) become one-line messages and exit codes here and
nowhere else. Batch modes read JSON lines from stdin, report a bad line on stderr with its
number, go on with the rest, and exit 1 at the end if any line failed.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from assistant import render
from assistant.config import Settings, get_settings
from assistant.errors import AssistantError, InputError
from assistant.jsonl import line_id, read_lines, require_text

app = typer.Typer(help="窗口服务礼仪助手: the service-window etiquette assistant.", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_enable=False)  # fmt: skip
eval_app = typer.Typer(help="Measure accuracy on labelled sets in evals/.", no_args_is_help=True)
model_app = typer.Typer(help="The local embedding model.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")
app.add_typer(model_app, name="model")
out = Console(highlight=False, soft_wrap=True, width=140)
err = Console(stderr=True, highlight=False, soft_wrap=True)
F = TypeVar("F", bound=Callable[..., Any])
BATCH = 64

JsonOpt = Annotated[bool, typer.Option("--json", help="one JSON object per line on stdout")]
LexicalOpt = Annotated[bool, typer.Option("--lexical", help="skip the embedding model (faster)")]


def edge(func: F) -> F:
    """Turn library errors into a message on stderr and exit code 2."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except AssistantError as exc:
            err.print(f"[red]error:[/red] {exc}", markup=True)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def settings(lexical: bool = False) -> Settings:
    base = get_settings()
    return base.model_copy(update={"semantic": False}) if lexical else base


def emit_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def batches(fields: tuple[str, ...], optional: tuple[str, ...] = (),
            validate: Callable[[str], None] | None = None) -> Iterator[list[tuple[str, dict[str, Any]]]]:  # fmt: skip
    """Valid stdin lines in chunks of (id, {field: text}); bad lines are reported and skipped.
    ``validate`` is the library's own check of the first field (it raises ``InputError``), so a
    line the library would refuse is reported here, by number, instead of failing its chunk."""
    chunk: list[tuple[str, dict[str, Any]]] = []
    for line in read_lines(sys.stdin.buffer):
        try:
            if line.error is not None:
                raise line.error
            assert line.data is not None
            values: dict[str, Any] = {f: require_text(line.data, f, line.number) for f in fields}
            if validate is not None:
                try:
                    validate(values[fields[0]])
                except InputError as exc:
                    raise InputError(f"line {line.number}: field {fields[0]!r}: {exc}") from None
            for name in optional:
                # exports write a missing context as "", "  " or null: all mean "none given"
                value = line.data.get(name)
                if value is not None and not (isinstance(value, str) and not value.strip()):
                    values[name] = require_text(line.data, name, line.number)
            chunk.append((line_id(line.data, line.number), values))
        except InputError as exc:
            report_bad_line(exc)
        if len(chunk) >= BATCH:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


_failed: list[str] = []


def report_bad_line(exc: InputError) -> None:
    _failed.append(str(exc))
    err.print(f"[red]error:[/red] {exc}", markup=True)


def finish_batch(done: int) -> None:
    err.print(f"{done} processed, {len(_failed)} failed", style="dim")
    if _failed:
        raise typer.Exit(1)


Chunk = list[tuple[str, dict[str, Any]]]
_worker_checker: Any = None  # the checker a forked worker inherits (``check --workers``)


def json_lines(chunk: Chunk, results: list[Any]) -> str:
    return "".join(render.check_json_line(ident, r) + "\n" for (ident, _), r in zip(chunk, results, strict=True))


def check_lines(chunk: Chunk) -> str:
    """JSON lines of a chunk's results; run in a worker process, on the inherited checker."""
    return json_lines(chunk, _worker_checker.check_many([(v["text"], v.get("context")) for _, v in chunk]))


def check_in_workers(checker: Any, workers: int) -> int:
    """``check --json`` over stdin in ``workers`` forked processes, in input order; at most a
    few chunks a worker in flight, so a huge input is never held whole. Returns the lines checked."""
    import multiprocessing
    from collections import deque
    from concurrent.futures import Future, ProcessPoolExecutor

    from assistant.checker import validate_reply

    global _worker_checker
    _worker_checker = checker  # before the fork: each worker inherits it, nothing is pickled
    done = 0
    flight: deque[tuple[int, Future[str]]] = deque()

    def write_oldest() -> None:
        nonlocal done
        size, future = flight.popleft()
        sys.stdout.write(future.result())
        sys.stdout.flush()
        done += size

    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        for chunk in batches(("text",), ("context",), validate_reply):
            flight.append((len(chunk), pool.submit(check_lines, chunk)))
            if len(flight) >= 4 * workers:
                write_oldest()
        while flight:
            write_oldest()
    return done


@app.command()
@edge
def check(
    text: Annotated[str | None, typer.Option("--text", "-t", help="the reply to check")] = None,
    context: Annotated[str | None, typer.Option("--context", "-c", help="what the citizen said")] = None,
    as_json: JsonOpt = False,
    lexical: LexicalOpt = False,
    workers: Annotated[int | None, typer.Option(
        "--workers", min=1, help="processes for --lexical --json on stdin (default: one per core)")] = None,  # fmt: skip
) -> None:
    """Check staff replies for banned phrases and score their etiquette.

    With --text, one reply; otherwise JSON lines {"id", "text", "context"?} on stdin."""
    import os

    from assistant.checker import Checker, validate_reply

    if workers is not None and workers > 1 and not (lexical and as_json):
        raise InputError("--workers needs --lexical and --json: the semantic pass already runs the model on every core")
    checker = Checker.from_settings(settings(lexical))
    if text is not None:
        result = checker.check(text, context)
        emit_json(render.check_json("1", result)) if as_json else render.check_report(out, result, context)
        return
    processes = workers if workers is not None else (os.cpu_count() or 1) if lexical and as_json else 1
    if processes > 1:
        finish_batch(check_in_workers(checker, processes))
        return
    done = 0
    for chunk in batches(("text",), ("context",), validate_reply):
        results = checker.check_many([(v["text"], v.get("context")) for _, v in chunk])
        if as_json:
            sys.stdout.write(json_lines(chunk, results))
            sys.stdout.flush()
        else:
            for (ident, values), result in zip(chunk, results, strict=True):
                out.rule(f"[bold]{ident}")
                render.check_report(out, result, values.get("context"))
        done += len(chunk)
    finish_batch(done)


@app.command()
@edge
def demo() -> None:
    """Check a few sample replies and print the reports (the quick-start job)."""
    from assistant.checker import Checker

    checker = Checker.from_settings(settings())
    for reply, context in render.DEMO_REPLIES:
        out.rule(f"[bold]群众: {context}")
        render.check_report(out, checker.check(reply, context), context)


@eval_app.command("check")
@edge
def eval_check(
    file: Annotated[Path, typer.Argument(help="labelled replies, e.g. evals/check_test.jsonl")],
    as_json: JsonOpt = False,
    lexical: LexicalOpt = False,
    failures: Annotated[bool, typer.Option(help="list the cases it gets wrong")] = False,
) -> None:
    """Precision, recall and F1 of the checker (overall, per rule, per kind) vs a substring baseline."""
    from assistant import evaluation
    from assistant.checker import Checker

    cases = evaluation.load_cases(file, evaluation.CheckCase)
    if not lexical:
        _note_in_sample(file, settings().check_examples, "the stance head", "evals/tune_stance.py")
    checker = Checker.from_settings(settings(lexical))
    metrics = evaluation.evaluate_checker(checker, cases)
    baseline = evaluation.evaluate_baseline(checker.kb, cases)
    if as_json:
        emit_json({"checker": metrics, "baseline": baseline})
    else:
        render.check_metrics(out, file, metrics, baseline)
    if failures:
        for failure in evaluation.failures(checker, cases):
            err.print(json.dumps(failure, ensure_ascii=False))


@eval_app.command("pairs")
@edge
def eval_pairs(
    file: Annotated[Path, typer.Argument(help="pairs of replies, e.g. evals/pairs_test.jsonl")],
    as_json: JsonOpt = False,
    lexical: LexicalOpt = False,
) -> None:
    """Share of pairs where the etiquette score prefers the better reply."""
    from assistant import evaluation
    from assistant.checker import Checker

    pairs = evaluation.load_cases(file, evaluation.PairCase)
    metrics = evaluation.evaluate_pairs(Checker.from_settings(settings(lexical)), pairs)
    emit_json(metrics) if as_json else render.metrics_line(out, file, metrics)


@app.command()
@edge
def ask(
    question: Annotated[str | None, typer.Option("--question", "-q", help="the citizen's question")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Answer citizens' questions from the hall's rules, with sources; decline politely otherwise.

    With --question, one; otherwise JSON lines {"id", "question"} on stdin."""
    from assistant.answers import Answerer, validate_question

    answerer = Answerer.from_settings(settings())
    if question is not None:
        answer = answerer.ask(question)
        emit_json(render.answer_json("1", answer)) if as_json else render.answer_report(out, answer)
        return
    done = 0
    for chunk in batches(("question",), validate=validate_question):
        for ident, values in chunk:
            answer = answerer.ask(values["question"])
            emit_json(render.answer_json(ident, answer)) if as_json else render.answer_report(out, answer)
        done += len(chunk)
    finish_batch(done)


@app.command()
@edge
def search(
    query: Annotated[str, typer.Argument(help="what to look for")],
    k: Annotated[int, typer.Option("--k", min=1, max=100, help="how many passages")] = 5,
    mode: Annotated[str, typer.Option(help="hybrid, lexical or dense")] = "hybrid",
    as_json: JsonOpt = False,
) -> None:
    """Show the raw ranked passages with their scores (for trainers checking the index)."""
    from assistant.answers import Answerer

    if mode not in ("hybrid", "lexical", "dense"):
        raise InputError(f"--mode must be hybrid, lexical or dense, not {mode!r}")
    hits = Answerer.from_settings(settings()).retriever.search(query, k=k, mode=mode)  # type: ignore[arg-type]
    if as_json:
        emit_json([render.hit_json(h) for h in hits])
    else:
        render.hits_table(out, query, hits)


@app.command()
@edge
def ingest(
    files: Annotated[list[Path], typer.Argument(help=".txt, .md or .docx files (UTF-8)")],
    collection: Annotated[str, typer.Option("--collection", help="name of the collection")] = "hall",
) -> None:
    """Add a hall's own documents to a collection; re-ingesting a file replaces it."""
    from assistant.ingest import ingest as run

    report = run(files, collection, get_settings().data_dir)
    for name, count in report.added.items():
        verb = "replaced" if name in report.replaced else "added"
        out.print(f"{verb} {name}: {count} clauses")
    out.print(f"collection {report.collection}: {report.total_clauses} clauses in all; the index rebuilds on next use")


@app.command()
@edge
def scenarios(as_json: JsonOpt = False) -> None:
    """List the drill scenarios."""
    from assistant.scenarios import load_library

    library = load_library(get_settings().dialogs_dir)
    rows = [{"id": s.id, "title": s.title, "persona": f"{s.persona.name}, {s.persona.age}岁, {s.persona.mood}",
             "difficulty": s.difficulty} for s in library.scenarios]  # fmt: skip
    if as_json:
        emit_json(rows)
    else:
        render.scenarios_table(out, rows)


@app.command()
@edge
def drill(
    scenario: Annotated[str, typer.Argument(help="scenario id (see `assistant scenarios`)")],
    replies: Annotated[Path | None, typer.Option("--replies", help="one trainee reply per line")] = None,
    seed: Annotated[int, typer.Option(help="same seed and replies → same drill")] = 0,
    as_json: JsonOpt = False,
) -> None:
    """Role-play with a simulated citizen: interactive, or scripted with --replies."""
    from assistant.drill import Drill, read_replies

    lines = read_replies(replies) if replies is not None else None
    trainer = Drill.from_settings(settings())
    if lines is None:
        render.interactive_drill(out, trainer, scenario, seed)
        return
    state, ignored = trainer.run(scenario, lines, seed)
    if ignored:
        err.print(f"the drill ended ({state.outcome}) after {len(state.turns)} replies; {ignored} later replies ignored")
    card = trainer.scorecard(state)
    emit_json(render.drill_json(state, card, ignored)) if as_json else render.drill_report(out, state, card)


def _note_in_sample(file: Path, trained_on: Path | None, what: str, script: str) -> None:
    if trained_on is not None and trained_on.resolve() == file.resolve():
        err.print(f"note: {what} learns from {file}, so its figures are in-sample ({script} cross-validates)")


@eval_app.command("ask")
@edge
def eval_ask(
    file: Annotated[Path, typer.Argument(help="questions, e.g. evals/ask_test.jsonl")],
    as_json: JsonOpt = False,
) -> None:
    """hit@1, hit@3, MRR for lexical, dense and hybrid retrieval, and decline rates."""
    from assistant import evaluation
    from assistant.answers import Answerer

    cases = evaluation.load_cases(file, evaluation.AskCase)
    _note_in_sample(file, settings().ask_examples, "the answer-or-decline head", "evals/tune_ask.py")
    metrics = evaluation.evaluate_ask(Answerer.from_settings(settings()), cases)
    emit_json(metrics) if as_json else render.metrics_line(out, file, metrics)


@eval_app.command("behaviours")
@edge
def eval_behaviours(
    file: Annotated[Path, typer.Argument(help="labelled replies, e.g. evals/behaviours_test.jsonl")],
    as_json: JsonOpt = False,
) -> None:
    """Precision and recall of behaviour recognition: cues, the learned head, combined."""
    from assistant import evaluation
    from assistant.drill import Drill

    cases = evaluation.load_cases(file, evaluation.BehaviourCase)
    _note_in_sample(file, settings().behaviour_examples, "the behaviour head", "evals/tune_behaviours.py")
    metrics = evaluation.evaluate_behaviours(Drill.from_settings(settings()).recogniser, cases)
    emit_json(metrics) if as_json else render.metrics_line(out, file, metrics)


@model_app.command("ensure")
@edge
def model_ensure() -> None:
    """Convert the bundled multilingual-e5-small into the cache (once), export it to ONNX for
    the default engine (once), and say where they are."""
    from assistant.convert import ensure_converted, ensure_onnx

    s = get_settings()
    if s.model_path is not None:
        err.print(f"using the configured model folder {s.model_path}")
    elif s.embedder != "fake":
        err.print(f"model ready: {ensure_converted(s.model_dir, layers=s.model_layers)}")
    if s.embedder == "onnx":
        err.print(f"ONNX export ready: {ensure_onnx(s.model_dir, s.cache_dir)}")


def main() -> None:
    app()
