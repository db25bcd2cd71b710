"""qcc's sm90 qlinear kernels against cuBLAS through PyTorch, on one GPU.

  python3 bench/cuda/qlinear_bench.py --library build/lib/libQccCudaBench.so \
      [--json results.json] [--shapes 4096x4096 ...] [--rows 1 16 ...]

For each weight N x K and M rows: qcc w4a16 (int4 g128, f32 scales, f16
activations), mxfp4 (e2m1, scales per 32, f16 activations), w8a8 (int8 per
channel) and w4a8 (int4 in [-7, 7], two-level g128 scales) products, timed in the same process as PyTorch's bf16 `x @ w.t()` (cuBLAS) and
fp8 `torch._scaled_mm` (e4m3 x e4m3, M padded to 16 as it requires), and
qcc fp8 (e4m3 x e4m3, per-channel scales). The quantized-activation products
start from codes (activation quantization is timed separately, as
`quantize`). Every variant rotates over copies of its weights
taking together more than 4x the L2, so weights come from memory. Times are
medians of CUDA-event-timed replays of CUDA graphs of many calls; bandwidth is weight bytes (codes and scales)
per second, against a device-to-device copy measured in the same run (bytes
read plus written).
"""

import argparse
import ctypes
import json
import statistics

import torch

W4A16, W4A8, W8A8, FP8, MXFP4 = 0, 1, 2, 3, 4  # qcc::cuda::FragmentCodes
GROUP = 128


def median_ms(run, copies, loops=7):
    """Median over `loops` replays of a CUDA graph of many calls (each on the
    next copy of the weights) of the time per call: graphs take the host's
    launch overhead out, as a model's decode graph does."""
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        for i in range(3):
            run(i % copies)
        start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        run(0)
        stop.record()
        stop.synchronize()
    one = start.elapsed_time(stop)
    calls = max(copies, min(200, int(2.0 / max(one, 1e-3))))
    calls = -(-calls // copies) * copies
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph, stream=stream):
        for i in range(calls):
            run(i % copies)
    graph.replay()
    torch.cuda.synchronize()
    times = []
    for _ in range(loops):
        start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        graph.replay()
        stop.record()
        stop.synchronize()
        times.append(start.elapsed_time(stop) / calls)
    del graph
    return statistics.median(times)


def copy_bandwidth():
    """Device-to-device copy of 2 GiB by PyTorch's copy kernel, event-timed
    (a graph would turn it into a copy-engine memcpy node, which is slower):
    bytes read plus written per second."""
    size = 2 << 30
    a = torch.empty(size, dtype=torch.uint8, device="cuda").random_()
    b = torch.empty_like(a)
    for _ in range(2):
        b.copy_(a)
    times = []
    for _ in range(5):
        start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        b.copy_(a)
        stop.record()
        stop.synchronize()
        times.append(start.elapsed_time(stop))
    del a, b
    return 2 * size / (statistics.median(times) * 1e-3)


