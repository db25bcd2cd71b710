//===- OptionsTest.cpp - qcc option parsing and validation ----------------===//

#include "qcc/Pipeline/Options.h"
#include "llvm/Support/FileSystem.h"
#include <gtest/gtest.h>

using namespace qcc;

namespace {

TEST(Options, ParsesEverySpellingAndRoundTrips) {
  for (llvm::StringRef name :
       {"w4a16", "w8a8", "w4a8", "w4a4", "fp8", "fp4", "mxfp4", "nvfp4"})
    EXPECT_EQ(stringify(*parseScheme(name)), name);
  EXPECT_EQ(parseTarget("host"), Target::X86);
  EXPECT_EQ(parseTarget("sm90"), Target::SM90);
  EXPECT_FALSE(parseTarget("sm80"));
  EXPECT_FALSE(parseScheme("int4"));
  EXPECT_EQ(parseEmitStage("mlir-quant"), EmitStage::MlirQuant);
}

class ValidateTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_FALSE(llvm::sys::fs::createTemporaryFile("model", "onnx", model));
    options.inputPath = std::string(model);
  }
  void TearDown() override { llvm::sys::fs::remove(model); }

  llvm::SmallString<128> model;
  CompileOptions options;
};

TEST_F(ValidateTest, AcceptsDefaults) { EXPECT_FALSE(validate(options)); }

TEST_F(ValidateTest, RejectsMissingInput) {
  options.inputPath = "/nonexistent/model.onnx";
  EXPECT_NE(validate(options)->find("does not exist"), std::string::npos);
}

TEST_F(ValidateTest, RejectsGroupSizesTheSchemeCannotUse) {
  options.groupSize = 100;
  EXPECT_TRUE(validate(options));
  options.scheme = Scheme::MXFP4;
  options.groupSize = 64;
  EXPECT_NE(validate(options)->find("fixes the group size at 32"),
            std::string::npos);
  options.scheme = Scheme::W8A8;
  options.groupSize = 128;
  EXPECT_NE(validate(options)->find("per channel"), std::string::npos);
  options.groupSize = kPerChannelGroup;
  EXPECT_FALSE(validate(options));
}

TEST_F(ValidateTest, RejectsInvalidKeepFloatRegex) {
  options.keepFloat = "lm_head(";
  EXPECT_NE(validate(options)->find("not a valid regular expression"),
            std::string::npos);
}

TEST_F(ValidateTest, RejectsMissingCalibrationData) {
  options.calibrationData = "/nonexistent/calib.npz";
  EXPECT_NE(validate(options)->find("calibration data"), std::string::npos);
}

} // namespace
