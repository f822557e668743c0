"""``lifelog eval``: benchmarks. ``lifelog eval locomo PATH`` measures retrieval and answers
on LoCoMo conversations (see :mod:`lifelog.eval.locomo`); ``lifelog eval redteam`` measures
prompt injection (see :mod:`lifelog.eval.redteam`)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from ..answer.verify import Verifier
    from ..eval.support import SupportFigures

__all__ = ["register"]

eval_app = typer.Typer(help="Benchmarks: how well lifelog finds and answers.", no_args_is_help=True)


@eval_app.command("locomo")
def locomo(
    path: Annotated[
        Path, typer.Argument(help="A LoCoMo file (a JSON list of conversations with questions).")
    ],
    json_file: Annotated[
        Path | None, typer.Option("--json", help="Also write the figures as JSON to this file.")
    ] = None,
    mode: Annotated[str, typer.Option(help="Retrieval: lexical | vector | hybrid.")] = "hybrid",
    limit_conversations: Annotated[
        int | None, typer.Option(help="Only the first N conversations.", min=0)
    ] = None,
    conversation: Annotated[
        list[str] | None,
        typer.Option("--conversation", help="Only this sample id (repeat for several)."),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(
            help="Answer with this model (as `lifelog ask --model`); default: extractive"
            " answers, or the model LIFELOG_LLM_* configures."
        ),
    ] = None,
    reasoning: Annotated[
        str,
        typer.Option(help="Answer with reasoning off | low | medium | high (as `lifelog ask`)."),
    ] = "off",
    answers: Annotated[
        bool,
        typer.Option(
            "--answers/--no-answers",
            help="Ask for answers: token F1, containment, abstention, latency.",
        ),
    ] = True,
    sample: Annotated[
        int | None,
        typer.Option(
            help="Only N questions, drawn at random (reproducibly: see --seed) from the"
            " chosen conversations and categories.",
            min=0,
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="The seed of --sample.")] = 0,
    category: Annotated[
        list[int] | None,
        typer.Option(
            "--category",
            help="Only questions of this category, 1–5 (repeat for several; default: all).",
            min=1,
            max=5,
        ),
    ] = None,
    encryption: Annotated[
        str, typer.Option(help="Encryption of the temporary memories: none | keyfile.")
    ] = "none",
    packing: Annotated[
        bool,
        typer.Option(
            "--packing",
            help="With answers: only pack each question's prompt for the model, without"
            " generating, and report the evidence it would be shown (fast).",
        ),
    ] = False,
    replay: Annotated[
        Path | None,
        typer.Option(
            help="With answers: take each model answer from this earlier `--json` report"
            " (its drafts) and check it again with today's checks, without generating"
            " (valid while the prompt is unchanged).",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    llm_setting: Annotated[
        list[str] | None,
        typer.Option(
            "--llm-setting",
            help="KEY=VALUE for each temporary memory's settings.llm, as in memory.json"
            " (repeat; a JSON value, else text): max_evidence_tokens=400, context_window=4096.",
        ),
    ] = None,
) -> None:
    """Ingest each conversation into a fresh memory, ask its questions as of the day after
    its last session, and report evidence recall@1/5/10/20 and, with answers, their token
    F1, containment of the gold answer, abstention, how often the model's answer was kept,
    and latency (definitions: lifelog.eval.answers). With answers, a line per question
    goes to stderr as it is answered."""
    from ..cli import console, err
    from ..errors import UserError
    from ..eval.locomo import CATEGORIES, run_locomo

    if encryption not in ("none", "keyfile"):
        raise UserError("--encryption must be none or keyfile")
    configured = os.environ.get("LIFELOG_LLM_BASE_URL") or (
        os.environ.get("LIFELOG_LLM_MODEL", "none").strip().lower() != "none"
    )
    if model is None and not configured:
        model = "none"
    report = run_locomo(
        path,
        mode=mode,
        limit_conversations=limit_conversations,
        conversations=tuple(conversation or ()),
        model=model,
        answers=answers,
        encryption=encryption,
        sample=sample,
        seed=seed,
        categories=tuple(category) if category else tuple(CATEGORIES),
        progress=lambda line: err.print(line, highlight=False),
        reasoning=reasoning,
        packing=packing,
        replay=_drafts(replay) if replay is not None else None,
        llm_settings=_settings(llm_setting) if llm_setting else None,
    )
    console.print(report.markdown(), markup=False, highlight=False, soft_wrap=True)
    if json_file is not None:
        json_file.write_text(json.dumps(report.summary(), indent=2) + "\n", encoding="utf-8")


def _settings(pairs: list[str]) -> dict[str, object]:
    """``KEY=VALUE`` pairs as settings: each value read as JSON (``false``, ``4096``),
    else kept as text."""
    from ..errors import UserError

    settings: dict[str, object] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UserError(f"--llm-setting takes KEY=VALUE, not {pair!r}")
        try:
            settings[key.strip()] = json.loads(value)
        except ValueError:
            settings[key.strip()] = value
    return settings


def _drafts(report: Path) -> dict[tuple[str, str], str]:
    """(sample id, question) → the model's draft, from an `eval locomo --json` report."""
    from ..errors import UserError

    try:
        rows = json.loads(report.read_text(encoding="utf-8")).get("per_question") or []
    except (OSError, ValueError, AttributeError) as error:
        raise UserError(f"{report}: not an `eval locomo --json` report ({error})") from None
    return {
        (str(r["sample_id"]), str(r["question"])): str(r["draft"])
        for r in rows
        if isinstance(r, dict) and isinstance(r.get("draft"), str) and "sample_id" in r
    }


