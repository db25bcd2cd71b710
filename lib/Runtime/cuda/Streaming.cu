//===- Streaming.cu - planning the weight-streaming grids -----------------===//

#include "lib/Runtime/cuda/Streaming.cuh"
#include <map>
#include <mutex>
#include <tuple>

namespace qcc::cuda {

cudaError_t checkWeight(const DeviceWeight &weight) {
  if (weight.n <= 0 || weight.k <= 0 || weight.groupSize <= 0 ||
      !weight.packed || !aligned16(weight.packed))
    return cudaErrorInvalidValue;
  int64_t group = std::min(weight.groupSize, weight.k);
  if (weight.groups != (weight.k + group - 1) / group)
    return cudaErrorInvalidValue;
  if (weight.groupScales && weight.integerScales)
    return cudaErrorInvalidValue;
  if (!aligned16(weight.groupScales) || !aligned16(weight.integerScales))
    return cudaErrorInvalidValue;
  return cudaSuccess;
}

int64_t activeClusters(const void *kernel, int64_t slices, size_t sharedBytes) {
  // Per device: machines with several GPUs may mix kinds.
  int device = 0;
  if (cudaGetDevice(&device) != cudaSuccess)
    return 0;
  using Key = std::tuple<int, const void *, int64_t, size_t>;
  static std::mutex mutex;
  static std::map<Key, int64_t> cache;
  std::lock_guard<std::mutex> lock(mutex);
  Key key{device, kernel, slices, sharedBytes};
  if (auto found = cache.find(key); found != cache.end())
    return found->second;
  ClusterLaunch launch(1, slices, sharedBytes, nullptr,
                       /*overlapPrevious=*/false);
  int clusters = 0;
  if (cudaOccupancyMaxActiveClusters(&clusters, kernel, &launch.config) !=
      cudaSuccess) {
    cudaGetLastError(); // a size the GPU refuses: none
    clusters = 0;
  }
  return cache[key] = clusters;
}

} // namespace qcc::cuda
