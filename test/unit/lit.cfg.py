# lit configuration that runs the GoogleTest suites under test/unit.
import lit.formats

config.name = "qcc-unit"
config.suffixes = []
config.test_source_root = config.unit_test_dir
config.test_exec_root = config.unit_test_dir
config.test_format = lit.formats.GoogleTest(".", "Tests")