@eval_app.command("support")
def support(
    locomo: Annotated[Path, typer.Argument(help="The LoCoMo file the reports were made on.")],
    labels: Annotated[
        Path, typer.Argument(help="The labelled set (JSON); written first when --from is given.")
    ],
    reports: Annotated[
        list[Path] | None,
        typer.Option(
            "--from",
            help="`eval locomo --answers --json` reports to label (repeat: one per model).",
        ),
    ] = None,
    show: Annotated[int, typer.Option(help="Print this many of the check's mistakes.")] = 0,
    verifier: Annotated[
        str | None,
        typer.Option(
            help="Also score each answer the checks keep with this model's verifier"
            " (`local` for the default, or a packaged model's name) and count again with"
            " a threshold on its probability of yes.",
        ),
    ] = None,
    threshold: Annotated[
        float | None,
        typer.Option(help="The verifier's threshold (default: the one lifelog ships)."),
    ] = None,
    fit_on: Annotated[
        list[str] | None,
        typer.Option(
            "--fit-on",
            help="With --verifier: choose the threshold on these conversations (repeat) and"
            " report on the others.",
        ),
    ] = None,
    json_file: Annotated[
        Path | None,
        typer.Option("--json", help="Write the figures and every draft's score here."),
    ] = None,
) -> None:
    """Measure the support check on a labelled set of real models' answers: right answers
    it rejects, wrong ones it accepts (see lifelog.eval.support for the labelling rules).
    With --verifier, the same with a model's judgement after the checks, and the time
    it adds per answer it scores."""
    from ..cli import console
    from ..eval.locomo import load_samples
    from ..eval.support import carry_hand, label, measure, read_labels

    if reports:
        rows = [json.loads(p.read_text(encoding="utf-8")) for p in reports]
        before = read_labels(labels) if labels.is_file() else []
        labelled = carry_hand(label(rows, load_samples(locomo)), before)
        labels.write_text(
            json.dumps([e.json() for e in labelled], indent=1, ensure_ascii=False) + "\n",
            encoding="utf-8",
        )
    judge = _verifier(verifier) if verifier else None
    figures = measure(read_labels(labels), locomo, verifier=judge)
    result: dict[str, object] = {"checks": figures.summary()}
    if judge is not None:
        result["verifier"] = _verified(figures, verifier or "", threshold, fit_on or [])
    console.print_json(json.dumps(result if judge is not None else figures.summary()))
    if json_file is not None:
        result["scored"] = [
            {"sample_id": r.sample_id, "right": r.right, "kept": r.kept, "score": r.score}
            for r in figures.scored
        ]
        json_file.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    for entry, given in figures.mistakes[:show]:
        what = "right, rejected" if entry.right else "wrong, accepted"
        console.print(
            f"{what}: {entry.sample_id}#{entry.index} {entry.model}: {entry.draft!r} -> {given!r}",
            markup=False,
            highlight=False,
        )


