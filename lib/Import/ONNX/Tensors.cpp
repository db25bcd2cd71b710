//===- Tensors.cpp - ONNX element types and tensor payloads ---------------===//
//
// Element types are matched by their numeric TensorProto.DataType codes, so
// codes newer than the ONNX library's schema (float8, int4, float4) are read
// too. Payloads become inline `dense` attributes when small and
// `dense_resource` blobs otherwise; external data is memory-mapped.
//
//===----------------------------------------------------------------------===//

#include "ONNXInternals.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

using namespace mlir;
using namespace qcc::onnx_import;

namespace {
/// TensorProto.DataType codes (onnx.proto; 17 and above postdate ONNX 1.12).
enum DataType : int32_t {
  kFloat = 1,
  kUint8 = 2,
  kInt8 = 3,
  kUint16 = 4,
  kInt16 = 5,
  kInt32 = 6,
  kInt64 = 7,
  kString = 8,
  kBool = 9,
  kFloat16 = 10,
  kDouble = 11,
  kUint32 = 12,
  kUint64 = 13,
  kComplex64 = 14,
  kComplex128 = 15,
  kBfloat16 = 16,
  kFloat8E4M3FN = 17,
  kFloat8E4M3FNUZ = 18,
  kFloat8E5M2 = 19,
  kFloat8E5M2FNUZ = 20,
  kUint4 = 21,
  kInt4 = 22,
  kFloat4E2M1 = 23,
  kFloat8E8M0 = 24,
};
} // namespace

/// Tensors with at most this many elements are inline `dense` attributes.
static constexpr int64_t kMaxInlineElements = 16;

Type qcc::onnx_import::getElementType(MLIRContext *context, int32_t code) {
  Builder b(context);
  auto unsignedInt = [&](unsigned width) {
    return IntegerType::get(context, width, IntegerType::Unsigned);
  };
  switch (code) {
  case kFloat:
    return b.getF32Type();
  case kUint8:
    return unsignedInt(8);
  case kInt8:
    return b.getIntegerType(8);
  case kUint16:
    return unsignedInt(16);
  case kInt16:
    return b.getIntegerType(16);
  case kInt32:
    return b.getIntegerType(32);
  case kInt64:
    return b.getIntegerType(64);
  case kBool:
    return b.getI1Type();
  case kFloat16:
    return b.getF16Type();
  case kDouble:
    return b.getF64Type();
  case kUint32:
    return unsignedInt(32);
  case kUint64:
    return unsignedInt(64);
  case kBfloat16:
    return b.getBF16Type();
  case kFloat8E4M3FN:
    return b.getType<Float8E4M3FNType>();
  case kFloat8E4M3FNUZ:
    return b.getType<Float8E4M3FNUZType>();
  case kFloat8E5M2:
    return b.getType<Float8E5M2Type>();
  case kFloat8E5M2FNUZ:
    return b.getType<Float8E5M2FNUZType>();
  case kUint4:
    return unsignedInt(4);
  case kInt4:
    return b.getIntegerType(4);
  case kFloat4E2M1:
    return b.getType<Float4E2M1FNType>();
  case kFloat8E8M0:
    return b.getType<Float8E8M0FNUType>();
  default:
    return nullptr;
  }
}

std::string qcc::onnx_import::getDataTypeName(int32_t code) {
  static const char *names[] = {
      "UNDEFINED",      "FLOAT",        "UINT8",          "INT8",
      "UINT16",         "INT16",        "INT32",          "INT64",
      "STRING",         "BOOL",         "FLOAT16",        "DOUBLE",
      "UINT32",         "UINT64",       "COMPLEX64",      "COMPLEX128",
      "BFLOAT16",       "FLOAT8E4M3FN", "FLOAT8E4M3FNUZ", "FLOAT8E5M2",
      "FLOAT8E5M2FNUZ", "UINT4",        "INT4",           "FLOAT4E2M1",
      "FLOAT8E8M0"};
  if (code >= 0 && code < static_cast<int32_t>(std::size(names)))
    return names[code];
  return "data type " + std::to_string(code);
}

/// Bytes per element in MLIR's dense storage (sub-byte types take a byte).
static size_t storageBytes(Type type) {
  return std::max<size_t>(1, (type.getIntOrFloatBitWidth() + 7) / 8);
}

