"""The demo's analysis-bubble step: a job developed on dummy data, submitted, checked, reviewed."""

from __future__ import annotations

import tempfile
from pathlib import Path

JOB = """\
import matplotlib.pyplot as plt
from bulle.job import read, crosstab, output_figure

df = read("patients")
adults = df[df["diagnostic"] != "O80"]  # childbirth: no man in that cell
crosstab(adults["sexe"], adults["diagnostic"].str[0], name="sexe_par_chapitre")
crosstab(df["code_postal"], df["sexe"], name="code_postal_par_sexe")
df["diagnostic"].value_counts().plot.bar()
plt.savefig("/tmp/diagnostics.png")
output_figure("diagnostics", "/tmp/diagnostics.png")
print(len(df), "patients visibles")
"""


def step_bubble(ws, out) -> None:
    from bulle.domain.actor import Actor, Role
    from bulle.errors import BulleError
    from bulle.services import job_outputs as outputs
    from bulle.services.jobs import submit_job
    from bulle.workspace import Workspace

    out.rule("5. The analysis bubble: code goes to the data, checked results come out")
    folder = Path(tempfile.mkdtemp(prefix="bulle-demo-job-"))
    (folder / "job.py").write_text(JOB)
    bob = Workspace.open(ws.root, Actor("bob", Role.ANALYST))
    try:
        try:
            dummy = submit_job(bob, "etude-diabete", folder / "job.py", dummy=True)
        except BulleError as exc:
            out.print(f"[yellow]No sandbox on this machine[/] ({exc.message}): `make sandbox`.\n")
            return
        out.print(
            f"bob runs job.py on [bold]dummy data[/] (the project's schema, no real rare value): "
            f"{dummy.state.value}"
        )
        job = submit_job(bob, "etude-diabete", folder / "job.py")
        out.print(
            f"bob submits it for real: job {job.id} {job.state.value} in the sandbox "
            f"({job.usage['wall_seconds']:.1f} s, no network, read-only view of {', '.join(job.versions)})"
        )
        for o in outputs.list_outputs(bob, job.id):
            failed = [c["rule"] for c in o.checks if c["outcome"] != "pass"]
            out.print(f"  output [bold]{o.name}[/] ({o.kind}): {o.status.value} {' '.join(failed)}")
    finally:
        bob.close()
    carol = Workspace.open(ws.root, Actor("carol", Role.CHECKER))
    dave = Workspace.open(ws.root, Actor("dave", Role.CHECKER))
    try:
        outputs.review_output(
            carol, job.id, "sexe_par_chapitre", approve=True, comment="cells >= 10"
        )
        done = outputs.review_output(
            dave, job.id, "sexe_par_chapitre", approve=True, comment="agreed"
        )
        out.print(
            f"checkers carol and dave approve sexe_par_chapitre: [green]{done.status.value}[/]"
        )
        rejected = outputs.review_output(
            carol,
            job.id,
            "diagnostics",
            approve=False,
            comment="publish the table behind the figure",
        )
        out.print(
            f"carol rejects the figure with no table behind it: [red]{rejected.status.value}[/]"
        )
    finally:
        carol.close()
        dave.close()
    bob = Workspace.open(ws.root, Actor("bob", Role.ANALYST))
    try:
        try:
            outputs.download_output(bob, job.id, "code_postal_par_sexe", folder / "out")
        except BulleError as exc:
            out.print(f"bob downloads the blocked table: [red]refused[/] ({exc.message})")
        got = outputs.download_output(bob, job.id, "sexe_par_chapitre", folder / "out")
        out.print(f"bob downloads the released table: {got.to} (checksums verified)\n")
    finally:
        bob.close()
