//===- Streaming.cuh - parts of the weight-streaming kernels ---*- CUDA -*-===//
//
// Both qlinear kernels give each block of four warps 128 output columns
// and a slice of K (split-K). A block issues its first weight loads, waits
// for the kernel before it (the launch overlaps its end), copies
// its rows of activations for the slice into shared memory (rows padded by
// 16 bytes so that the eight row addresses of an ldmatrix fall in distinct
// banks; rows past the valid ones read 16 zero bytes instead), then each
// warp streams its 32 columns' weight fragments from memory through a
// cp.async pipeline in shared memory and multiplies on the tensor cores.
//
// Split-K within a thread-block cluster: the slices of one column block
// are one cluster (up to 16 blocks, which Hopper schedules together). Each
// block leaves its slice's sums in its shared memory; after a cluster
// barrier every block adds up a share of the outputs from all the slices'
// shared memory (distributed shared memory), in slice order, and applies
// the epilogue. No workspace, no atomics, no second launch, and results
// that do not depend on timing (for a given GPU and row count).
//
//===----------------------------------------------------------------------===//

#ifndef QCC_RUNTIME_CUDA_STREAMING_CUH
#define QCC_RUNTIME_CUDA_STREAMING_CUH

#include "lib/Runtime/cuda/QLinear.h"
#include <algorithm>
#include <cooperative_groups.h>
#include <cuda_runtime.h>

namespace qcc::cuda {

constexpr int kWarpsPerBlock = 4;
constexpr int kThreadsPerBlock = 32 * kWarpsPerBlock;
constexpr int64_t kBlockColumns = kWarpsPerBlock * kWarpColumns;
/// Bytes added to each shared row of activations.
constexpr int kRowPadding = 16;
/// Shared memory for one block's piece of activations.
constexpr int kSharedBudget = 48 * 1024;
/// What one block may take on sm90 (227 KiB).
constexpr int kMaxSharedBytes = 227 * 1024;
/// Products of more rows than this go to the warpgroup kernels where they
/// run the weight (WarpgroupLinear.cuh); up to it, the streaming ones.
constexpr int64_t kWarpgroupMinRows = 16;

constexpr int64_t columnBlocksOf(int64_t n) {
  return (paddedColumns(n) + kBlockColumns - 1) / kBlockColumns;
}

/// A block's activations for one piece of K in shared memory: `rows` rows
/// of `stride` bytes, then 16 zero bytes.
struct SharedRows {
  uint8_t *base;
  int stride, rows;
};

/// One 16-byte cp.async from global to shared memory.
__device__ inline void copyToShared16(void *to, const void *from) {
  auto address = static_cast<uint32_t>(__cvta_generic_to_shared(to));
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16;" ::"r"(address),
               "l"(from));
}

