//===- ThreadPool.cpp - the threads of a generated model ------------------===//

#include "ThreadPool.h"
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <sched.h>
#include <thread>
#include <vector>

using namespace qcc::rt;

namespace {

thread_local bool insidePiece = false;

class Pool {
public:
  explicit Pool(int64_t threads) {
    for (int64_t i = 1; i < threads; ++i)
      workers.emplace_back([this] { work(); });
  }
  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      stopping = true;
    }
    wake.notify_all();
    for (std::thread &worker : workers)
      worker.join();
  }
  int64_t size() const { return static_cast<int64_t>(workers.size()) + 1; }

  void run(int64_t count, int64_t pieces,
           const std::function<void(int64_t, int64_t)> &body) {
    std::unique_lock<std::mutex> lock(mutex);
    job = {&body, count, pieces};
    next = 0;
    unfinished = pieces;
    failure = nullptr;
    ++generation;
    lock.unlock();
    wake.notify_all();
    runPieces();
    lock.lock();
    // No worker may still be inside this job when the next one starts.
    done.wait(lock, [&] { return unfinished == 0 && active == 0; });
    job.body = nullptr;
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
      std::lock_guard<std::mutex> lock(mutex);
      if (--unfinished == 0)
        done.notify_all();
    }
    insidePiece = false;
  }

  void work() {
    uint64_t seen = 0;
    std::unique_lock<std::mutex> lock(mutex);
    while (true) {
      wake.wait(lock, [&] { return stopping || generation != seen; });
      if (stopping)
        return;
      seen = generation;
      if (!job.body)
        continue;
      ++active;
      lock.unlock();
      runPieces();
      lock.lock();
      if (--active == 0 && unfinished == 0)
        done.notify_all();
    }
  }

  std::vector<std::thread> workers;
  std::mutex mutex;
  std::condition_variable wake, done;
  Job job;
  std::atomic<int64_t> next{0};
  int64_t unfinished = 0, active = 0;
  uint64_t generation = 0;
  bool stopping = false;
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
