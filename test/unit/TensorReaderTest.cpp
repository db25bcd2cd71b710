//===- TensorReaderTest.cpp - ONNX tensor payloads -> attributes ----------===//

#include "lib/Import/ONNX/ONNXInternals.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"
#include <gtest/gtest.h>

using namespace mlir;
using namespace qcc::onnx_import;

namespace {

class TensorReaderTest : public ::testing::Test {
protected:
  void SetUp() override {
    context.loadDialect<qcc::QccDialect>();
    ASSERT_FALSE(
        llvm::sys::fs::createUniqueDirectory("qcc-tensors", directory));
  }
  void TearDown() override { llvm::sys::fs::remove_directories(directory); }

  /// Reads `tensor`, recording any diagnostic in `errors`.
  FailureOr<ElementsAttr> read(const onnx::TensorProto &tensor) {
    ScopedDiagnosticHandler capture(&context, [&](Diagnostic &diag) {
      errors += diag.str();
      return success();
    });
    TensorReader reader{std::string(directory)};
    return reader.read(&context, tensor,
                       [&] { return emitError(UnknownLoc::get(&context)); });
  }

  /// The bytes behind a resource attribute.
  static ArrayRef<char> blobBytes(ElementsAttr attr) {
    return cast<DenseResourceElementsAttr>(attr)
        .getRawHandle()
        .getBlob()
        ->getData();
  }

  MLIRContext context;
  llvm::SmallString<128> directory;
  std::string errors;
};

onnx::TensorProto makeTensor(const std::string &name, int32_t type,
                             std::initializer_list<int64_t> dims) {
  onnx::TensorProto tensor;
  tensor.set_name(name);
  tensor.set_data_type(type);
  for (int64_t dim : dims)
    tensor.add_dims(dim);
  return tensor;
}

TEST_F(TensorReaderTest, SmallTensorsAreInlineDense) {
  onnx::TensorProto tensor = makeTensor("shape", 7, {3});
  for (int64_t v : {2, -1, 64})
    tensor.add_int64_data(v);
  FailureOr<ElementsAttr> attr = read(tensor);
  ASSERT_TRUE(succeeded(attr)) << errors;
  auto dense = cast<DenseIntElementsAttr>(*attr);
  EXPECT_EQ(llvm::to_vector(dense.getValues<int64_t>()),
            (SmallVector<int64_t>{2, -1, 64}));
}

TEST_F(TensorReaderTest, LargeTensorsAreResourcesWithTheSameBytes) {
  onnx::TensorProto tensor = makeTensor("layer/weight:0", 1, {4, 8});
  std::vector<float> values(32);
  for (size_t i = 0; i < values.size(); ++i)
    values[i] = 0.25f * i - 3.0f;
  tensor.set_raw_data(values.data(), values.size() * sizeof(float));
  FailureOr<ElementsAttr> attr = read(tensor);
  ASSERT_TRUE(succeeded(attr)) << errors;
  auto resource = cast<DenseResourceElementsAttr>(*attr);
  EXPECT_EQ(resource.getRawHandle().getKey(), "layer_weight_0");
  ArrayRef<char> bytes = blobBytes(*attr);
  ASSERT_EQ(bytes.size(), values.size() * sizeof(float));
  EXPECT_EQ(std::memcmp(bytes.data(), values.data(), bytes.size()), 0);
}

TEST_F(TensorReaderTest, Int4RawDataIsUnpackedAndSignExtended) {
  // Elements 1, -1, 7, -8, 3 packed low nibble first.
  onnx::TensorProto tensor = makeTensor("q", 22, {5});
  const char packed[] = {static_cast<char>(0xF1), static_cast<char>(0x87),
                         0x03};
  tensor.set_raw_data(packed, sizeof(packed));
  FailureOr<ElementsAttr> attr = read(tensor);
  ASSERT_TRUE(succeeded(attr)) << errors;
  auto dense = cast<DenseIntElementsAttr>(*attr);
  SmallVector<int64_t> values;
  for (const APInt &v : dense.getValues<APInt>())
    values.push_back(v.getSExtValue());
  EXPECT_EQ(values, (SmallVector<int64_t>{1, -1, 7, -8, 3}));
}

TEST_F(TensorReaderTest, Float16BitsComeFromInt32Data) {
  onnx::TensorProto tensor = makeTensor("h", 10, {2});
  tensor.add_int32_data(0x3C00); // 1.0
  tensor.add_int32_data(0xC000); // -2.0
  FailureOr<ElementsAttr> attr = read(tensor);
  ASSERT_TRUE(succeeded(attr)) << errors;
  auto values = cast<DenseFPElementsAttr>(*attr).getValues<APFloat>();
  EXPECT_EQ(values[0].convertToDouble(), 1.0);
  EXPECT_EQ(values[1].convertToDouble(), -2.0);
}

TEST_F(TensorReaderTest, Float8TypesAreReadByCode) {
  onnx::TensorProto tensor = makeTensor("f8", 17, {1});
  tensor.set_raw_data(std::string(1, 0x38)); // 1.0 in e4m3fn
  FailureOr<ElementsAttr> attr = read(tensor);
  ASSERT_TRUE(succeeded(attr)) << errors;
  EXPECT_TRUE(isa<Float8E4M3FNType>(attr->getElementType()));
  EXPECT_EQ((*cast<DenseFPElementsAttr>(*attr).value_begin<APFloat>())
                .convertToDouble(),
            1.0);
}

TEST_F(TensorReaderTest, ExternalDataIsReadFromTheModelDirectory) {
  std::vector<float> values(64);
  for (size_t i = 0; i < values.size(); ++i)
    values[i] = static_cast<float>(i) * 0.5f;
  llvm::SmallString<128> path(directory);
  llvm::sys::path::append(path, "weights.bin");
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    ASSERT_FALSE(ec);
    os << "padding!"; // the tensor starts at offset 8
    os.write(reinterpret_cast<const char *>(values.data()),
             values.size() * sizeof(float));
  }
  onnx::TensorProto tensor = makeTensor("w", 1, {8, 8});
  tensor.set_data_location(onnx::TensorProto::EXTERNAL);
  auto addEntry = [&](const char *key, const std::string &value) {
    auto *entry = tensor.add_external_data();
    entry->set_key(key);
    entry->set_value(value);
  };
  addEntry("location", "weights.bin");
  addEntry("offset", "8");
  addEntry("length", std::to_string(values.size() * sizeof(float)));
  FailureOr<ElementsAttr> attr = read(tensor);
  ASSERT_TRUE(succeeded(attr)) << errors;
  ArrayRef<char> bytes = blobBytes(*attr);
  ASSERT_EQ(bytes.size(), values.size() * sizeof(float));
  EXPECT_EQ(std::memcmp(bytes.data(), values.data(), bytes.size()), 0);
}