/// Copies bytes [0, width) of the first `shared.rows` rows of a row-major
/// source (row stride `sourceStride`) into `shared`, zeros past
/// `validBytes`, and writes the zero row. Whole 16-byte vectors go by
/// cp.async (no trip through registers); a row's ragged end, and rows that
/// start off a 16-byte boundary, two bytes at a time. Closes a cp.async
/// group: the rows are there for the block after awaitSharedRows.
template <bool ManyRows>
__device__ inline void
copyRowsToShared(const uint8_t *source, int64_t sourceStride,
                 int64_t validBytes, int width, const SharedRows &shared) {
  if (threadIdx.x == 0)
    *reinterpret_cast<uint4 *>(shared.base + shared.rows * shared.stride) =
        make_uint4(0, 0, 0, 0);
  bool aligned =
      (reinterpret_cast<uintptr_t>(source) % 16 == 0) && sourceStride % 16 == 0;
  // Bytes [0, whole) go as whole vectors; [whole, width) one by one (2-byte
  // elements when the rows are not aligned, single bytes otherwise).
  int whole =
      aligned
          ? static_cast<int>(validBytes < width ? validBytes : width) / 16 * 16
          : 0;
  int vectors = whole / 16;
  // A row's ragged end, two bytes a thread at a time.
  auto copyEnd = [&](const uint8_t *from, uint8_t *to) {
    for (int byte = whole + 2 * threadIdx.x; byte < width;
         byte += 2 * blockDim.x) {
      uint16_t value = 0;
      if (byte + 2 <= validBytes)
        value = *reinterpret_cast<const uint16_t *>(from + byte);
      else if (byte < validBytes)
        value = from[byte];
      *reinterpret_cast<uint16_t *>(to + byte) = value;
    }
  };
  if constexpr (ManyRows) {
    // A row's vectors go to a power of two of lanes, so that the block
    // covers several rows at once where a row has fewer vectors than the
    // block has threads (a short piece of K), without a division.
    static_assert((kThreadsPerBlock & (kThreadsPerBlock - 1)) == 0);
    int shift = __ffs(kThreadsPerBlock) - 1; // lanes per row: 1 << shift
    while (shift > 0 && (1 << (shift - 1)) >= vectors)
      --shift;
    for (int row = threadIdx.x >> shift; row < shared.rows;
         row += kThreadsPerBlock >> shift) {
      const uint8_t *from = source + row * sourceStride;
      uint8_t *to = shared.base + row * shared.stride;
      for (int v = threadIdx.x & ((1 << shift) - 1); v < vectors;
           v += 1 << shift)
        copyToShared16(to + v * 16, from + v * 16);
    }
    for (int row = 0; whole < width && row < shared.rows; ++row)
      copyEnd(source + row * sourceStride, shared.base + row * shared.stride);
  } else {
    // One row after another: products of at most 16 rows are bound by
    // latency, and the shortest loop leaves their registers and schedule
    // to the tile loop (docs/cuda-backend.md, "Activation copies").
    for (int row = 0; row < shared.rows; ++row) {
      const uint8_t *from = source + row * sourceStride;
      uint8_t *to = shared.base + row * shared.stride;
      for (int v = threadIdx.x; v < vectors; v += blockDim.x)
        copyToShared16(to + v * 16, from + v * 16);
      copyEnd(from, to);
    }
  }
  asm volatile("cp.async.commit_group;" ::: "memory");
}

/// Waits until at most `Pending` of this thread's newest cp.async groups
/// are in flight, then for the whole block: copyRowsToShared's rows, when
/// `Pending` groups were started after them, are there for every thread.
template <int Pending> __device__ inline void awaitSharedRows() {
  asm volatile("cp.async.wait_group %0;" ::"n"(Pending) : "memory");
  __syncthreads();
}

/// A warp's weight tiles on their way from memory, `Stages` tiles deep,
/// through shared memory by cp.async (registers would hold too few bytes
/// in flight to cover the memory's latency). A tile is `Pieces` 16-byte
/// loads per lane, 512 contiguous bytes each, and `ScaleVectors` 16-byte
/// vectors of the tile's scales (copied by the first lanes); scales come
/// with their tile so that their latency is hidden too. Every lane reads
/// only bytes it copied itself, except the scales, which a __syncwarp()
/// publishes.
template <int Stages, int Pieces, int ScaleVectors> class WeightPipeline {
public:
  static constexpr int kStageBytes = Pieces * 32 * 16 + ScaleVectors * 16;
  static constexpr size_t kBytesPerWarp = size_t{Stages} * kStageBytes;

  /// `stages`: this warp's kBytesPerWarp of shared memory; `lane` the
  /// lane's first piece of the first tile (a tile is Pieces · 32 further).
  __device__ WeightPipeline(uint8_t *stages, const uint4 *lane, bool active)
      : base(static_cast<uint32_t>(__cvta_generic_to_shared(stages))),
        source(lane), active(active) {}

  /// Starts the next tile if `present`, with `scaleVectors` (at most
  /// ScaleVectors) 16-byte vectors of scales from scaleSource(v), vector v
  /// copied by lane v % 32; closes a cp.async group either way, so that
  /// group counts stay uniform.
  template <typename ScaleSource>
  __device__ void start(bool present, int scaleVectors,
                        ScaleSource scaleSource) {
    int lane = threadIdx.x % 32;
    if (active && present) {
      uint32_t stage = base + started * kStageBytes;
#pragma unroll
      for (int piece = 0; piece < Pieces; ++piece)
        copy16(stage + (piece * 32 + lane) * 16, source + piece * 32);
      for (int v = lane; v < scaleVectors; v += 32)
        copy16(stage + Pieces * 32 * 16 + v * 16, scaleSource(v));
      source += Pieces * 32;
      started = started + 1 == Stages ? 0 : started + 1;
    }
    asm volatile("cp.async.commit_group;");
  }

  /// Waits for the oldest tile (started Stages - 1 groups ago), reads its
  /// pieces and returns the shared address of its scales.
  __device__ uint32_t take(uint4 (&pieces)[Pieces]) {
    asm volatile("cp.async.wait_group %0;" ::"n"(Stages - 1));
    if (ScaleVectors)
      __syncwarp();
    uint32_t stage = base + taken * kStageBytes;
    uint32_t lane = threadIdx.x % 32;
#pragma unroll
    for (int piece = 0; piece < Pieces; ++piece)
      asm volatile("ld.shared.v4.u32 {%0, %1, %2, %3}, [%4];"
                   : "=r"(pieces[piece].x), "=r"(pieces[piece].y),
                     "=r"(pieces[piece].z), "=r"(pieces[piece].w)
                   : "r"(stage + (piece * 32 + lane) * 16));
    taken = taken + 1 == Stages ? 0 : taken + 1;
    return stage + Pieces * 32 * 16;
  }

  /// Before a start overwrites the stage of a tile whose scales other
  /// lanes read.
  __device__ void release() {
    if (ScaleVectors)
      __syncwarp();
  }

private:
  __device__ static void copy16(uint32_t destination, const void *from) {
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16;" ::"r"(destination),
                 "l"(from));
  }

  uint32_t base;
  const uint4 *source;
  bool active;
  int started = 0, taken = 0;
};

