//===- NpyTest.cpp - the .npy format
//---------------------------------------===//

#include "qcc/Data/TensorFiles.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include <gtest/gtest.h>

using namespace qcc;

namespace {

/// A .npy payload with the given header dict and raw data.
std::string npy(const std::string &dict, const std::string &data) {
  std::string header = dict;
  while ((10 + header.size() + 1) % 64)
    header += ' ';
  header += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  out += static_cast<char>(header.size() & 0xFF);
  out += static_cast<char>(header.size() >> 8);
  return out + header + data;
}

TEST(Npy, RoundTripsEveryKind) {
  HostTensor f(ElementKind::F32, {2, 3});
  for (int i = 0; i < 6; ++i)
    f.mutableValues<float>()[i] = i * 0.5f - 1.0f;
  HostTensor b(ElementKind::Bool, {4});
  b.mutableValues<uint8_t>()[2] = 1;
  HostTensor s(ElementKind::I64, {});
  s.mutableValues<int64_t>()[0] = -7;
  for (const HostTensor &tensor : {f, b, s}) {
    llvm::Expected<HostTensor> back = parseNpy(serializeNpy(tensor));
    ASSERT_TRUE(bool(back)) << llvm::toString(back.takeError());
    EXPECT_EQ(back->kind(), tensor.kind());
    EXPECT_EQ(back->shape(), tensor.shape());
    EXPECT_EQ(std::string(back->data(), back->sizeInBytes()),
              std::string(tensor.data(), tensor.sizeInBytes()));
  }
}

TEST(Npy, WidensNarrowAndWideTypes) {
  // float16 1.0 and -2.0; float64 0.25; int32 -3; uint8 200.
  auto half =
      parseNpy(npy("{'descr': '<f2', 'fortran_order': False, 'shape': (2,), }",
                   std::string("\x00\x3c\x00\xc0", 4)));
  ASSERT_TRUE(bool(half));
  EXPECT_EQ(half->values<float>()[0], 1.0f);
  EXPECT_EQ(half->values<float>()[1], -2.0f);
  double quarter = 0.25;
  auto wide =
      parseNpy(npy("{'descr': '<f8', 'fortran_order': False, 'shape': (), }",
                   std::string(reinterpret_cast<char *>(&quarter), 8)));
  ASSERT_TRUE(bool(wide));
  EXPECT_EQ(wide->values<float>()[0], 0.25f);
  int32_t minusThree = -3;
  auto i32 = parseNpy(
      npy("{'descr': '<i4', 'fortran_order': False, 'shape': (1, 1), }",
          std::string(reinterpret_cast<char *>(&minusThree), 4)));
  ASSERT_TRUE(bool(i32));
  EXPECT_EQ(i32->values<int64_t>()[0], -3);
  auto u8 =
      parseNpy(npy("{'descr': '|u1', 'fortran_order': False, 'shape': (1,), }",
                   std::string(1, static_cast<char>(200))));
  ASSERT_TRUE(bool(u8));
  EXPECT_EQ(u8->values<int64_t>()[0], 200);
}

TEST(Npy, RefusesWhatItCannotRead) {
  auto expectError = [](llvm::Expected<HostTensor> result,
                        const std::string &text) {
    ASSERT_FALSE(bool(result));
    std::string message = llvm::toString(result.takeError());
    EXPECT_NE(message.find(text), std::string::npos) << message;
  };
  expectError(parseNpy("PK\x03\x04 not npy"), "bad magic");
  expectError(
      parseNpy(npy("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }",
                   std::string(4, '\0'))),
      "big-endian");
  expectError(
      parseNpy(npy("{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }",
                   std::string(4, '\0'))),
      "Fortran-ordered");
  expectError(
      parseNpy(npy("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }",
                   std::string(8, '\0'))),
      "not supported");
  expectError(
      parseNpy(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }",
                   std::string(8, '\0'))),
      "needs 16 bytes");
}

TEST(Npz, WritesWhatItReads) {
  llvm::SmallString<128> directory;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("qcc-npz", directory));
  llvm::SmallString<128> path(directory);
  llvm::sys::path::append(path, "out.npz");
  HostTensor x(ElementKind::F32, {2, 2});
  x.mutableValues<float>()[3] = 3.5f;
  HostTensor ids(ElementKind::I64, {3});
  ids.mutableValues<int64_t>()[1] = 42;
  ASSERT_FALSE(bool(writeNpz(path, {{"x", x}, {"ids", ids}})));
  auto back = readTensors(path);
  ASSERT_TRUE(bool(back)) << llvm::toString(back.takeError());
  ASSERT_EQ(back->size(), 2u);
  EXPECT_EQ((*back)[0].name, "x");
  EXPECT_EQ((*back)[0].tensor.values<float>()[3], 3.5f);
  EXPECT_EQ((*back)[1].name, "ids");
  EXPECT_EQ((*back)[1].tensor.values<int64_t>()[1], 42);
  llvm::sys::fs::remove_directories(directory);
}

} // namespace
