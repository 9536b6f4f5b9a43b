"""Throughput and quality of Bulle's French text detector next to Presidio's default French set-up.

Presidio's default French set-up: its analyzer with spaCy ``fr_core_news_md`` (NER and the whole
pipeline) and its predefined generic recognizers, configured for ``fr``, run document by
document as its API does. Bulle: ``bulle.text.service.detect`` on all cores (2 by default).
Both run in this process on the same corpus: the development gold set's texts, repeated until
the corpus reaches ``--chars`` characters. Quality is measured on the gold set itself (one copy),
with ``bulle.text.evaluation``.

    .venv/bin/python benchmarks/text_bench.py [--chars 400000] [--processes 2]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "tests" / "fixtures" / "text" / "dev_gold.jsonl"
PRESIDIO_TO_BULLE = {"PERSON": "PERSON", "LOCATION": "LOCATION", "ORGANIZATION": "ORGANIZATION",
                     "EMAIL_ADDRESS": "EMAIL", "PHONE_NUMBER": "PHONE", "IBAN_CODE": "IBAN",
                     "CREDIT_CARD": "CREDIT_CARD", "IP_ADDRESS": "IP_ADDRESS", "URL": "URL",
                     "DATE_TIME": "DATE"}


def presidio_default_fr():
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    nlp_engine = NlpEngineProvider(nlp_configuration={
        "nlp_engine_name": "spacy",
        "models": [{"lang_code": "fr", "model_name": "fr_core_news_md"}],
    }).create_engine()
    registry = RecognizerRegistry(supported_languages=["fr"])
    registry.load_predefined_recognizers(languages=["fr"], nlp_engine=nlp_engine)
    return AnalyzerEngine(nlp_engine=nlp_engine, registry=registry, supported_languages=["fr"])


def presidio_detect(analyzer, texts):
    out = []
    for t in texts:
        res = analyzer.analyze(t, language="fr")
        out.append([(r.start, r.end, PRESIDIO_TO_BULLE[r.entity_type]) for r in res
                    if r.entity_type in PRESIDIO_TO_BULLE])
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
                f.write(json.dumps({"id": r["id"], "text": r["text"], "entities": [
                    {"start": s, "end": e, "label": lab} for s, e, lab in ents]},
                    ensure_ascii=False) + "\n")
        return evaluate_files(GOLD, pred)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--chars", type=int, default=400_000, help="corpus size in characters")
    ap.add_argument("--processes", type=int, default=2)
    ap.add_argument("--model", default="fr_core_news_md")
    args = ap.parse_args()

    from bulle.text.config import DetectorConfig
    from bulle.text.parallel import _pools, warm_up
    from bulle.text.service import detect

    records = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line]
    texts = [r["text"] for r in records]
    corpus: list[str] = []
    while sum(map(len, corpus)) < args.chars:
        corpus.extend(texts)
    n_chars = sum(map(len, corpus))
    config = DetectorConfig(model=args.model)

    presidio = presidio_default_fr()
    presidio.analyze("Bonjour M. Dupont.", language="fr")
    t, c = time.perf_counter(), cpu_seconds([os.getpid()])
    presidio_detect(presidio, corpus)
    presidio_s = time.perf_counter() - t
    presidio_cpu = cpu_seconds([os.getpid()]) - c
    presidio_quality = score(records, presidio_detect(presidio, texts))

    warm_up(config, args.processes)
    pids = [os.getpid()] + [p.pid for pool in _pools.values() for p in pool._processes.values()]
    t, c = time.perf_counter(), cpu_seconds(pids)
    detect(corpus, config, n_process=args.processes)
    bulle_s = time.perf_counter() - t
    bulle_cpu = cpu_seconds(pids) - c
    bulle_pred = detect(texts, config, n_process=1)
    bulle_quality = score(records, [[(e.start, e.end, e.label) for e in ents] for ents in bulle_pred])

    p_rate, b_rate = n_chars / presidio_s, n_chars / bulle_s
    print(f"corpus: {len(corpus)} documents, {n_chars:,} characters (dev gold set repeated)")
    print(f"{'':38}{'chars/s':>10}{'wall s':>8}{'CPU s':>8}{'chars/CPU-s':>13}")
    print(f"{'Presidio default fr (1 process)':38}{p_rate:>10,.0f}{presidio_s:>8.1f}"
          f"{presidio_cpu:>8.1f}{n_chars / presidio_cpu:>13,.0f}")
    print(f"{f'Bulle ({args.processes} processes, {args.model})':38}{b_rate:>10,.0f}{bulle_s:>8.1f}"
          f"{bulle_cpu:>8.1f}{n_chars / bulle_cpu:>13,.0f}")
    print(f"speed-up, wall clock: {b_rate / p_rate:.2f}x; per CPU second: "
          f"{presidio_cpu / bulle_cpu:.2f}x")
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
          f"(other work on the machine slows both; wall-clock gains from processes need idle cores)")
    print()
    print("quality on the dev gold set (character overlap):")
    print(f"{'label':14}{'Presidio P':>11}{'R':>7}{'F1':>7}   {'Bulle P':>8}{'R':>7}{'F1':>7}")
    for label in sorted(bulle_quality["overlap"]["per_label"]):
        row = []
        for q in (presidio_quality, bulle_quality):
            m = q["overlap"]["per_label"].get(label, {})
            row += [m.get("precision"), m.get("recall"), m.get("f1")]
        cells = ["   -  " if x is None else f"{x:6.3f}" for x in row]
        print(f"{label:14}{cells[0]:>11}{cells[1]:>7}{cells[2]:>7}   {cells[3]:>8}{cells[4]:>7}{cells[5]:>7}")
    for name, q in (("Presidio", presidio_quality), ("Bulle", bulle_quality)):
        print(f"{name}: persons fully masked {q['person_fully_masked']['share']:.1%}, "
              f"redaction recall {q['redaction']['recall']:.1%}, "
              f"over-redaction {q['over_redaction']['share']:.1%}")


if __name__ == "__main__":
    sys.exit(main())