/// f32 and u8 reads of shared memory by address.
__device__ inline float2 loadShared2(uint32_t address) {
  float2 value;
  asm volatile("ld.shared.v2.f32 {%0, %1}, [%2];"
               : "=f"(value.x), "=f"(value.y)
               : "r"(address));
  return value;
}
__device__ inline float loadSharedFloat(uint32_t address) {
  float value;
  asm volatile("ld.shared.f32 %0, [%1];" : "=f"(value) : "r"(address));
  return value;
}
__device__ inline int32_t loadSharedByte(uint32_t address) {
  uint32_t value;
  asm volatile("ld.shared.u8 %0, [%1];" : "=r"(value) : "r"(address));
  return static_cast<int32_t>(value);
}

/// ldmatrix row addresses of a warp's MTiles row tiles: lane l gives row
/// l % 8 (+ 8 for matrices 1 and 3) at 16-byte column l / 16 of each step;
/// lanes whose row is past the valid ones read the zero row and do not
/// advance.
template <int MTiles> struct RowAddresses {
  uint32_t base[MTiles], advance[MTiles];

  __device__ RowAddresses(const SharedRows &rows) {
    int lane = threadIdx.x % 32;
    int row = (lane % 8) + 8 * ((lane / 8) % 2);
    auto shared = static_cast<uint32_t>(__cvta_generic_to_shared(rows.base));
#pragma unroll
    for (int m = 0; m < MTiles; ++m) {
      bool valid = m * 16 + row < rows.rows;
      base[m] =
          shared + (valid ? (m * 16 + row) * rows.stride + 16 * (lane / 16)
                          : rows.rows * rows.stride);
      advance[m] = valid;
    }
  }
  __device__ uint32_t at(int m, uint32_t offset) const {
    return base[m] + advance[m] * offset;
  }
};

/// Clusters of more than 8 blocks are Hopper's non-portable sizes.
constexpr int kMaxSlices = 16;

/// The split-K reduction of a cluster of `slices` blocks (grid.y), each
/// holding its slice's sums of a [rows][kBlockColumns] tile at `sums` in
/// its own shared memory: every block calls finish(row, column, Σ slices
/// in order) for its share of the tile's outputs.
template <typename T, typename Finish>
__device__ inline void reduceSlices(const T *sums, int slices, int rows,
                                    int64_t n, Finish finish) {
  namespace cg = cooperative_groups;
  cg::cluster_group cluster = cg::this_cluster();
  cluster.sync();
  int rank = static_cast<int>(cluster.block_rank());
  int outputs = rows * kBlockColumns;
  int share = (outputs + slices - 1) / slices;
  int64_t column0 = blockIdx.x * kBlockColumns;
  for (int i = rank * share + threadIdx.x; i < min(outputs, (rank + 1) * share);
       i += blockDim.x) {
    int64_t column = column0 + i % kBlockColumns;
    if (column >= n)
      continue;
    // Every slice's value in flight at once (one remote latency, not one
    // a slice), then the sum in slice order.
    T parts[kMaxSlices];
#pragma unroll
    for (int s = 0; s < kMaxSlices; ++s)
      if (s < slices)
        parts[s] = *cluster.map_shared_rank(sums + i, s);
    T sum = parts[0];
#pragma unroll
    for (int s = 1; s < kMaxSlices; ++s)
      if (s < slices)
        sum += parts[s];
    finish(i / kBlockColumns, column, sum);
  }
  // Keep every block's shared memory until all have read it.
  cluster.sync();
}

