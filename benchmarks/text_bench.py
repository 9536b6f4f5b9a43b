"""Throughput and quality of Bulle's French text detector next to Presidio's default French set-up.

Presidio's default French set-up: its analyzer with spaCy ``fr_core_news_md`` (NER and the whole
pipeline) and its predefined generic recognizers, configured for ``fr``, run document by
document as its API does. Bulle: ``bulle.text.service.detect`` on all cores (2 by default).

Each tool runs as a whole process of its own, one after the other and alternating (``--repeat``
rounds, medians printed), on the same corpus: the development gold set's texts, repeated until
the corpus reaches ``--chars`` characters. For each, the script prints the whole process's wall
time (model loading included), the detection's wall time and CPU time (all processes), and the
load average before it started: a wall-clock rate measured while other work runs on the machine
says more about the machine than about the tool, so compare rates per CPU second when the load
average is above zero. Quality is measured on the gold set itself (one copy), with
``bulle.text.evaluation``.

    .venv/bin/python benchmarks/text_bench.py [--chars 400000] [--processes 2] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "tests" / "fixtures" / "text" / "dev_gold.jsonl"
PRESIDIO_TO_BULLE = {
    "PERSON": "PERSON",
    "LOCATION": "LOCATION",
    "ORGANIZATION": "ORGANIZATION",
    "EMAIL_ADDRESS": "EMAIL",
    "PHONE_NUMBER": "PHONE",
    "IBAN_CODE": "IBAN",
    "CREDIT_CARD": "CREDIT_CARD",
    "IP_ADDRESS": "IP_ADDRESS",
    "URL": "URL",
    "DATE_TIME": "DATE",
}


def presidio_default_fr():
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    nlp_engine = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": "fr", "model_name": "fr_core_news_md"}],
        }
    ).create_engine()
    registry = RecognizerRegistry(supported_languages=["fr"])
    registry.load_predefined_recognizers(languages=["fr"], nlp_engine=nlp_engine)
    return AnalyzerEngine(nlp_engine=nlp_engine, registry=registry, supported_languages=["fr"])


def presidio_detect(analyzer, texts):
    out = []
    for t in texts:
        res = analyzer.analyze(t, language="fr")
        out.append(
            [
                (r.start, r.end, PRESIDIO_TO_BULLE[r.entity_type])
                for r in res
                if r.entity_type in PRESIDIO_TO_BULLE
            ]
        )
    return out


def cpu_seconds(pids) -> float:
    """CPU time (user + system) used so far by these processes (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def score(records, predictions) -> dict:
    from bulle.text.evaluation import evaluate_files

    with tempfile.TemporaryDirectory() as d:
        pred = Path(d) / "pred.jsonl"
        with pred.open("w", encoding="utf-8") as f:
            for r, ents in zip(records, predictions, strict=True):
                f.write(
                    json.dumps(
                        {
                            "id": r["id"],
                            "text": r["text"],
                            "entities": [
                                {"start": s, "end": e, "label": lab} for s, e, lab in ents
                            ],
                        },
                        ensure_ascii=False,
                    )
                    + "\n"
                )
        return evaluate_files(GOLD, pred)


def corpus_of(chars: int) -> list[str]:
    texts = [
        json.loads(line)["text"] for line in GOLD.read_text(encoding="utf-8").splitlines() if line
    ]
    corpus: list[str] = []
    while sum(map(len, corpus)) < chars:
        corpus.extend(texts)
    return corpus


def worker(tool: str, chars: int, processes: int, model: str) -> dict:
    """One tool, in this process: load, warm up, detect over the corpus, score on the gold set."""
    records = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line]
    texts = [r["text"] for r in records]
    corpus = corpus_of(chars)
    if tool == "presidio":
        presidio = presidio_default_fr()
        presidio.analyze("Bonjour M. Dupont.", language="fr")
        pids = [os.getpid()]
        t, c = time.perf_counter(), cpu_seconds(pids)
        presidio_detect(presidio, corpus)
        wall, cpu = time.perf_counter() - t, cpu_seconds(pids) - c
        quality = score(records, presidio_detect(presidio, texts))
    else:
        from bulle.text.analyzer import get_detector
        from bulle.text.config import DetectorConfig
        from bulle.text.parallel import _pools, warm_up
        from bulle.text.service import detect

        config = DetectorConfig(model=model)
        warm_up(config, processes)  # the workers, for inputs large enough to use them
        next(get_detector(config).detect(["Bonjour M. Dupont."]))  # this process, for small ones
        pids = [os.getpid()] + [p.pid for pool in _pools.values() for p in pool._processes.values()]
        t, c = time.perf_counter(), cpu_seconds(pids)
        detect(corpus, config, n_process=processes)
        wall, cpu = time.perf_counter() - t, cpu_seconds(pids) - c
        pred = detect(texts, config, n_process=1)
        quality = score(records, [[(e.start, e.end, e.label) for e in ents] for ents in pred])
    return {
        "chars": sum(map(len, corpus)),
        "documents": len(corpus),
        "wall": wall,
        "cpu": cpu,
        "quality": quality,
    }


