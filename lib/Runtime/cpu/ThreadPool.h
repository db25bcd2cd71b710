//===- ThreadPool.h - the threads of a generated model ----------*- C++ -*-===//
//
// One pool per process, started at the first parallel kernel: as many
// threads as the process may run on (its CPU affinity), or
// QCC_NUM_THREADS. Kernels split output columns or heads into pieces;
// the calling thread works too. A parallelFor inside a piece runs inline.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_RUNTIME_CPU_THREADPOOL_H
#define QCC_RUNTIME_CPU_THREADPOOL_H

#include <cstdint>
#include <functional>

namespace qcc::rt {

/// Elements per piece for elementwise kernels: below this, handing work
/// to another thread costs more than it saves.
constexpr int64_t kElementGrain = 32768;

/// Calls body(begin, end) over [0, count) in pieces of at least `grain`
/// on the pool's threads. Returns after every piece ran; an exception from
/// a piece (std::bad_alloc) is rethrown here.
void parallelFor(int64_t count, int64_t grain,
                 const std::function<void(int64_t, int64_t)> &body);

/// The number of threads parallelFor uses (callers included).
int64_t threadCount();

} // namespace qcc::rt

#endif // QCC_RUNTIME_CPU_THREADPOOL_H