/// A launch configuration of a grid of column blocks × `slices` whose
/// slices of each column block are one cluster. `overlapPrevious` lets
/// the grid start while the kernel before it on the stream ends
/// (programmatic dependent launch; the kernel then calls
/// awaitPreviousKernel before it reads activations or writes).
struct ClusterLaunch {
  cudaLaunchConfig_t config{};
  cudaLaunchAttribute attributes[2]{};

  ClusterLaunch(int64_t columnBlocks, int64_t slices, size_t sharedBytes,
                cudaStream_t stream, bool overlapPrevious) {
    config.gridDim = dim3(static_cast<unsigned>(columnBlocks),
                          static_cast<unsigned>(slices));
    config.blockDim = dim3(kThreadsPerBlock);
    config.dynamicSmemBytes = sharedBytes;
    config.stream = stream;
    attributes[0].id = cudaLaunchAttributeClusterDimension;
    attributes[0].val.clusterDim.x = 1;
    attributes[0].val.clusterDim.y = static_cast<unsigned>(slices);
    attributes[0].val.clusterDim.z = 1;
    attributes[1].id = cudaLaunchAttributeProgrammaticStreamSerialization;
    attributes[1].val.programmaticStreamSerializationAllowed = 1;
    config.attrs = attributes;
    config.numAttrs = overlapPrevious ? 2 : 1;
  }
  ClusterLaunch(const ClusterLaunch &) = delete;
};

/// Programmatic dependent launch, the kernel's side. A streaming grid is
/// one wave, short, and spends its first microseconds on launch and on
/// the first loads' latency: it lets the next kernel's blocks take
/// multiprocessors as its own leave, and those start their weight loads
/// (weights depend on no kernel) before awaitPreviousKernel, which returns
/// once every earlier kernel on the stream has finished and its writes
/// are visible (at once when the launch did not overlap).
__device__ inline void allowNextKernelToStart() {
  asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
}
__device__ inline void awaitPreviousKernel() {
  asm volatile("griddepcontrol.wait;" ::: "memory");
}

/// Lets `kernel` run in clusters of up to kMaxSlices blocks with all the
/// shared memory a multiprocessor offers.
template <typename Params> cudaError_t prepareKernel(void (*kernel)(Params)) {
  cudaError_t status = cudaFuncSetAttribute(
      kernel, cudaFuncAttributeNonPortableClusterSizeAllowed, 1);
  if (status != cudaSuccess)
    return status;
  return cudaFuncSetAttribute(
      kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, kMaxSharedBytes);
}

/// How a product's K tiles are shared out: `slices` blocks along K of
/// `tilesPerSlice` tiles each, which a block copies to shared memory
/// `tilesPerPiece` at a time.
struct SplitPlan {
  int tilesPerSlice, slices, tilesPerPiece;
};

/// How many clusters of `slices` blocks of `kernel`, with `sharedBytes`
/// each, the current GPU holds at once (cached per device, kernel, size
/// and bytes).
int64_t activeClusters(const void *kernel, int64_t slices, size_t sharedBytes);

/// One wave of clusters: the most slices (up to kMaxSlices) for which
/// every column block's cluster is resident at once (a second, partial
/// wave would leave most multiprocessors idle at the end), walked in
/// pieces of at most `maxTilesPerPiece`; no split when `splittable` is
/// false. sharedBytesOf(tiles) gives a block's shared memory for a piece.
template <typename Params, typename SharedBytesOf>
SplitPlan planSplit(void (*kernel)(Params), int64_t n, int64_t k,
                    int64_t maxTilesPerPiece, bool splittable,
                    SharedBytesOf sharedBytesOf) {
  int tilesK = static_cast<int>(paddedDepth(k) / kTileK);
  int pieceTiles = static_cast<int>(std::max<int64_t>(1, maxTilesPerPiece));
  auto plan = [&](int slices) {
    int perSlice = (tilesK + slices - 1) / slices;
    return SplitPlan{perSlice, (tilesK + perSlice - 1) / perSlice,
                     std::min(perSlice, pieceTiles)};
  };
  if (!splittable)
    return {tilesK, 1, pieceTiles};
  SplitPlan best = plan(1);
  for (int slices = 2; slices <= std::min<int>(kMaxSlices, tilesK); ++slices) {
    SplitPlan candidate = plan(slices);
    if (candidate.slices != slices)
      continue;
    if (activeClusters(reinterpret_cast<const void *>(kernel), slices,
                       sharedBytesOf(candidate.tilesPerPiece)) <
        columnBlocksOf(n))
      break;
    best = candidate;
  }
  return best;
}