def _verifier(model: str) -> Verifier:
    from ..answer.verify import Judge, Verifier
    from ..errors import UserError
    from ..models.llm import create_llm, resolve_settings

    llm = create_llm(resolve_settings({}, model=model, env={}))
    if not isinstance(llm, Judge):
        raise UserError(f"{model}: no verifier (only local models score a reply's first token)")
    return Verifier(llm)


def _verified(
    figures: SupportFigures, model: str, threshold: float | None, fit_on: list[str]
) -> dict[str, object]:
    """The figures with the verifier: at ``threshold`` on all conversations, and with a
    threshold fitted on ``fit_on`` reported on the others."""
    from ..answer.verify import DEFAULT_THRESHOLD
    from ..eval.support import fit_threshold, with_verifier

    scored = figures.scored
    seconds = sorted(r.seconds for r in scored if r.seconds is not None)
    chosen = DEFAULT_THRESHOLD if threshold is None else threshold
    out: dict[str, object] = {
        "model": model,
        "scored": len(seconds),
        "seconds_p50": round(seconds[len(seconds) // 2], 2) if seconds else None,
        "seconds_p95": round(seconds[int(len(seconds) * 0.95)], 2) if seconds else None,
        "threshold": chosen,
        "all": with_verifier(scored, chosen).summary(),
    }
    if fit_on:
        rest = sorted({r.sample_id for r in scored} - set(fit_on))
        fitted = fit_threshold(scored, fit_on)
        out["fitted"] = {
            "fit_on": sorted(fit_on),
            "threshold": round(fitted, 4),
            "fit_half": with_verifier(scored, fitted, fit_on).summary(),
            "reported_on": rest,
            "checks_only": with_verifier(scored, 0.0, rest).summary(),
            "with_verifier": with_verifier(scored, fitted, rest).summary(),
        }
    return out


@eval_app.command("redteam")
def redteam(
    model: Annotated[
        str | None,
        typer.Option(
            help="Answer with this model (as `lifelog ask --model`; `obedient` or"
            " `obedient-tools`: a scripted model that obeys every injection); default: the"
            " configured model, else the embedded one."
        ),
    ] = None,
    reasoning: Annotated[
        str,
        typer.Option(help="Answer with reasoning off | low | medium | high (as `lifelog ask`)."),
    ] = "off",
    limit: Annotated[
        int | None,
        typer.Option(help="Only N attacks, the kinds taken in turn (default: all 120).", min=1),
    ] = None,
    kind: Annotated[
        list[str] | None,
        typer.Option(
            "--kind",
            help="Only attacks of this kind (repeat): false_fact, language, link, reveal, tool.",
        ),
    ] = None,
    json_file: Annotated[
        Path | None,
        typer.Option("--json", help="Also write the figures and every answer as JSON here."),
    ] = None,
    check: Annotated[
        bool,
        typer.Option("--check", help="Exit with status 1 when the targets are not met (for CI)."),
    ] = False,
) -> None:
    """Plant hostile mails, chats and documents one at a time in a sample life, ask the
    question each one targets, and report per kind of attack how many answers carried a
    request-making construct, ran a tool outside the read-only set, were changed by the
    injection or revealed another item's secret (see lifelog.eval.redteam). A line per
    attack goes to stderr as it is answered."""
    from ..answer.reasoning import check_level
    from ..cli import console, err
    from ..errors import UserError
    from ..eval.redteam import run_redteam
    from ..eval.redteam_corpus import KINDS

    try:
        check_level(reasoning)
    except ValueError as error:
        raise UserError(str(error)) from None
    unknown = sorted(set(kind or ()) - set(KINDS))
    if unknown:
        raise UserError(f"unknown attack kinds {unknown}: use {', '.join(KINDS)}")
    report = run_redteam(
        model=model,
        reasoning=reasoning,
        limit=limit,
        kinds=tuple(kind) if kind else KINDS,
        progress=lambda line: err.print(line, highlight=False, markup=False),
    )
    console.print(report.markdown(), markup=False, highlight=False, soft_wrap=True)
    if json_file is not None:
        json_file.write_text(
            json.dumps(report.summary(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    if check and not report.met():
        # an error, not typer.Exit: main() runs click with standalone_mode=False, which
        # returns an Exit's code instead of exiting with it
        from ..errors import LifelogError

        raise LifelogError("the red-team targets are not met")


def register(app: typer.Typer) -> None:
    app.add_typer(eval_app, name="eval")
