"""Privacy report of synthetic data: Bulle's three risks next to anonymeter's, same split.

anonymeter implements Giomi et al. (PETS 2023), which Bulle's attacks are written from; it cannot
be a dependency (it pins its own numeric stack, and its licence grants no patent rights), so this
script builds it a separate virtual environment under ``benchmarks/.venvs/anonymeter`` (created
and filled by pip on the first run, reused offline afterwards) and runs it there, in its own
process, on CSV copies of the very tables Bulle attacked.

    python benchmarks/synthesis_privacy_bench.py [--attacks N] [--seed S]
        [--synthetic independent copy cart ...] [--no-anonymeter] [--reuse]

Adult (``../shared/data/arx/adult.csv``) is split 80 / 20 into training and control parts. The
synthetic tables are two references whose privacy is known: ``independent`` (every column
sampled on its own from the training part: no record and no relation survives) and ``copy``
(the training part itself: the worst synthesizer there is); a synthesizer's name (``cart``,
``avatar``, ``mst``...) adds its table, fitted on the training part with the same seed. Each
figure is a risk with its 95 % interval (multivariate singling out also as the paper's
control-size curve gives it, the figure to set beside anonymeter's); seconds are wall times on this machine and CPU seconds
of Bulle's report beside them.
anonymeter takes minutes; ``--reuse`` prints its figures from an earlier run when the three CSV
files, the attacks and the column choices are byte for byte the same (said so in the output).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ADULT = HERE.parent.parent / "shared" / "data" / "arx" / "adult.csv"
VENV = HERE / ".venvs" / "anonymeter"
ANONYMETER = "anonymeter==1.1.0"
OUT = HERE / "out" / "synthesis_privacy"


def anonymeter_python() -> Path:
    """The separate environment's interpreter, created with pip on first use."""
    python = VENV / "bin" / "python"
    if not python.exists():
        print(f"creating {VENV} and installing {ANONYMETER} (first run only)", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", ANONYMETER], check=True)
    return python


def split(seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    df = pd.read_csv(ADULT, sep=";")
    order = np.random.default_rng(seed).permutation(len(df))
    cut = int(0.8 * len(df))
    return (
        df.iloc[order[:cut]].reset_index(drop=True),
        df.iloc[order[cut:]].reset_index(drop=True),
    )


def synthetic_tables(train: pd.DataFrame, which: list[str], seed: int) -> dict[str, pd.DataFrame]:
    """The reference tables, and any registered synthesizer's table fitted on the training part."""
    rng = np.random.default_rng(seed + 1)
    out: dict[str, pd.DataFrame] = {}
    for name in which:
        if name == "independent":
            out[name] = pd.DataFrame(
                {c: rng.choice(train[c].to_numpy(), len(train)) for c in train.columns}
            )
        elif name == "copy":
            out[name] = train.copy()
        else:
            from bulle.synthesis.base import make

            out[name] = make(name).fit(train, seed).sample(len(train), seed)
    return out


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def cached(out: Path, name: str, spec: dict) -> dict:
    """anonymeter's figures of an earlier run on byte-identical inputs and settings, if any."""
    path = out / f"{name}.anonymeter.json"
    if not path.exists():
        return {}
    saved = json.loads(path.read_text())
    if saved.get("spec") != spec:
        return {}
    print(f"(anonymeter figures for '{name}' reused from an earlier run on identical inputs)")
    return saved["result"]


def fmt(head: dict | None) -> str:
    if head is None:
        return "-"
    return f"{head['risk']:.3f} [{head['ci'][0]:.3f}, {head['ci'][1]:.3f}]"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--attacks", type=int, default=None, help="attacks (default: the setting)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--synthetic",
        nargs="+",
        default=["independent", "copy"],
        help="independent, copy, or a synthesizer's name (avatar, cart, mst...)",
    )
    ap.add_argument("--no-anonymeter", action="store_true")
    ap.add_argument("--out", type=Path, default=OUT, help="folder of the CSV and JSON files")
    ap.add_argument(
        "--reuse",
        action="store_true",
        help="reuse anonymeter's figures of an earlier run on byte-identical inputs",
    )
    args = ap.parse_args()
    out = args.out

    from bulle import settings
    from bulle.synthesis.privacy import ATTACKS_SETTING, privacy_report

    n = args.attacks or int(settings.default(ATTACKS_SETTING))
    train, control = split(args.seed)
    out.mkdir(parents=True, exist_ok=True)
    train.to_csv(out / "train.csv", sep=";", index=False)
    control.to_csv(out / "control.csv", sep=";", index=False)
    python = None if args.no_anonymeter else anonymeter_python()
    print(f"adult: {len(train)} training, {len(control)} control records; {n} attacks each")
    for name, synthetic in synthetic_tables(train, args.synthetic, args.seed).items():
        t, c = time.perf_counter(), time.process_time()
        report = privacy_report(
            train,
            control,
            synthetic,
            quasi_identifiers=None,
            sensitive=None,
            seed=args.seed,
            n_attacks=n,
        )
        wall, cpu = time.perf_counter() - t, time.process_time() - c
        b = report.to_dict()
        paper = privacy_report(
            train,
            control,
            synthetic,
            quasi_identifiers=None,
            sensitive=None,
            seed=args.seed,
            n_attacks=n,
            size_model="paper",
        ).to_dict()
        theirs: dict = {}
        if python is not None:
            synthetic.to_csv(out / f"{name}.csv", sep=";", index=False)
            spec = {
                "train": str(out / "train.csv"),
                "control": str(out / "control.csv"),
                "synthetic": str(out / f"{name}.csv"),
                "attacks": n,
                "seed": args.seed,
                "groups": b["linkability"]["groups"],
                "secrets": {c: v["known"] for c, v in b["inference"]["columns"].items()},
            }
            spec["digests"] = [digest(Path(spec[k])) for k in ("train", "control", "synthetic")]
            spec["anonymeter"] = ANONYMETER
            theirs = cached(out, name, spec) if args.reuse else {}
            if not theirs:
                (out / f"{name}.json").write_text(json.dumps(spec))
                t = time.perf_counter()
                done = subprocess.run(
                    [str(python), str(HERE / "anonymeter_runner.py"), str(out / f"{name}.json")],
                    check=True,
                    capture_output=True,
                    text=True,
                )
                theirs = json.loads(done.stdout)
                theirs["wall"] = time.perf_counter() - t
                (out / f"{name}.anonymeter.json").write_text(
                    json.dumps({"spec": spec, "result": theirs})
                )
        print(f"\n== synthetic: {name} ==")
        print(f"{'attack':40} {'Bulle risk [95% CI]':26} {'anonymeter risk [95% CI]':26}")
        rows = [
            (
                "singling out, univariate",
                b["singling_out"]["univariate"],
                theirs.get("singling_out_univariate"),
            ),
            (
                "singling out, multivariate",
                b["singling_out"]["multivariate"],
                theirs.get("singling_out_multivariate"),
            ),
            (
                "  the same, paper's control-size curve",
                paper["singling_out"]["multivariate"],
                theirs.get("singling_out_multivariate"),
            ),
            ("linkability", b["linkability"], theirs.get("linkability")),
        ]
        rows += [
            (f"inference {c}", v, theirs.get("inference", {}).get(c))
            for c, v in b["inference"]["columns"].items()
        ]
        for label, ours, other in rows:
            print(f"{label:40} {fmt(ours):26} {fmt(other):26}")
        if theirs:
            worst_theirs = max(theirs["inference"].values(), key=lambda h: h["risk"])
            print(f"{'inference, worst column':40} {fmt(b['inference']):26} {fmt(worst_theirs):26}")
            ours_m = b["singling_out"]["multivariate"]["success_rate"]
            paper_m = paper["singling_out"]["multivariate"]["success_rate"]
            them = theirs["singling_out_multivariate"]
            print(
                f"  multivariate singling out, success rates: training {ours_m['training']['rate']:.3f}"
                f" (anonymeter {them['training']:.3f}); control at the training size "
                f"{ours_m['control']['rate']:.3f} gamma, {paper_m['control']['rate']:.3f} paper's "
                f"curve (anonymeter {them['control']:.3f})"
            )
        print(
            f"exact copies {b['exact_copies']:.3f} (natural {b['exact_copies_natural']:.3f}); "
            f"DCR median synthetic {b['dcr']['synthetic_to_training_median']:.4f}, "
            f"control {b['dcr']['control_to_training_median']:.4f}"
        )
        line = f"seconds: Bulle {wall:.1f} (CPU {cpu:.1f})"
        if theirs:
            parts = ", ".join(f"{k} {v:.1f}" for k, v in theirs["seconds"].items())
            line += f"; anonymeter {theirs['wall']:.1f} whole process ({parts})"
        print(line)


if __name__ == "__main__":
    main()
