//===- WeightsFile.cpp - a model's weights beside its model.so ------------===//

#include "WeightsFile.h"
#include <cstring>
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace qcc::rt;

uint64_t qcc::rt::hashWeights(const uint8_t *bytes, size_t size) {
  uint64_t hash = 0x9E3779B97F4A7C15ull ^ size;
  size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    uint64_t word;
    std::memcpy(&word, bytes + i, 8);
    hash = (hash ^ word) * 0xFF51AFD7ED558CCDull;
    hash ^= hash >> 32;
  }
  for (; i < size; ++i)
    hash = (hash ^ bytes[i]) * 0x100000001B3ull;
  return hash;
}

MappedWeights::~MappedWeights() {
  if (bytes)
    munmap(const_cast<uint8_t *>(bytes), length);
}

std::string MappedWeights::map(size_t size, uint64_t hash) {
  Dl_info info;
  if (!dladdr(reinterpret_cast<void *>(&hashWeights), &info) || !info.dli_fname)
    return "cannot find the path of this model.so to locate its weights";
  std::string path = std::string(info.dli_fname) + ".weights";
  int file = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (file < 0)
    return "cannot open the model's weights file '" + path +
           "': " + std::strerror(errno);
  struct stat status;
  std::string problem;
  if (fstat(file, &status) != 0)
    problem = std::string("cannot read it: ") + std::strerror(errno);
  else if (size_t(status.st_size) != size)
    problem = "it holds " + std::to_string(status.st_size) +
              " bytes; this model.so was built with " + std::to_string(size);
  void *mapped = MAP_FAILED;
  if (problem.empty() && size) {
    mapped = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, file, 0);
    if (mapped == MAP_FAILED)
      problem = std::string("cannot map it: ") + std::strerror(errno);
  }
  close(file);
  if (!problem.empty())
    return "weights file '" + path + "': " + problem;
  if (!size)
    return "";
  bytes = static_cast<const uint8_t *>(mapped);
  length = size;
  if (hashWeights(bytes, size) != hash)
    return "weights file '" + path +
           "' does not belong to this model.so (its contents differ from "
           "the weights it was built with)";
  return "";
}
