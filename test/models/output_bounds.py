"""The variants the model.so checks build, and the bounds within which a
model.so's outputs must agree with the interpreter's simulation of the same
quantized IR (reasons: check_shared_object.py's docstring and
docs/cuda-backend.md).

qcc_flags(variant): the qcc flags of a variant name: a scheme, "float" (every
linear kept in float), or a scheme with a pass added ("w4a16+lorc").

compare(scheme, simulated, candidate, reference, target) yields one
(output name, ok, description) per output:

- integer outputs must be equal;
- `exact` paths (float products only) within 1e-5 relative L2;
- on sm90, float activations of w4a16 and MXFP4 go to the tensor cores in
  f16: within 2e-3 (f16 rounding of each activation, 2^-12 relative at
  most, 1.4e-4 rms, times the few layers that carry it);
- quantized activations, and w4a16's on x86, rounded to bf16 (2^-9
  relative at most, ~1e-3 rms: a format in its own right, not a last-bit
  difference): within 1e-5, or within half the simulation's own
  quantization error against the float model.
"""

import numpy as np


def qcc_flags(variant):
    name, _, extra = variant.partition("+")
    flags = (["--scheme=w4a16", "--keep-float=.*"] if name == "float"
             else [f"--scheme={name}"])
    if extra:
        flags.append(f"--passes=+{extra}")
    return flags


def compare(scheme, simulated, candidate, reference, target="x86"):
    name = scheme.partition("+")[0]
    half = target == "sm90" and name in ("w4a16", "mxfp4")
    exact = name in ("float", "mxfp4") and not half
    for output in simulated.files:
        sim = simulated[output].astype(np.float64)
        got = np.asarray(candidate[output]).astype(np.float64)
        if sim.shape != got.shape:
            yield output, False, f"shape {got.shape} != {sim.shape}"
            continue
        if not np.issubdtype(simulated[output].dtype, np.floating):
            ok = np.array_equal(sim, got)
            yield output, ok, "integers equal"
            continue
        scale = max(np.linalg.norm(sim), 1e-30)
        difference = np.linalg.norm(got - sim) / scale
        error = np.linalg.norm(sim - reference[output]) / scale
        if half:
            ok = difference <= 2e-3
        else:
            ok = difference <= 1e-5 or (not exact and difference <= 0.5 * error)
        if not np.isfinite(got).all():
            ok = False
        yield output, ok, (f".so vs simulated {difference:.2e}, simulated vs "
                           f"float {error:.2e}")
