"""One qcc qlinear product on the GPU, for a profiler (Nsight Compute):

  ncu --clock-control none -k regex:warpgroupKernel --launch-skip 1 -c 1 \
      python3 bench/cuda/profile_qlinear.py --library build/lib/libQccCudaBench.so \
      --scheme w8a8 --shape 4096x4096 --rows 1024

Runs the product twice (the first warms up) on random codes laid out as
qlinear_bench.py lays them out.
"""

import argparse

import torch

from qlinear_bench import FP8, GROUP, MXFP4, W4A8, W4A16, W8A8, Qcc, check

LAYOUTS = {"w4a16": W4A16, "mxfp4": MXFP4, "w4a8": W4A8, "w8a8": W8A8, "fp8": FP8}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--library", required=True)
    parser.add_argument("--scheme", choices=LAYOUTS, required=True)
    parser.add_argument("--shape", default="4096x4096", help="N x K")
    parser.add_argument("--rows", type=int, default=1024)
    args = parser.parse_args()
    n, k = (int(v) for v in args.shape.split("x"))
    m, layout = args.rows, LAYOUTS[args.scheme]
    qcc = Qcc(args.library)
    packed = qcc.pack(layout, n, k)
    width = qcc.lib.qcc_bench_padded_columns(n)
    y = torch.empty(m, n, device="cuda")
    stream = torch.cuda.current_stream().cuda_stream
    if layout in (W4A16, MXFP4):
        group = GROUP if layout == W4A16 else 32
        scales = torch.rand(-(-k // group), width, device="cuda") * 0.01
        x = torch.randn(m, k, device="cuda", dtype=torch.float16)
        run = lambda: qcc.lib.qcc_bench_half(x.data_ptr(), m, layout, packed.data_ptr(), n, k,
                                             group, scales.data_ptr(), y.data_ptr(), stream)
    else:
        depth = qcc.lib.qcc_bench_padded_depth(k)
        codes = torch.randint(-127, 128, (m, depth), dtype=torch.int8, device="cuda")
        if layout == FP8:
            codes = (torch.randn(m, depth, device="cuda")).to(torch.float8_e4m3fn).view(
                torch.int8)
        token = torch.rand(m, device="cuda")
        if layout == W4A8:
            groups = -(-k // GROUP)
            integer = torch.randint(1, 16, (groups, width), dtype=torch.uint8, device="cuda")
            channel = torch.rand(width, device="cuda") * 0.01
            scales, group = None, GROUP
        else:
            integer, channel, group = None, None, k
            scales = torch.rand(1, width, device="cuda") * 0.01
        ptr = lambda t: None if t is None else t.data_ptr()
        run = lambda: qcc.lib.qcc_bench_integer(
            codes.data_ptr(), token.data_ptr(), m, layout, packed.data_ptr(), n, k, group,
            ptr(scales), ptr(integer), ptr(channel), int(layout == W4A8), y.data_ptr(), stream)
    for _ in range(2):
        check(run(), args.scheme)
    torch.cuda.synchronize()


if __name__ == "__main__":
    main()
