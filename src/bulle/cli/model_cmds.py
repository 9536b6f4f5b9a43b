"""``bulle model``: train a model that can forget, forget people, verify, audit, use, export."""

from __future__ import annotations

import click

from bulle.cli.common import RegistryChoice, console, emit, json_option, workspace_from
from bulle.outputs import HTML, OutputFile


@click.group("model")
def model() -> None:
    """Models trained for a project (SISA: forgetting a person retrains one shard)."""


@model.command("train")
@click.option("--project", required=True, help="The project the model is trained for.")
@click.option("--dataset", required=True, help="NAME (the project's bound version) or NAME@N.")
@click.option("--target", required=True, help="The binary column to predict.")
@click.option("--feature", "features", multiple=True, help="A feature column (default: all).")
@click.option(
    "--algorithm",
    type=RegistryChoice("bulle.learning.learners:LEARNERS"),
    default="lightgbm",
    show_default=True,
)
@click.option("--shards", type=int, default=None, help="Shards (default: setting model.shards).")
@click.option("--name", default=None, help="Model name (default: DATASET-TARGET).")
@click.option("--seed", type=int, default=None, help="Training seed (recorded in the manifest).")
@json_option
@click.pass_context
def train(ctx, project, dataset, target, features, algorithm, shards, name, seed, as_json):
    """Train a model on DATASET for PROJECT: one model per shard, probabilities averaged."""
    from bulle.services import model_training

    with workspace_from(ctx) as ws:
        extra = {} if seed is None else {"seed": seed}
        r = model_training.train(
            ws,
            project,
            dataset,
            target,
            list(features) or None,
            algorithm=algorithm,
            shards=shards,
            name=name,
            **extra,
        )

    def render(d):
        auc = "n/a" if d["auc"] is None else f"{d['auc']:.4f}"
        console().print(
            f"{d['model']}: {d['shards']} shards, {d['subjects']} people ({d['rows']} rows), "
            f"held-out AUC {auc} on {d['held_out']} people"
        )

    emit(r, as_json, render)


@model.command("forget")
@click.option("--model", "model_name", default=None, help="The model (default: every model).")
@click.option("--subject", "subjects", multiple=True, required=True, help="A subject id.")
@json_option
@click.pass_context
def forget(ctx, model_name, subjects, as_json):
    """Remove people from a model: retrain their shards, issue a signed receipt."""
    from bulle.services.forgetting import forget as run

    with workspace_from(ctx) as ws:
        done = [r.to_dict() for r in run(ws, list(subjects), model_name)]
    payload = done[0] if model_name else {"forgotten": done}

    def render(d):
        for r in d.get("forgotten", [d]):
            how = "every shard (batch touched most)" if r["full_retrain"] else r["shards_retrained"]
            console().print(f"{r['model']}: receipt {r['receipt']}, retrained {how}")

    emit(payload, as_json, render)


@model.command("verify-forget")
@click.argument("receipt")
@json_option
@click.pass_context
def verify_forget(ctx, receipt, as_json):
    """Retrain a receipt's shards from the manifest and check the bytes are identical."""
    from bulle.services.forgetting import verify_forget as run

    with workspace_from(ctx) as ws:
        r = run(ws, receipt)

    def render(d):
        verdict = "identical" if d["identical"] else "NOT identical"
        console().print(f"{d['receipt']}: {verdict}; signature valid: {d['signature_valid']}")

    emit(r, as_json, render)


@model.command("audit")
@click.argument("model_name")
@click.option("--shadows", type=int, default=16, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--sharded-shadows",
    is_flag=True,
    help="Train each shadow with the model's shard count (exact imitation, much slower) instead "
    "of as one model.",
)
@json_option
@click.pass_context
def audit(ctx, model_name, shadows, seed, sharded_shadows, as_json):
    """Membership-inference audit (LiRA) and the release decision."""
    from bulle.services.model_release import audit as run

    with workspace_from(ctx) as ws:
        r = run(
            ws, model_name, shadows=shadows, seed=seed, shadow_shards=None if sharded_shadows else 1
        )

    def render(d):
        console().print(
            f"{d['model']}: attack AUC {d['auc']:.3f}, TPR {d['tpr_at_0_1pct_fpr']:.4f} at 0.1% "
            f"FPR, {d['tpr_at_1pct_fpr']:.4f} at 1%: {'released' if d['released'] else 'BLOCKED'}"
        )
        for reason in d["reasons"]:
            console().print(f"  {reason}")

    emit(r, as_json, render)


@model.command("subject")
@click.argument("subject_id")
@json_option
@click.pass_context
def subject(ctx, subject_id, as_json):
    """Was this person's data used by each model, and their membership-audit scores (dpo)."""
    from bulle.services.model_subject import subject_models

    with workspace_from(ctx) as ws:
        r = subject_models(ws, subject_id)

    def render(d):
        for m in d["models"]:
            use = ("held out" if m["held_out"] else "trained it") if m["used"] else "not used"
            console().print(f"{m['model']}  {use}")
            for rec in (m["audit"] or {}).get("records", []):
                console().print(
                    f"  score {rec['score']:.2f}: above {100 * rec['below_non_members']:.1f}% of "
                    f"non-members, flagged at FPR {100 * rec['flag_fpr']:.2f}%"
                )
        console().print(d["how_to_read"])

    emit(r, as_json, render)


@model.command("list")
@json_option
@click.pass_context
def list_(ctx, as_json):
    """Every model with its versions."""
    from bulle.services.models import list_models

    with workspace_from(ctx) as ws:
        rows = list_models(ws)

    def render(d):
        for m in d["models"]:
            for v in m["versions"]:
                console().print(f"{v['model']}  {v['status']}  {v['algorithm']}  auc={v['auc']}")

    emit({"models": rows}, as_json, render)


@model.command("predict")
@click.argument("model_name")
@click.option("--dataset", default=None, help="Dataset of the project (default: the model's).")
@json_option
@click.pass_context
def predict(ctx, model_name, dataset, as_json):
    """Probabilities for the rows of a project dataset (project members and the custodian)."""
    from bulle.services.models import predict as run

    with workspace_from(ctx) as ws:
        r = run(ws, model_name, dataset)

    def render(d):
        console().print(f"{d['model']}: {d['rows']} predictions")
        for p in d["predictions"][:20]:
            console().print(f"{p:.4f}")

    emit(r, as_json, render)


@model.command("card")
@click.argument("model_name")
@click.option("--html", "html_out", type=OutputFile(HTML), default=None, help="Also write HTML.")
@json_option
@click.pass_context
def card(ctx, model_name, html_out, as_json):
    """The model card: data, purpose, metrics, audit, forget history (JSON; --html FILE too)."""
    from bulle.services.model_release import card as run
    from bulle.services.model_release import card_html

    with workspace_from(ctx) as ws:
        c = run(ws, model_name)
    if html_out:
        from bulle.outputs import atomic_output

        with atomic_output(html_out, HTML) as tmp:
            tmp.write_text(card_html(c), encoding="utf-8")

    def render(d):
        console().print_json(data=d)

    emit(c, as_json, render)


@model.command("export")
@click.argument("model_name")
@click.option("--output", required=True, type=click.Path(file_okay=False))
@json_option
@click.pass_context
def export(ctx, model_name, output, as_json):
    """Export a released model (LightGBM text models per shard and model.json)."""
    from bulle.services.model_release import export as run

    with workspace_from(ctx) as ws:
        r = run(ws, model_name, output)

    def render(d):
        console().print(f"{d['model']} -> {d['folder']} ({len(d['files'])} files)")

    emit(r, as_json, render)
