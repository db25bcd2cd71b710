"""A model.so through its C ABI (include/qcc/runtime.h) with ctypes and numpy.

For machines without qcc's tools (the GPU machine has Python, numpy and
PyTorch but no MLIR):

    model = Model("w4a8.so")
    outputs = model.run({"input_ids": ids, ...})        # host buffers
    outputs = model.run_on_device(inputs, torch)        # device buffers
"""

import ctypes

import numpy as np

ABI_VERSION = 1
DTYPES = {1: np.float32, 2: np.int64, 3: np.bool_}
CODES = {np.dtype(np.float32): 1, np.dtype(np.int64): 2, np.dtype(np.bool_): 3}


class TensorInfo(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("dtype", ctypes.c_int),
                ("rank", ctypes.c_int32), ("dims", ctypes.POINTER(ctypes.c_int64)),
                ("dim_names", ctypes.POINTER(ctypes.c_char_p))]


class Tensor(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("dtype", ctypes.c_int),
                ("rank", ctypes.c_int32), ("dims", ctypes.POINTER(ctypes.c_int64)),
                ("capacity", ctypes.c_size_t)]


class QccError(RuntimeError):
    def __init__(self, status, message):
        super().__init__(f"status {status}: {message}")
        self.status = status


class Model:
    def __init__(self, path):
        self.lib = ctypes.CDLL(path)
        lib = self.lib
        lib.qcc_model_create.argtypes = [ctypes.c_uint32, ctypes.POINTER(ctypes.c_void_p)]
        lib.qcc_model_error.restype = ctypes.c_char_p
        lib.qcc_model_error.argtypes = [ctypes.c_void_p]
        lib.qcc_model_destroy.argtypes = [ctypes.c_void_p]
        lib.qcc_model_num_inputs.argtypes = [ctypes.c_void_p]
        lib.qcc_model_num_inputs.restype = ctypes.c_size_t
        lib.qcc_model_num_outputs.argtypes = [ctypes.c_void_p]
        lib.qcc_model_num_outputs.restype = ctypes.c_size_t
        for name in ("qcc_model_input_info", "qcc_model_output_info"):
            getattr(lib, name).argtypes = [ctypes.c_void_p, ctypes.c_size_t,
                                           ctypes.POINTER(TensorInfo)]
        lib.qcc_model_run.argtypes = [ctypes.c_void_p, ctypes.POINTER(Tensor), ctypes.c_size_t,
                                      ctypes.POINTER(Tensor), ctypes.c_size_t]
        lib.qcc_model_result.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.POINTER(Tensor)]
        lib.qcc_model_metadata.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
        lib.qcc_model_metadata.restype = ctypes.c_char_p
        self.handle = ctypes.c_void_p()
        status = lib.qcc_model_create(ABI_VERSION, ctypes.byref(self.handle))
        if status != 0:
            raise QccError(status, lib.qcc_model_error(None).decode())
        self.inputs = [self._info(lib.qcc_model_input_info, i)
                       for i in range(lib.qcc_model_num_inputs(self.handle))]
        self.outputs = [self._info(lib.qcc_model_output_info, i)
                        for i in range(lib.qcc_model_num_outputs(self.handle))]

    def _info(self, function, index):
        info = TensorInfo()
        function(self.handle, index, ctypes.byref(info))
        return info.name.decode(), DTYPES[info.dtype], info.rank

    def metadata(self, key):
        value = self.lib.qcc_model_metadata(self.handle, key.encode())
        return value.decode() if value is not None else None

    def close(self):
        if self.handle:
            self.lib.qcc_model_destroy(self.handle)
            self.handle = ctypes.c_void_p()

    def _check(self, status):
        if status != 0:
            raise QccError(status, self.lib.qcc_model_error(self.handle).decode())

    def _tensors(self, arrays, pointers):
        """ctypes tensors over arrays whose data is at pointers (their dims
        arrays are kept alive in self._dims until the next run)."""
        tensors = (Tensor * len(arrays))()
        for tensor, array, pointer in zip(tensors, arrays, pointers):
            dims = (ctypes.c_int64 * max(array.ndim, 1))(*array.shape)
            self._dims.append(dims)
            tensor.data = pointer
            tensor.dtype = CODES[np.dtype(array.dtype)]
            tensor.rank = array.ndim
            tensor.dims = dims
            tensor.capacity = array.nbytes
        return tensors

    def run(self, feeds):
        """Host input buffers; the outputs as qcc_model_result shows them."""
        arrays = [np.ascontiguousarray(feeds[name], dtype=dtype)
                  for name, dtype, _ in self.inputs]
        self._dims = []
        tensors = self._tensors(arrays, [a.ctypes.data for a in arrays])
        self._check(self.lib.qcc_model_run(self.handle, tensors, len(arrays), None, 0))
        results = {}
        for index, (name, dtype, _) in enumerate(self.outputs):
            view = Tensor()
            self._check(self.lib.qcc_model_result(self.handle, index, ctypes.byref(view)))
            shape = tuple(view.dims[d] for d in range(view.rank))
            count = int(np.prod(shape, dtype=np.int64))
            buffer = (ctypes.c_char * (count * np.dtype(dtype).itemsize)).from_address(view.data)
            results[name] = np.frombuffer(buffer, dtype=dtype).reshape(shape).copy()
        return results

    def run_with_pointer(self, feeds, name, pointer):
        """A host run in which input `name`'s data is at `pointer` instead
        (anywhere: the refusal tests); raises QccError as run does."""
        arrays = [np.ascontiguousarray(feeds[n], dtype=dtype) for n, dtype, _ in self.inputs]
        pointers = [pointer if n == name else a.ctypes.data
                    for a, (n, _, _) in zip(arrays, self.inputs)]
        self._dims = []
        tensors = self._tensors(arrays, pointers)
        self._check(self.lib.qcc_model_run(self.handle, tensors, len(arrays), None, 0))

    def device_runner(self, feeds, torch, shapes):
        """A function that runs the model on device input and output buffers
        (PyTorch CUDA tensors, made once) and returns the outputs as those
        tensors; `shapes` gives each output's shape (from a host run)."""
        names = {np.float32: torch.float32, np.int64: torch.int64, np.bool_: torch.bool}
        inputs = [torch.from_numpy(np.ascontiguousarray(feeds[name], dtype=dtype)).cuda()
                  for name, dtype, _ in self.inputs]
        outputs = [torch.full(shapes[name], float("nan"), device="cuda").to(names[dtype])
                   for name, dtype, _ in self.outputs]
        self._dims = []
        in_tensors = self._tensors([np.empty(t.shape, dtype=d) for t, (_, d, _) in
                                    zip(inputs, self.inputs)],
                                   [t.data_ptr() for t in inputs])
        out_tensors = self._tensors([np.empty(t.shape, dtype=d) for t, (_, d, _) in
                                     zip(outputs, self.outputs)],
                                    [t.data_ptr() for t in outputs])
        torch.cuda.synchronize()

        def step():
            self._check(self.lib.qcc_model_run(self.handle, in_tensors, len(inputs),
                                               out_tensors, len(outputs)))
            return outputs

        step.keep = (inputs, in_tensors, out_tensors, list(self._dims))
        return step

    def run_on_device(self, feeds, torch, shapes):
        """Device input and output buffers (PyTorch CUDA tensors); `shapes`
        gives each output's shape (from a host run)."""
        outputs = self.device_runner(feeds, torch, shapes)()
        return {name: tensor.cpu().numpy()
                for (name, _, _), tensor in zip(self.outputs, outputs)}