/// Bytes a tensor of `count` elements of `type` occupies in ONNX raw_data
/// (4-bit types pack two elements per byte).
static size_t rawBytes(Type type, int64_t count) {
  unsigned width = type.getIntOrFloatBitWidth();
  return width == 4 ? (count + 1) / 2 : count * storageBytes(type);
}

/// Unpacks ONNX's two-per-byte 4-bit payload (low nibble first) into one
/// element per byte, sign-extending signed int4.
static std::vector<char> unpackNibbles(ArrayRef<char> packed, int64_t count,
                                       bool isSigned) {
  std::vector<char> out(count);
  for (int64_t i = 0; i < count; ++i) {
    uint8_t byte = static_cast<uint8_t>(packed[i / 2]);
    uint8_t nibble = i % 2 ? byte >> 4 : byte & 0xF;
    out[i] =
        static_cast<char>(isSigned && (nibble & 0x8) ? nibble | 0xF0 : nibble);
  }
  return out;
}

/// The payload of the typed repeated fields (float_data, int32_data, ...) in
/// MLIR's dense storage layout.
static FailureOr<std::vector<char>>
typedFieldBytes(const onnx::TensorProto &tensor, Type type, int64_t count) {
  size_t width = storageBytes(type);
  std::vector<char> out(count * width);
  auto copyEach = [&](const auto &field, auto convert) -> LogicalResult {
    if (static_cast<int64_t>(field.size()) != count)
      return failure();
    for (int64_t i = 0; i < count; ++i) {
      auto value = convert(field.Get(i));
      std::memcpy(&out[i * width], &value, width);
    }
    return success();
  };
  auto same = [](auto v) { return v; };
  LogicalResult ok = failure();
  switch (tensor.data_type()) {
  case kFloat:
    ok = copyEach(tensor.float_data(), same);
    break;
  case kDouble:
    ok = copyEach(tensor.double_data(), same);
    break;
  case kInt64:
    ok = copyEach(tensor.int64_data(), same);
    break;
  case kUint32:
  case kUint64:
    ok = copyEach(tensor.uint64_data(), same);
    break;
  case kInt4:
  case kUint4: {
    // Two elements per int32 entry, low nibble first.
    std::vector<char> packed;
    for (int32_t word : tensor.int32_data())
      packed.push_back(static_cast<char>(word & 0xFF));
    if (static_cast<int64_t>(packed.size()) != (count + 1) / 2)
      return failure();
    return unpackNibbles(packed, count, tensor.data_type() == kInt4);
  }
  default:
    // int32_data carries every narrower type, floats as their bit patterns.
    ok = copyEach(tensor.int32_data(), same);
  }
  if (failed(ok))
    return failure();
  return out;
}

/// Memory-maps `length` bytes at `offset` of an external data file.
static FailureOr<std::unique_ptr<llvm::MemoryBuffer>>
mapExternal(StringRef path, uint64_t offset, uint64_t length,
            llvm::function_ref<InFlightDiagnostic()> emitError) {
  uint64_t size = 0;
  if (std::error_code ec = llvm::sys::fs::file_size(path, size))
    return emitError() << "cannot open external data file '" << path
                       << "': " << ec.message();
  if (offset > size || length > size - offset)
    return emitError() << "external data file '" << path << "' has " << size
                       << " bytes; the tensor needs " << length
                       << " bytes at offset " << offset;
  auto buffer = llvm::MemoryBuffer::getFileSlice(path, length, offset,
                                                 /*IsVolatile=*/false);
  if (!buffer)
    return emitError() << "cannot map external data file '" << path
                       << "': " << buffer.getError().message();
  return std::move(*buffer);
}