TEST_F(TensorReaderTest, ExternalDataProblemsAreDiagnosed) {
  onnx::TensorProto tensor = makeTensor("w", 1, {8, 8});
  tensor.set_data_location(onnx::TensorProto::EXTERNAL);
  auto *location = tensor.add_external_data();
  location->set_key("location");
  location->set_value("missing.bin");
  EXPECT_TRUE(failed(read(tensor)));
  EXPECT_NE(errors.find("cannot open external data file"), std::string::npos)
      << errors;

  errors.clear();
  location->set_value("../outside.bin");
  EXPECT_TRUE(failed(read(tensor)));
  EXPECT_NE(errors.find("not a path inside the model's directory"),
            std::string::npos)
      << errors;
}

TEST_F(TensorReaderTest, PayloadSizeMismatchIsDiagnosed) {
  onnx::TensorProto tensor = makeTensor("w", 1, {4, 8});
  tensor.set_raw_data(std::string(12, '\0'));
  EXPECT_TRUE(failed(read(tensor)));
  EXPECT_NE(errors.find("has 12 bytes of data"), std::string::npos) << errors;
}

TEST_F(TensorReaderTest, UnsupportedElementTypesAreDiagnosed) {
  onnx::TensorProto tensor = makeTensor("s", 8, {1});
  tensor.add_string_data("text");
  EXPECT_TRUE(failed(read(tensor)));
  EXPECT_NE(errors.find("STRING"), std::string::npos) << errors;
}

} // namespace
