/*===- runtime.h - the C ABI of a model compiled by qcc -----------*- C -*-===*
 *
 * A generated model.so exports these functions. A service loads it with
 * dlopen, checks qcc_abi_version() against QCC_ABI_VERSION, creates a model
 * and runs it on its own buffers:
 *
 *   qcc_model *model;
 *   if (qcc_model_create(QCC_ABI_VERSION, &model) != QCC_OK)
 *     fprintf(stderr, "%s\n", qcc_model_error(NULL));
 *   qcc_tensor in = {tokens, QCC_I64, 2, dims, sizeof tokens};
 *   qcc_tensor out = {logits, QCC_F32, 3, out_dims, sizeof logits};
 *   if (qcc_model_run(model, &in, 1, &out, 1) != QCC_OK)
 *     fprintf(stderr, "%s\n", qcc_model_error(model));
 *   qcc_model_destroy(model);
 *
 * No function aborts the host: every failure is a status and a message.
 * A model is not thread-safe; create one per thread (weights are shared).
 *
 *===----------------------------------------------------------------------===*/

#ifndef QCC_RUNTIME_H
#define QCC_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What a model.so exports; everything else in it is hidden. */
#if defined(__GNUC__)
#define QCC_EXPORT __attribute__((visibility("default")))
#else
#define QCC_EXPORT
#endif

/* Bumped whenever a declaration below changes meaning or layout. */
#define QCC_ABI_VERSION 1

typedef enum qcc_status {
  QCC_OK = 0,
  /* A wrong argument: input count, name, dtype, rank or dimension. */
  QCC_ERROR_INVALID_ARGUMENT = 1,
  /* The caller was built against another QCC_ABI_VERSION. */
  QCC_ERROR_ABI_VERSION = 2,
  /* This CPU lacks an instruction set the model was compiled for. */
  QCC_ERROR_UNSUPPORTED_CPU = 3,
  /* An output buffer is smaller than the output; nothing was written. */
  QCC_ERROR_BUFFER_TOO_SMALL = 4,
  QCC_ERROR_OUT_OF_MEMORY = 5,
  /* A kernel refused its operands (the message names the ONNX node). */
  QCC_ERROR_RUNTIME = 6,
  /* A model built for a GPU found none it can run on (sm90 models need a
   * Hopper GPU of compute capability 9.0). */
  QCC_ERROR_UNSUPPORTED_DEVICE = 7,
  /* A model built with external weights cannot use its weights file
   * (<model.so>.weights): missing, or of another build. */
  QCC_ERROR_WEIGHTS = 8,
} qcc_status;

/* Element types of inputs and outputs (row-major, dense). */
typedef enum qcc_dtype {
  QCC_F32 = 1,
  QCC_I64 = 2,
  QCC_BOOL = 3, /* one byte, 0 or 1 */
} qcc_dtype;

typedef struct qcc_model qcc_model;

/* An input or output as the model declares it. A dimension of -1 is
 * symbolic: dim_names[i] names it (dimensions that share a name must be
 * equal at run time); a fixed dimension has a NULL name. */
typedef struct qcc_tensor_info {
  const char *name;
  qcc_dtype dtype;
  int32_t rank;
  const int64_t *dims;
  const char *const *dim_names;
} qcc_tensor_info;

/* A caller's buffer. For an input, `dims` are its dimensions. For an
 * output, `dims` points at `rank` entries that the run fills in, and
 * `capacity` is the buffer's size in bytes. */
typedef struct qcc_tensor {
  void *data;
  qcc_dtype dtype;
  int32_t rank;
  int64_t *dims;
  size_t capacity;
} qcc_tensor;

/* The QCC_ABI_VERSION this model.so was built with. */
QCC_EXPORT uint32_t qcc_abi_version(void);

/* Creates a model; `abi_version` is the caller's QCC_ABI_VERSION. On
 * failure *model is NULL and qcc_model_error(NULL) says why. */
QCC_EXPORT qcc_status qcc_model_create(uint32_t abi_version, qcc_model **model);
QCC_EXPORT void qcc_model_destroy(qcc_model *model);

QCC_EXPORT size_t qcc_model_num_inputs(const qcc_model *model);
QCC_EXPORT size_t qcc_model_num_outputs(const qcc_model *model);
QCC_EXPORT qcc_status qcc_model_input_info(const qcc_model *model, size_t index,
                                qcc_tensor_info *info);
QCC_EXPORT qcc_status qcc_model_output_info(const qcc_model *model, size_t index,
                                 qcc_tensor_info *info);

/* Metadata by key: "scheme", "target", "qcc_version", and "layers" (a
 * JSON array of {"node", "weight_format", "activation_format",
 * "group_size"} per linear). NULL for an unknown key. */
QCC_EXPORT const char *qcc_model_metadata(const qcc_model *model, const char *key);

/* Runs the model on the inputs in declaration order. A model built for a
 * GPU (metadata "target" sm90) takes input and output buffers in host or
 * device memory alike (of the GPU it runs on) and keeps its outputs on
 * the device; qcc_model_result shows host copies. With output buffers
 * (num_outputs equal to the model's), writes every output into them; with
 * none (NULL, 0), keeps the outputs for qcc_model_result. Either way the
 * outputs stay readable through qcc_model_result until the next run, also
 * after QCC_ERROR_BUFFER_TOO_SMALL. */
QCC_EXPORT qcc_status qcc_model_run(qcc_model *model, const qcc_tensor *inputs,
                                    size_t num_inputs, qcc_tensor *outputs,
                                    size_t num_outputs);

/* A view of output `index` of the last successful run: data, dtype, rank
 * and dims are the model's (valid until the next run or destroy);
 * capacity is the output's size in bytes. */
QCC_EXPORT qcc_status qcc_model_result(const qcc_model *model, size_t index,
                                       qcc_tensor *view);

/* The message of the model's last failure ("" if none); with NULL, that of
 * the calling thread's last failed qcc_model_create. */
QCC_EXPORT const char *qcc_model_error(const qcc_model *model);

#ifdef __cplusplus
}
#endif

#endif /* QCC_RUNTIME_H */