FailureOr<ElementsAttr>
TensorReader::read(MLIRContext *context, const onnx::TensorProto &tensor,
                   llvm::function_ref<InFlightDiagnostic()> emitError) const {
  Type elementType = getElementType(context, tensor.data_type());
  if (!elementType)
    return emitError() << "tensor '" << tensor.name() << "' has element type "
                       << getDataTypeName(tensor.data_type())
                       << ", which qcc does not support";
  SmallVector<int64_t> shape(tensor.dims().begin(), tensor.dims().end());
  if (llvm::any_of(shape, [](int64_t d) { return d < 0; }))
    return emitError() << "tensor '" << tensor.name()
                       << "' has a negative dimension";
  auto type = RankedTensorType::get(shape, elementType);
  int64_t count = type.getNumElements();
  size_t width = storageBytes(elementType);
  bool isNibble = elementType.getIntOrFloatBitWidth() == 4;
  bool isSigned =
      elementType.isSignedInteger() || elementType.isSignlessInteger();

  // The payload in MLIR's storage layout: either borrowed (mapped file) or
  // owned (copied, converted or unpacked).
  std::unique_ptr<llvm::MemoryBuffer> mapped;
  ArrayRef<char> bytes;
  std::vector<char> owned;
  if (tensor.data_location() == onnx::TensorProto::EXTERNAL) {
    std::string location;
    uint64_t offset = 0, length = rawBytes(elementType, count);
    for (const auto &entry : tensor.external_data()) {
      if (entry.key() == "location")
        location = entry.value();
      else if (entry.key() == "offset")
        offset = std::strtoull(entry.value().c_str(), nullptr, 10);
      else if (entry.key() == "length" &&
               std::strtoull(entry.value().c_str(), nullptr, 10) != length)
        return emitError() << "external tensor '" << tensor.name()
                           << "' declares length " << entry.value()
                           << " but its type needs " << length << " bytes";
    }
    if (location.empty() || llvm::sys::path::is_absolute(location) ||
        llvm::is_contained(llvm::make_range(llvm::sys::path::begin(location),
                                            llvm::sys::path::end(location)),
                           ".."))
      return emitError() << "external tensor '" << tensor.name()
                         << "' has location '" << location
                         << "', which is not a path inside the model's "
                            "directory";
    SmallString<256> path(modelDirectory);
    llvm::sys::path::append(path, location);
    FailureOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
        mapExternal(path, offset, length, emitError);
    if (failed(buffer))
      return failure();
    mapped = std::move(*buffer);
    bytes = ArrayRef<char>(mapped->getBufferStart(), mapped->getBufferSize());
  } else if (tensor.has_raw_data()) {
    const std::string &raw = tensor.raw_data();
    if (raw.size() != rawBytes(elementType, count))
      return emitError() << "tensor '" << tensor.name() << "' has "
                         << raw.size() << " bytes of data; its type " << type
                         << " needs " << rawBytes(elementType, count);
    bytes = ArrayRef<char>(raw.data(), raw.size());
  } else {
    FailureOr<std::vector<char>> converted =
        typedFieldBytes(tensor, elementType, count);
    if (failed(converted))
      return emitError() << "tensor '" << tensor.name()
                         << "' has no data matching its type " << type;
    owned = std::move(*converted);
    bytes = owned;
    isNibble = false;
  }
  if (isNibble) {
    owned = unpackNibbles(bytes, count, isSigned);
    bytes = owned;
    mapped.reset();
  }

  if (count <= kMaxInlineElements && elementType.isInteger(1)) {
    SmallVector<bool> values;
    for (char byte : bytes)
      values.push_back(byte != 0);
    return cast<ElementsAttr>(DenseElementsAttr::get(type, values));
  }
  if (count <= kMaxInlineElements) {
    bool detectedSplat = false;
    if (!DenseElementsAttr::isValidRawBuffer(type, bytes, detectedSplat))
      return emitError() << "tensor '" << tensor.name()
                         << "' has a payload that does not match " << type;
    return cast<ElementsAttr>(DenseElementsAttr::getFromRawBuffer(type, bytes));
  }

  std::string key = tensor.name().empty() ? "tensor" : tensor.name();
  for (char &c : key)
    if (!llvm::isAlnum(c) && c != '_' && c != '.')
      c = '_';

  // External weights are not copied: the mapped file stays alive for as long
  // as the blob, when the bytes are aligned for the element type. Inline
  // payloads are copied (the importer then frees them from the protobuf).
  // Both declare the element size as alignment, so the printed IR does not
  // depend on where the weights were stored.
  bool aligned = reinterpret_cast<uintptr_t>(bytes.data()) % width == 0;
  AsmResourceBlob blob;
  if (mapped && aligned) {
    blob = AsmResourceBlob(
        bytes, width,
        [buffer = std::move(mapped)](void *, size_t, size_t) mutable {
          buffer.reset();
        },
        /*dataIsMutable=*/false);
  } else {
    blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, width);
  }
  return cast<ElementsAttr>(
      DenseResourceElementsAttr::get(type, key, std::move(blob)));
}