def copies_for(nbytes, l2):
    return max(2, min(64, -(-4 * l2 // nbytes)))


class Qcc:
    def __init__(self, path):
        self.lib = ctypes.CDLL(path)
        for name in ("qcc_bench_packed_bytes",):
            getattr(self.lib, name).restype = ctypes.c_size_t
        for name in ("qcc_bench_padded_columns", "qcc_bench_padded_depth"):
            getattr(self.lib, name).restype = ctypes.c_int64
        i64, ptr = ctypes.c_int64, ctypes.c_void_p
        self.lib.qcc_bench_packed_bytes.argtypes = [ctypes.c_int, i64, i64]
        self.lib.qcc_bench_padded_columns.argtypes = [i64]
        self.lib.qcc_bench_padded_depth.argtypes = [i64]
        self.lib.qcc_bench_pack.argtypes = [ctypes.c_int, ptr, i64, i64, ptr]
        self.lib.qcc_bench_half.argtypes = [ptr, i64, ctypes.c_int, ptr, i64, i64, i64, ptr,
                                            ptr, ptr]
        self.lib.qcc_bench_integer.argtypes = [ptr, ptr, i64, ctypes.c_int, ptr, i64, i64,
                                               i64, ptr, ptr, ptr, ctypes.c_int, ptr,
                                               ptr]
        self.lib.qcc_bench_quantize.argtypes = [ptr, i64, i64, ptr, ptr, ptr]

    def pack(self, layout, n, k):
        # w4a8 codes in [-7, 7] with scales up to 15, as qcc's quantizer
        # writes them: the products q · s are bytes (int8Products).
        low, high = {W4A16: (-8, 8), W4A8: (-7, 8), MXFP4: (0, 16)}.get(layout, (-128, 128))
        codes = torch.randint(low, high, (n, k), dtype=torch.int8)
        packed = torch.empty(self.lib.qcc_bench_packed_bytes(layout, n, k), dtype=torch.uint8)
        self.lib.qcc_bench_pack(layout, codes.data_ptr(), n, k, packed.data_ptr())
        return packed.cuda()


def check(status, what):
    if status != 0:
        raise RuntimeError(f"{what}: CUDA error {status}")


def bench_shape(qcc, n, k, rows_list, l2, bandwidth):
    results = []
    width = qcc.lib.qcc_bench_padded_columns(n)
    depth = qcc.lib.qcc_bench_padded_depth(k)
    groups = -(-k // GROUP)
    weights = {}
    for name, layout in (("w4a16", W4A16), ("mxfp4", MXFP4), ("w4a8", W4A8), ("w8a8", W8A8),
                         ("fp8", FP8)):
        packed = qcc.pack(layout, n, k)
        if layout in (W4A16, MXFP4):
            group = GROUP if layout == W4A16 else 32
            scales = torch.rand(-(-k // group), width, device="cuda") * 0.01
            integer = None
            channel = None
        elif layout == W4A8:
            scales = None
            integer = torch.randint(1, 16, (groups, width), dtype=torch.uint8, device="cuda")
            channel = torch.rand(width, device="cuda") * 0.01
        else:
            scales = torch.rand(1, width, device="cuda") * 0.01
            integer = None
            channel = None
        nbytes = packed.numel() + sum(t.numel() * t.element_size()
                                      for t in (scales, integer, channel) if t is not None)
        copies = copies_for(nbytes, l2)
        weights[name] = ([packed.clone() for _ in range(copies)], scales, integer, channel, nbytes)
    bf16_bytes = n * k * 2
    bf16 = [torch.randn(n, k, device="cuda", dtype=torch.bfloat16)
            for _ in range(copies_for(bf16_bytes, l2))]
    fp8 = [torch.randn(n, k, device="cuda").to(torch.float8_e4m3fn)
           for _ in range(copies_for(n * k, l2))]
    one = torch.tensor(1.0, device="cuda")

    def ptr(t):
        return None if t is None else t.data_ptr()

    def stream():
        return torch.cuda.current_stream().cuda_stream

    for m in rows_list:
        row = {"n": n, "k": k, "m": m}
        x = torch.randn(m, k, device="cuda", dtype=torch.bfloat16)
        row["bf16"] = median_ms(lambda i: x @ bf16[i].t(), len(bf16))
        mp = -(-m // 16) * 16
        x8 = torch.randn(mp, k, device="cuda").to(torch.float8_e4m3fn)
        try:
            row["torch_fp8"] = median_ms(lambda i: torch._scaled_mm(
                x8, fp8[i].t(), scale_a=one, scale_b=one, out_dtype=torch.bfloat16), len(fp8))
        except RuntimeError as error:
            row["torch_fp8_error"] = str(error)[:200]
        xh = torch.randn(m, k, device="cuda", dtype=torch.float16)
        xf = torch.randn(m, k, device="cuda")
        y = torch.empty(m, n, device="cuda")
        codes = torch.empty(m, depth, dtype=torch.int8, device="cuda")
        token = torch.empty(m, device="cuda")
        check(qcc.lib.qcc_bench_quantize(xf.data_ptr(), m, k, codes.data_ptr(), token.data_ptr(),
                                         stream()), "quantize")
        row["quantize"] = median_ms(lambda i: qcc.lib.qcc_bench_quantize(
            xf.data_ptr(), m, k, codes.data_ptr(), token.data_ptr(), stream()), 1)
        for name, layout, group in (("w4a16", W4A16, GROUP), ("mxfp4", MXFP4, 32)):
            packs, scales, _, _, nbytes = weights[name]
            run = lambda i, packs=packs, scales=scales, layout=layout, group=group: \
                qcc.lib.qcc_bench_half(xh.data_ptr(), m, layout, packs[i].data_ptr(), n, k, group,
                                       scales.data_ptr(), y.data_ptr(), stream())
            check(run(0), name)
            row[name] = median_ms(run, len(packs))
            row[name + "_bytes"] = nbytes
        for name, layout in (("w4a8", W4A8), ("w8a8", W8A8), ("fp8", FP8)):
            packs, scales, integer, channel, nbytes = weights[name]
            group = GROUP if layout == W4A8 else k
            run = lambda i, layout=layout, packs=packs, scales=scales, integer=integer, \
                channel=channel, group=group: qcc.lib.qcc_bench_integer(
                    codes.data_ptr(), token.data_ptr(), m, layout, packs[i].data_ptr(), n, k,
                    group, ptr(scales), ptr(integer), ptr(channel), int(layout == W4A8),
                    y.data_ptr(), stream())
            check(run(0), name)
            row[name] = median_ms(run, len(packs))
            row[name + "_bytes"] = nbytes
        torch.cuda.synchronize()
        results.append(row)
        line = f"{n:>6}x{k:<6} M={m:<5} bf16 {row['bf16'] * 1e3:8.1f} us"
        if "torch_fp8" in row:
            line += f"  torch fp8 {row['torch_fp8'] * 1e3:6.1f}"
        for name in ("w4a16", "mxfp4", "w4a8", "w8a8", "fp8"):
            gbs = row[name + "_bytes"] / (row[name] * 1e-3) / 1e9
            line += (f"  {name} {row[name] * 1e3:8.1f} ({row['bf16'] / row[name]:4.2f}x bf16,"
                     f" {100 * gbs * 1e9 / bandwidth:3.0f}% bw)")
        print(line, flush=True)
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--library", required=True)
    parser.add_argument("--json")
    parser.add_argument("--shapes", nargs="+", default=["4096x4096", "14336x4096", "4096x14336"],
                        help="N x K of the weight")
    parser.add_argument("--rows", nargs="+", type=int, default=[1, 16, 64, 256, 1024, 4096])
    args = parser.parse_args()
    torch.manual_seed(0)
    properties = torch.cuda.get_device_properties(0)
    l2 = getattr(properties, "L2_cache_size", 50 << 20)
    qcc = Qcc(args.library)
    bandwidth = copy_bandwidth()
    print(f"{properties.name}, {properties.multi_processor_count} SMs, L2 {l2 >> 20} MiB; "
          f"device-to-device copy {bandwidth / 1e12:.2f} TB/s", flush=True)
    results = []
    for shape in args.shapes:
        n, k = (int(v) for v in shape.split("x"))
        results += bench_shape(qcc, n, k, args.rows, l2, bandwidth)
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"device": properties.name, "copy_bandwidth": bandwidth,
                       "torch": torch.__version__, "results": results}, out, indent=1)


if __name__ == "__main__":
    main()
