"""Writes the Llama block of llama_block.py with its weights as external data.

  OUTDIR/external/llama_block.onnx          every initializer refers to
  OUTDIR/external/llama_block.weights       this one file (offset + length)
  OUTDIR/external_missing/llama_block.onnx  the same model, weights file absent

Usage: python3 external_data.py OUTDIR
"""

import shutil
import sys

import onnx

from builder import output_dir
from llama_block import build_model

WEIGHTS = "llama_block.weights"


def main(argv):
    out = output_dir(argv)
    model = build_model()
    onnx.checker.check_model(model, full_check=True)

    external = out / "external"
    external.mkdir(exist_ok=True)
    # onnx appends to an existing weights file: start from none.
    (external / WEIGHTS).unlink(missing_ok=True)
    onnx.save(model, external / "llama_block.onnx",
              save_as_external_data=True, all_tensors_to_one_file=True,
              location=WEIGHTS, size_threshold=0)

    # The same graph, whose initializers name a file that is not there.
    missing = out / "external_missing"
    missing.mkdir(exist_ok=True)
    (missing / WEIGHTS).unlink(missing_ok=True)
    shutil.copyfile(external / "llama_block.onnx",
                    missing / "llama_block.onnx")


if __name__ == "__main__":
    main(sys.argv)
