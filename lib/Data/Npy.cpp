//===- Npy.cpp - the NumPy .npy format ------------------------------------===//

#include "qcc/Data/TensorFiles.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FormatVariadic.h"
#include <cstring>

using namespace qcc;
using llvm::StringRef;

static constexpr StringRef kMagic("\x93NUMPY", 6);

static llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// The value of `key` in the header dict, e.g. `'descr': '<f4'` -> `'<f4'`.
static StringRef headerValue(StringRef header, StringRef key) {
  size_t at = header.find(("'" + key + "'").str());
  if (at == StringRef::npos)
    return "";
  StringRef rest = header.drop_front(at + key.size() + 2).ltrim(" :");
  if (rest.starts_with("("))
    return rest.take_until([](char c) { return c == ')'; }).drop_front();
  if (rest.starts_with("'"))
    return rest.drop_front().take_until([](char c) { return c == '\''; });
  return rest.take_until([](char c) { return c == ',' || c == '}'; }).trim();
}

llvm::Expected<HostTensor> qcc::parseNpy(StringRef bytes) {
  if (!bytes.starts_with(kMagic) || bytes.size() < 10)
    return fail("not a .npy array (bad magic)");
  uint8_t major = bytes[6];
  size_t lengthBytes = major == 1 ? 2 : 4;
  if (bytes.size() < 8 + lengthBytes)
    return fail("truncated .npy header");
  uint32_t headerLength =
      lengthBytes == 2 ? llvm::support::endian::read16le(bytes.data() + 8)
                       : llvm::support::endian::read32le(bytes.data() + 8);
  size_t dataStart = 8 + lengthBytes + headerLength;
  if (bytes.size() < dataStart)
    return fail("truncated .npy header");
  StringRef header = bytes.slice(8 + lengthBytes, dataStart);

  StringRef descr = headerValue(header, "descr");
  if (headerValue(header, "fortran_order") != "False")
    return fail("Fortran-ordered arrays are not supported; save with "
                "np.ascontiguousarray");
  if (descr.size() < 3 || descr[0] == '>')
    return fail("dtype '" + descr + "' is not supported (big-endian?)");
  char typeCode = descr[1];
  unsigned width = 0;
  if (descr.drop_front(2).getAsInteger(10, width))
    return fail("dtype '" + descr + "' is not supported");

  llvm::SmallVector<int64_t, 4> shape;
  llvm::SmallVector<StringRef, 4> dims;
  headerValue(header, "shape").split(dims, ',', -1, /*KeepEmpty=*/false);
  for (StringRef dim : dims) {
    int64_t size;
    if (dim.trim().empty())
      continue;
    if (dim.trim().getAsInteger(10, size) || size < 0)
      return fail("bad shape in .npy header: " + header);
    shape.push_back(size);
  }

  ElementKind kind;
  if (typeCode == 'f' && (width == 2 || width == 4 || width == 8))
    kind = ElementKind::F32;
  else if ((typeCode == 'i' || typeCode == 'u') &&
           (width == 1 || width == 2 || width == 4 || width == 8))
    kind = ElementKind::I64;
  else if (typeCode == 'b' && width == 1)
    kind = ElementKind::Bool;
  else
    return fail("dtype '" + descr + "' is not supported");

  HostTensor tensor(kind, shape);
  int64_t count = tensor.numElements();
  if (bytes.size() - dataStart < static_cast<size_t>(count) * width)
    return fail(llvm::formatv("the array needs {0} bytes of data, the file "
                              "has {1}",
                              count * width, bytes.size() - dataStart));
  const char *data = bytes.data() + dataStart;
  for (int64_t i = 0; i < count; ++i) {
    const char *element = data + i * width;
    switch (kind) {
    case ElementKind::F32: {
      float value;
      if (width == 4) {
        std::memcpy(&value, element, 4);
      } else if (width == 8) {
        double wide;
        std::memcpy(&wide, element, 8);
        value = static_cast<float>(wide);
      } else {
        value = static_cast<float>(
            llvm::APFloat(
                llvm::APFloat::IEEEhalf(),
                llvm::APInt(16, llvm::support::endian::read16le(element)))
                .convertToDouble());
      }
      tensor.mutableValues<float>()[i] = value;
      break;
    }
    case ElementKind::I64: {
      uint64_t raw = 0;
      std::memcpy(&raw, element, width);
      llvm::APInt bits(width * 8, raw);
      tensor.mutableValues<int64_t>()[i] =
          typeCode == 'i' ? bits.getSExtValue() : bits.getZExtValue();
      break;
    }
    case ElementKind::Bool:
      tensor.mutableValues<uint8_t>()[i] = *element != 0;
      break;
    }
  }
  return tensor;
}

std::string qcc::serializeNpy(const HostTensor &tensor) {
  StringRef descr = tensor.kind() == ElementKind::F32   ? "<f4"
                    : tensor.kind() == ElementKind::I64 ? "<i8"
                                                        : "|b1";
  // NumPy's tuple syntax: "()", "(4,)", "(2, 3)".
  std::string shape;
  for (auto [i, dim] : llvm::enumerate(tensor.shape()))
    shape += (i ? ", " : "") + std::to_string(dim);
  if (tensor.rank() == 1)
    shape += ",";
  std::string header =
      ("{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + shape +
       "), }")
          .str();
  // Pad with spaces so that the data starts 64-byte aligned, ending in '\n'.
  size_t total = kMagic.size() + 4 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header.push_back('\n');
  std::string out(kMagic);
  out.push_back(1);
  out.push_back(0);
  out.push_back(static_cast<char>(header.size() & 0xFF));
  out.push_back(static_cast<char>(header.size() >> 8));
  out += header;
  out.append(tensor.data(), tensor.sizeInBytes());
  return out;
}