/// Whether a device array suits cp.async's 16-byte copies.
inline bool aligned16(const void *pointer) {
  return reinterpret_cast<uintptr_t>(pointer) % 16 == 0;
}

/// What every product needs of its weight: a shape, groups that cover K
/// (groups = ceil(k / min(groupSize, k))), at most one kind of group
/// scales, and 16-byte aligned arrays. cudaErrorInvalidValue otherwise.
cudaError_t checkWeight(const DeviceWeight &weight);

/// A block's shared memory: a piece of activations (`rows` rows of
/// `rowBytes` per tile, padded, and the zero row), then the warps' weight
/// pipelines; after the loop, a slice's sums for the cluster's reduction.
struct SharedLayout {
  int64_t rows, rowBytes;
  size_t pipelineBytesPerWarp, sumBytes;

  /// Tiles of activations one piece holds within kSharedBudget.
  int64_t maxTilesPerPiece() const {
    return (kSharedBudget - 16 - rows * kRowPadding) / (rows * rowBytes);
  }
  int64_t activationBytes(int64_t tiles) const {
    return (rows * (tiles * rowBytes + kRowPadding) + 16 + 15) / 16 * 16;
  }
  size_t totalBytes(int64_t tiles) const {
    return std::max<size_t>(activationBytes(tiles) +
                                kWarpsPerBlock * pipelineBytesPerWarp,
                            rows * kBlockColumns * sumBytes);
  }
};

/// Plans `p`'s split (p.plan, p.activationBytes) and launches `kernel`
/// on its clusters, overlapping the kernel before it.
template <typename Params>
cudaError_t launchSplit(void (*kernel)(Params), Params p,
                        const SharedLayout &layout, bool splittable,
                        cudaStream_t stream) {
  if (cudaError_t status = prepareKernel(kernel); status != cudaSuccess)
    return status;
  p.plan = planSplit(kernel, p.n, p.k, layout.maxTilesPerPiece(), splittable,
                     [&](int64_t tiles) { return layout.totalBytes(tiles); });
  p.activationBytes = layout.activationBytes(p.plan.tilesPerPiece);
  ClusterLaunch launch(columnBlocksOf(p.n), p.plan.slices,
                       layout.totalBytes(p.plan.tilesPerPiece), stream,
                       /*overlapPrevious=*/true);
  return cudaLaunchKernelEx(&launch.config, kernel, p);
}

/// The end of a kernel, for each output of the warp's fragments in the
/// valid rows: unsplit, finish(m, tile, e, row, column) where the column
/// is below n; split, value(m, tile, e) into the block's shared memory
/// (`shared`), then reduceSlices with reduced(row, column, sum).
template <int MTiles, typename T, typename Value, typename Finish,
          typename Reduced>
__device__ inline void endSlice(uint8_t *shared, bool active, int rows,
                                int64_t n, int slices, Value value,
                                Finish finish, Reduced reduced) {
  int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  int g = lane / 4, t = lane % 4;
  int64_t column0 =
      (int64_t{blockIdx.x} * kWarpsPerBlock + warp) * kWarpColumns + 2 * t;
  bool split = slices > 1;
  auto *sums = reinterpret_cast<T *>(shared);
  if (split)
    __syncthreads();
#pragma unroll
  for (int m = 0; m < MTiles; ++m)
#pragma unroll
    for (int tile = 0; tile < 4; ++tile)
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        int row = m * 16 + g + 8 * (e / 2);
        int local = warp * kWarpColumns + tile * 8 + 2 * t + e % 2;
        int64_t column = column0 + tile * 8 + e % 2;
        if (!active || row >= rows)
          continue;
        if (split)
          sums[row * kBlockColumns + local] = value(m, tile, e);
        else if (column < n)
          finish(m, tile, e, row, column);
      }
  if (split)
    reduceSlices(sums, slices, rows, n, reduced);
}

} // namespace qcc::cuda

#endif // QCC_RUNTIME_CUDA_STREAMING_CUH
