//===- Streaming.cu - planning the weight-streaming grids -----------------===//

#include "lib/Runtime/cuda/Streaming.cuh"
#include <map>
#include <mutex>
#include <tuple>

namespace qcc::cuda {

int multiprocessorCount() {
  static int count = [] {
    int device = 0, value = 0;
    if (cudaGetDevice(&device) != cudaSuccess ||
        cudaDeviceGetAttribute(&value, cudaDevAttrMultiProcessorCount,
                               device) != cudaSuccess)
      return 1;
    return value;
  }();
  return count;
}

int64_t activeClusters(const void *kernel, int64_t slices, size_t sharedBytes) {
  using Key = std::tuple<const void *, int64_t, size_t>;
  static std::mutex mutex;
  static std::map<Key, int64_t> cache;
  std::lock_guard<std::mutex> lock(mutex);
  Key key{kernel, slices, sharedBytes};
  if (auto found = cache.find(key); found != cache.end())
    return found->second;
  ClusterLaunch launch(1, slices, sharedBytes, nullptr);
  int clusters = 0;
  if (cudaOccupancyMaxActiveClusters(&clusters, kernel, &launch.config) !=
      cudaSuccess) {
    cudaGetLastError(); // a size the GPU refuses: none
    clusters = 0;
  }
  return cache[key] = clusters;
}

} // namespace qcc::cuda
