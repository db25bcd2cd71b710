# lit configuration of the qcc tests (tools, dialect, passes, importer).
import os

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
