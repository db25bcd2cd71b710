//===- Session.cpp - one run of a generated model -------------------------===//

#include "Ops.h"

using namespace qcc::rt;

void Session::fail(const char *node, const std::string &reason) {
  if (error.empty())
    error = std::string("node \"") + node + "\": " + reason;
}

Tensor qcc::rt::input(Session *s, int64_t index) { return s->input(index); }

void qcc::rt::output(Session *s, int64_t index, const Tensor &value) {
  if (!s->failed())
    s->setOutput(index, value);
}

Tensor qcc::rt::weight(Session *s, int64_t offset, DType dtype, Shape shape) {
  return Tensor::borrow(dtype, std::move(shape), s->weights() + offset);
}
