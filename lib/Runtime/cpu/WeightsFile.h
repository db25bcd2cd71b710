//===- WeightsFile.h - a model's weights beside its model.so -----*- C++
//-*-===//
//
// `qcc --external-weights` writes the weight blob to `<model.so>.weights`
// instead of embedding it (models whose weights should not live in the
// library: large ones, ones shipped apart). The .so records the blob's size
// and hash; qcc_model_create maps the file read-only and refuses one of
// another size or hash.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_RUNTIME_CPU_WEIGHTSFILE_H
#define QCC_RUNTIME_CPU_WEIGHTSFILE_H

#include <cstddef>
#include <cstdint>
#include <string>

namespace qcc::rt {

/// A 64-bit hash of the blob (eight bytes a step; not cryptographic: it
/// tells a stale or foreign weights file from the right one).
uint64_t hashWeights(const uint8_t *bytes, size_t size);

/// A weights file mapped into memory, unmapped on destruction.
class MappedWeights {
public:
  MappedWeights() = default;
  MappedWeights(const MappedWeights &) = delete;
  MappedWeights &operator=(const MappedWeights &) = delete;
  ~MappedWeights();

  /// Maps the file beside the shared object that holds this code; an
  /// empty string on success, else what is wrong (naming the file).
  std::string map(size_t size, uint64_t hash);
  const uint8_t *data() const { return bytes; }

private:
  const uint8_t *bytes = nullptr;
  size_t length = 0;
};

} // namespace qcc::rt

#endif // QCC_RUNTIME_CPU_WEIGHTSFILE_H