def run_worker(tool: str, args) -> dict:
    """The tool as a whole process: its own figures plus the whole process's wall time."""
    load = os.getloadavg()[0]
    t = time.perf_counter()
    p = subprocess.run(
        [
            sys.executable,
            __file__,
            "--worker",
            tool,
            "--chars",
            str(args.chars),
            "--processes",
            str(args.processes),
            "--model",
            args.model,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    whole = time.perf_counter() - t
    if p.returncode != 0:
        sys.exit(f"{tool} failed:\n{p.stderr[-2000:]}")
    out = json.loads(p.stdout.strip().splitlines()[-1])
    return {**out, "whole": whole, "load": load}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--chars", type=int, default=400_000, help="corpus size in characters")
    ap.add_argument("--processes", type=int, default=2)
    ap.add_argument("--model", default="fr_core_news_md")
    ap.add_argument("--repeat", type=int, default=3, help="alternating rounds (medians printed)")
    ap.add_argument("--worker", choices=["presidio", "bulle"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.chars, args.processes, args.model)))
        return

    runs: dict[str, list[dict]] = {"presidio": [], "bulle": []}
    for _ in range(args.repeat):
        for tool in ("presidio", "bulle"):
            runs[tool].append(run_worker(tool, args))

    def med(tool: str, key: str) -> float:
        return statistics.median(r[key] for r in runs[tool])

    n_chars = runs["bulle"][0]["chars"]
    print(
        f"corpus: {runs['bulle'][0]['documents']} documents, {n_chars:,} characters "
        f"(dev gold set repeated); {args.repeat} alternating round(s), medians"
    )
    print(
        f"{'':38}{'chars/s':>10}{'detect s':>9}{'CPU s':>8}{'chars/CPU-s':>13}{'process s':>10}"
        f"{'load':>6}"
    )
    label = {
        "presidio": "Presidio default fr (1 process)",
        "bulle": f"Bulle ({args.processes} processes, {args.model})",
    }
    for tool in ("presidio", "bulle"):
        wall, cpu = med(tool, "wall"), med(tool, "cpu")
        print(
            f"{label[tool]:38}{n_chars / wall:>10,.0f}{wall:>9.1f}{cpu:>8.1f}{n_chars / cpu:>13,.0f}"
            f"{med(tool, 'whole'):>10.1f}{med(tool, 'load'):>6.1f}"
        )
    p_wall, b_wall = med("presidio", "wall"), med("bulle", "wall")
    print(
        f"speed-up, detection wall clock: {p_wall / b_wall:.2f}x; per CPU second: "
        f"{med('presidio', 'cpu') / med('bulle', 'cpu'):.2f}x; whole processes: "
        f"{med('presidio', 'whole') / med('bulle', 'whole'):.2f}x"
    )
    print(f"({os.cpu_count()} cores; wall-clock gains from several processes need idle cores)")
    presidio_quality, bulle_quality = runs["presidio"][0]["quality"], runs["bulle"][0]["quality"]
    print()
    print("quality on the dev gold set (character overlap):")
    print(f"{'label':14}{'Presidio P':>11}{'R':>7}{'F1':>7}   {'Bulle P':>8}{'R':>7}{'F1':>7}")
    for lab in sorted(bulle_quality["overlap"]["per_label"]):
        row = []
        for q in (presidio_quality, bulle_quality):
            m = q["overlap"]["per_label"].get(lab, {})
            row += [m.get("precision"), m.get("recall"), m.get("f1")]
        cells = ["   -  " if x is None else f"{x:6.3f}" for x in row]
        print(
            f"{lab:14}{cells[0]:>11}{cells[1]:>7}{cells[2]:>7}   {cells[3]:>8}{cells[4]:>7}{cells[5]:>7}"
        )
    for name, q in (("Presidio", presidio_quality), ("Bulle", bulle_quality)):
        print(
            f"{name}: persons fully masked {q['person_fully_masked']['share']:.1%}, "
            f"redaction recall {q['redaction']['recall']:.1%}, "
            f"over-redaction {q['over_redaction']['share']:.1%}"
        )


if __name__ == "__main__":
    sys.exit(main())
