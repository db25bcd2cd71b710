# lit configuration of the qcc tests (tools, dialect, passes, importer).
import os
import shutil
import subprocess

import lit.formats

config.name = "qcc"
# RUN lines run in bash (with pipefail), so tests can check exit codes.
config.test_format = lit.formats.ShTest(execute_external=True)
config.suffixes = [".mlir", ".test"]
config.excludes = ["models", "unit", "lit.cfg.py", "lit.site.cfg.py"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.qcc_obj_root, "test")

config.environment["PATH"] = os.pathsep.join(
    [config.qcc_tools_dir, config.llvm_tools_dir, config.environment.get("PATH", "")]
)
# Generated models import test/models/builder.py; keep caches out of the tree.
config.environment["PYTHONDONTWRITEBYTECODE"] = "1"
config.substitutions.append(("%python", config.python_executable))
config.substitutions.append(("%models", os.path.join(config.test_source_root, "models")))
config.substitutions.append(("%include", os.path.join(os.path.dirname(config.test_source_root), "include")))
config.substitutions.append(
    ("%unittests", os.path.join(config.qcc_obj_root, "test", "unit", "QccUnitTests"))
)
config.excludes.append("Inputs")

# CUDA compiles need nvcc (present in CI at /usr/local/cuda, with no GPU).
nvcc = shutil.which("nvcc") or "/usr/local/cuda/bin/nvcc"
if os.path.exists(nvcc):
    config.available_features.add("nvcc")
    config.substitutions.append(("%nvcc", nvcc))

# A Hopper GPU (compute capability 9.0) that sm90 models run on.
try:
    capability = subprocess.run(
        ["nvidia-smi", "--query-gpu=compute_cap", "--format=csv,noheader"],
        capture_output=True, text=True, timeout=30).stdout.split()
    if "9.0" in capability:
        config.available_features.add("sm90-gpu")
except (OSError, subprocess.SubprocessError):
    pass
