/* A service's view of a model.so: loads it with dlopen and exercises the
 * C ABI of qcc/runtime.h, printing one line per check for FileCheck. The
 * model is the Llama block of test/models/llama_block.py. */

#include "qcc/runtime.h"
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define RESOLVE(name) name##_fn name = (name##_fn)dlsym(handle, #name)
typedef uint32_t (*qcc_abi_version_fn)(void);
typedef qcc_status (*qcc_model_create_fn)(uint32_t, qcc_model **);
typedef void (*qcc_model_destroy_fn)(qcc_model *);
typedef size_t (*qcc_model_num_inputs_fn)(const qcc_model *);
typedef qcc_status (*qcc_model_input_info_fn)(const qcc_model *, size_t,
                                              qcc_tensor_info *);
typedef const char *(*qcc_model_metadata_fn)(const qcc_model *, const char *);
typedef qcc_status (*qcc_model_run_fn)(qcc_model *, const qcc_tensor *, size_t,
                                       qcc_tensor *, size_t);
typedef qcc_status (*qcc_model_result_fn)(const qcc_model *, size_t,
                                          qcc_tensor *);
typedef const char *(*qcc_model_error_fn)(const qcc_model *);

enum { BATCH = 1, SEQ = 3, PAST = 2, TOTAL = PAST + SEQ, HIDDEN = 64 };

