//===- ThreadPool.cpp - the threads of a generated model ------------------===//

#include "ThreadPool.h"
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <immintrin.h>
#include <mutex>
#include <sched.h>
#include <thread>
#include <vector>

using namespace qcc::rt;

namespace {

thread_local bool insidePiece = false;

/// How long an idle worker polls for the next job before it sleeps. A
/// decode step hands the workers a few hundred small jobs, each shorter
/// than a futex wake-up; polling for a little longer than the gap between
/// two jobs keeps those wake-ups off the critical path.
constexpr auto kPollTime = std::chrono::microseconds(2000);

inline void relax() { _mm_pause(); }

class Pool {
public:
  explicit Pool(int64_t threads) {
    for (int64_t i = 1; i < threads; ++i)
      workers.emplace_back([this] { work(); });
  }
  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      stopping.store(true);
    }
    wake.notify_all();
    for (std::thread &worker : workers)
      worker.join();
  }
  int64_t size() const { return static_cast<int64_t>(workers.size()) + 1; }

  /// Every worker takes part in every job (finding no piece left is
  /// taking part): a job's fields stay unchanged until all have finished.
  void run(int64_t count, int64_t pieces,
           const std::function<void(int64_t, int64_t)> &body) {
    job = {&body, count, pieces};
    next.store(0, std::memory_order_relaxed);
    finishedWorkers.store(0, std::memory_order_relaxed);
    failure = nullptr;
    generation.fetch_add(1); // publishes the job
    if (sleepers.load() > 0) {
      std::lock_guard<std::mutex> lock(mutex);
      wake.notify_all();
    }
    runPieces();
    auto workerCount = static_cast<int64_t>(workers.size());
    for (int64_t spins = 0;
         finishedWorkers.load(std::memory_order_acquire) < workerCount; ++spins)
      spins < 4096 ? relax() : std::this_thread::yield();
    if (failure)
      std::rethrow_exception(failure);
  }

private:
  struct Job {
    const std::function<void(int64_t, int64_t)> *body = nullptr;
    int64_t count = 0, pieces = 0;
  };

  void runPieces() {
    insidePiece = true;
    for (int64_t piece; (piece = next.fetch_add(1)) < job.pieces;) {
      try {
        (*job.body)(job.count * piece / job.pieces,
                    job.count * (piece + 1) / job.pieces);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex);
        failure = std::current_exception();
      }
    }
    insidePiece = false;
  }

  /// Polls for a generation other than `seen`, then sleeps until one.
  void awaitJob(uint64_t seen) {
    auto deadline = std::chrono::steady_clock::now() + kPollTime;
    for (int64_t spins = 1; generation.load() == seen; ++spins) {
      // After ~10 µs, yield between polls: on a busy host the core goes to
      // whoever has work, on an idle one yield returns at once.
      spins < 1024 ? relax() : std::this_thread::yield();
      if (spins % 256 == 0 && std::chrono::steady_clock::now() > deadline)
        break;
    }
    if (generation.load() != seen)
      return;
    std::unique_lock<std::mutex> lock(mutex);
    // Counted before the check, so that run() either sees a sleeper and
    // notifies or this check sees its new generation.
    sleepers.fetch_add(1);
    wake.wait(lock,
              [&] { return stopping.load() || generation.load() != seen; });
    sleepers.fetch_sub(1);
  }

  void work() {
    for (uint64_t seen = 0;;) {
      awaitJob(seen);
      if (stopping.load())
        return;
      seen = generation.load(std::memory_order_acquire);
      runPieces();
      finishedWorkers.fetch_add(1, std::memory_order_release);
    }
  }

  std::vector<std::thread> workers;
  std::mutex mutex;
  std::condition_variable wake;
  Job job;
  std::atomic<uint64_t> generation{0};
  std::atomic<int64_t> next{0}, finishedWorkers{0}, sleepers{0};
  std::atomic<bool> stopping{false};
  std::exception_ptr failure;
};

int64_t configuredThreads() {
  if (const char *text = std::getenv("QCC_NUM_THREADS"))
    if (int64_t value = std::atoll(text); value > 0)
      return value;
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0)
    return std::max(1, CPU_COUNT(&set));
  return std::max(1u, std::thread::hardware_concurrency());
}

Pool &pool() {
  static Pool instance(configuredThreads());
  return instance;
}

/// One parallelFor at a time uses the pool; others run inline.
std::mutex poolUse;

} // namespace

int64_t qcc::rt::threadCount() { return pool().size(); }

void qcc::rt::parallelFor(int64_t count, int64_t grain,
                          const std::function<void(int64_t, int64_t)> &body) {
  int64_t pieces =
      std::min(count / std::max<int64_t>(grain, 1), threadCount() * 4);
  std::unique_lock<std::mutex> exclusive(poolUse, std::defer_lock);
  if (pieces <= 1 || insidePiece || !exclusive.try_lock()) {
    if (count > 0)
      body(0, count);
    return;
  }
  pool().run(count, pieces, body);
}