int main(int argc, char **argv) {
  if (argc != 2 && argc != 3) {
    printf("usage: abi_client model.so [create]\n");
    return 1;
  }
  void *handle = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    printf("dlopen failed: %s\n", dlerror());
    return 1;
  }
  RESOLVE(qcc_abi_version);
  RESOLVE(qcc_model_create);
  RESOLVE(qcc_model_destroy);
  RESOLVE(qcc_model_num_inputs);
  RESOLVE(qcc_model_input_info);
  RESOLVE(qcc_model_metadata);
  RESOLVE(qcc_model_run);
  RESOLVE(qcc_model_result);
  RESOLVE(qcc_model_error);
  printf("abi version %u\n", qcc_abi_version());

  qcc_model *model = NULL;
  qcc_status status;
  if (argc == 3 && strcmp(argv[2], "create") == 0) {
    status = qcc_model_create(QCC_ABI_VERSION, &model);
    printf("create: status %d, model %s: %s\n", status, model ? "set" : "NULL",
           qcc_model_error(NULL));
    return 0;
  }
  status = qcc_model_create(QCC_ABI_VERSION + 1, &model);
  printf("create with another version: status %d, model %s: %s\n", status,
         model ? "set" : "NULL", qcc_model_error(NULL));
  status = qcc_model_create(QCC_ABI_VERSION, &model);
  printf("create: status %d\n", status);

  size_t inputs = qcc_model_num_inputs(model);
  for (size_t i = 0; i < inputs; ++i) {
    qcc_tensor_info info;
    qcc_model_input_info(model, i, &info);
    printf("input %zu: %s dtype %d rank %d dims", i, info.name, info.dtype,
           info.rank);
    for (int d = 0; d < info.rank; ++d)
      printf(" %lld%s%s", (long long)info.dims[d], info.dim_names[d] ? ":" : "",
             info.dim_names[d] ? info.dim_names[d] : "");
    printf("\n");
  }
  printf("metadata scheme %s, target %s, unknown %s\n",
         qcc_model_metadata(model, "scheme"),
         qcc_model_metadata(model, "target"),
         qcc_model_metadata(model, "no-such-key") ? "set" : "NULL");

  static float hidden[BATCH * SEQ * HIDDEN], past[BATCH * 2 * PAST * 16],
      mask[BATCH * SEQ * TOTAL];
  static int64_t positions[BATCH * SEQ];
  for (int i = 0; i < BATCH * SEQ * HIDDEN; ++i)
    hidden[i] = sinf(0.37f * i);
  for (int i = 0; i < BATCH * 2 * PAST * 16; ++i)
    past[i] = cosf(0.11f * i);
  for (int s = 0; s < SEQ; ++s) {
    positions[s] = PAST + s;
    for (int t = 0; t < TOTAL; ++t)
      mask[s * TOTAL + t] = t <= PAST + s ? 0.0f : -1e9f;
  }
  int64_t hiddenDims[] = {BATCH, SEQ, HIDDEN}, positionDims[] = {BATCH, SEQ},
          pastDims[] = {BATCH, 2, PAST, 16},
          maskDims[] = {BATCH, 1, SEQ, TOTAL};
  qcc_tensor in[5] = {
      {hidden, QCC_F32, 3, hiddenDims, sizeof hidden},
      {positions, QCC_I64, 2, positionDims, sizeof positions},
      {past, QCC_F32, 4, pastDims, sizeof past},
      {past, QCC_F32, 4, pastDims, sizeof past},
      {mask, QCC_F32, 4, maskDims, sizeof mask},
  };
  static float out[BATCH * SEQ * HIDDEN], key[BATCH * 2 * TOTAL * 16],
      value[BATCH * 2 * TOTAL * 16];
  int64_t outDims[3], keyDims[4], valueDims[4];
  qcc_tensor outs[3] = {{out, QCC_F32, 3, outDims, sizeof out},
                        {key, QCC_F32, 4, keyDims, sizeof key},
                        {value, QCC_F32, 4, valueDims, sizeof value}};

  status = qcc_model_run(model, in, 4, outs, 3);
  printf("4 inputs: status %d: %s\n", status, qcc_model_error(model));
  in[1].dtype = QCC_F32;
  status = qcc_model_run(model, in, 5, outs, 3);
  printf("float positions: status %d: %s\n", status, qcc_model_error(model));
  in[1].dtype = QCC_I64;
  hiddenDims[2] = 63;
  status = qcc_model_run(model, in, 5, outs, 3);
  printf("hidden 63: status %d: %s\n", status, qcc_model_error(model));
  hiddenDims[2] = HIDDEN;
  positionDims[1] = SEQ + 1;
  status = qcc_model_run(model, in, 5, outs, 3);
  printf("seq mismatch: status %d: %s\n", status, qcc_model_error(model));
  positionDims[1] = SEQ;
  in[2].rank = 3;
  status = qcc_model_run(model, in, 5, outs, 3);
  printf("rank 3 past: status %d: %s\n", status, qcc_model_error(model));
  in[2].rank = 4;
  /* Consistent names, inconsistent sizes: a kernel refuses at run time. */
  maskDims[3] = TOTAL - 1;
  in[4].capacity = sizeof mask;
  status = qcc_model_run(model, in, 5, outs, 3);
  printf("short mask: status %d: %s\n", status, qcc_model_error(model));
  maskDims[3] = TOTAL;

  outs[1].capacity = 16;
  status = qcc_model_run(model, in, 5, outs, 3);
  printf("small buffer: status %d: %s\n", status, qcc_model_error(model));
  qcc_tensor view;
  qcc_model_result(model, 1, &view);
  printf("result 1 after it: rank %d dims %lld %lld %lld %lld, %zu bytes\n",
         view.rank, (long long)view.dims[0], (long long)view.dims[1],
         (long long)view.dims[2], (long long)view.dims[3], view.capacity);
  outs[1].capacity = sizeof key;

  status = qcc_model_run(model, in, 5, outs, 3);
  float first = out[0];
  int finite = 1;
  for (int i = 0; i < BATCH * SEQ * HIDDEN; ++i)
    finite = finite && isfinite(out[i]);
  printf("run: status %d, output dims %lld %lld %lld, finite %d\n", status,
         (long long)outDims[0], (long long)outDims[1], (long long)outDims[2],
         finite);
  /* The cache holds the past first: key[0..] of head 0 is past[0..]. */
  printf("present key starts with past key: %d\n",
         memcmp(key, past, PAST * 16 * sizeof(float)) == 0);
  qcc_model_run(model, in, 5, outs, 3);
  printf("second run equal: %d\n", out[0] == first);

  /* An empty past (a prefill) may come without a buffer. */
  pastDims[2] = 0;
  maskDims[3] = SEQ;
  in[2].data = in[3].data = NULL;
  in[2].capacity = in[3].capacity = 0;
  status = qcc_model_run(model, in, 5, outs, 3);
  printf("empty past without data: status %d, present dims %lld %lld %lld "
         "%lld\n",
         status, (long long)keyDims[0], (long long)keyDims[1],
         (long long)keyDims[2], (long long)keyDims[3]);
  qcc_model_destroy(model);
  dlclose(handle);
  return 0;
}
