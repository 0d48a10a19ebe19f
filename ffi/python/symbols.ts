/**
 * The CPython C API functions the bridge calls, and the C constants it needs.
 *
 * Part of the CPython bridge; the public API is re-exported by ffi/python/mod.ts.
 *
 * @module
 */

// ---------------------------------------------------------------------------------------------
// Native symbols

/** The CPython C API functions the bridge calls (all exported since Python 3.8). */
// These are called through `reentrantSymbols` (platform/libraries.ts), never Deno's fast-call path:
// almost any Python API call can run Python code that calls back into JavaScript, and V8 aborts
// ("Lazy deopt after a fast API call") when a fast FFI call re-enters JavaScript.
export const PYTHON_SYMBOLS = {
  // void Py_InitializeEx(int initsigs)
  Py_InitializeEx: { parameters: ["i32"], result: "void" },
  // int Py_IsInitialized(void)
  Py_IsInitialized: { parameters: [], result: "i32" },
  // const char* Py_GetVersion(void)
  Py_GetVersion: { parameters: [], result: "pointer" },
  // PyThreadState* PyEval_SaveThread(void)
  PyEval_SaveThread: { parameters: [], result: "pointer" },
  // PyGILState_STATE PyGILState_Ensure(void)
  PyGILState_Ensure: { parameters: [], result: "i32" },
  // void PyGILState_Release(PyGILState_STATE state)
  PyGILState_Release: { parameters: ["i32"], result: "void" },
  // void Py_IncRef(PyObject* o)
  Py_IncRef: { parameters: ["pointer"], result: "void" },
  // void Py_DecRef(PyObject* o)
  Py_DecRef: { parameters: ["pointer"], result: "void" },
  // PyObject* PyImport_ImportModule(const char* name)
  PyImport_ImportModule: { parameters: ["buffer"], result: "pointer" },
  // PyObject* PyObject_GetAttrString(PyObject* o, const char* name)
  PyObject_GetAttrString: { parameters: ["pointer", "buffer"], result: "pointer" },
  // int PyObject_SetAttrString(PyObject* o, const char* name, PyObject* v)
  PyObject_SetAttrString: { parameters: ["pointer", "buffer", "pointer"], result: "i32" },
  // int PyObject_HasAttrString(PyObject* o, const char* name)
  PyObject_HasAttrString: { parameters: ["pointer", "buffer"], result: "i32" },
  // PyObject* PyObject_Call(PyObject* callable, PyObject* args, PyObject* kwargs)
  PyObject_Call: { parameters: ["pointer", "pointer", "pointer"], result: "pointer" },
  // PyObject* PyObject_GetItem(PyObject* o, PyObject* key)
  PyObject_GetItem: { parameters: ["pointer", "pointer"], result: "pointer" },
  // int PyObject_SetItem(PyObject* o, PyObject* key, PyObject* v)
  PyObject_SetItem: { parameters: ["pointer", "pointer", "pointer"], result: "i32" },
  // Py_ssize_t PyObject_Size(PyObject* o)
  PyObject_Size: { parameters: ["pointer"], result: "isize" },
  // PyObject* PyObject_GetIter(PyObject* o)
  PyObject_GetIter: { parameters: ["pointer"], result: "pointer" },
  // PyObject* PyIter_Next(PyObject* o)
  PyIter_Next: { parameters: ["pointer"], result: "pointer" },
  // PyObject* PyObject_Repr(PyObject* o)
  PyObject_Repr: { parameters: ["pointer"], result: "pointer" },
  // PyObject* PyObject_Str(PyObject* o)
  PyObject_Str: { parameters: ["pointer"], result: "pointer" },
  // int PyObject_IsTrue(PyObject* o)
  PyObject_IsTrue: { parameters: ["pointer"], result: "i32" },
  // PyObject* PyObject_Type(PyObject* o)
  PyObject_Type: { parameters: ["pointer"], result: "pointer" },
  // int PyObject_IsInstance(PyObject* inst, PyObject* cls)
  PyObject_IsInstance: { parameters: ["pointer", "pointer"], result: "i32" },
  // int PyObject_RichCompareBool(PyObject* a, PyObject* b, int op)
  PyObject_RichCompareBool: { parameters: ["pointer", "pointer", "i32"], result: "i32" },
  // unsigned long PyType_GetFlags(PyTypeObject* type)
  PyType_GetFlags: { parameters: ["pointer"], result: "u64" },
  // PyObject* PyNumber_Add(PyObject* a, PyObject* b)
  PyNumber_Add: { parameters: ["pointer", "pointer"], result: "pointer" },
  // PyObject* PyNumber_Subtract(PyObject* a, PyObject* b)
  PyNumber_Subtract: { parameters: ["pointer", "pointer"], result: "pointer" },
  // PyObject* PyNumber_Multiply(PyObject* a, PyObject* b)
  PyNumber_Multiply: { parameters: ["pointer", "pointer"], result: "pointer" },
  // PyObject* PyNumber_TrueDivide(PyObject* a, PyObject* b)
  PyNumber_TrueDivide: { parameters: ["pointer", "pointer"], result: "pointer" },
  // PyObject* PyNumber_Negative(PyObject* o)
  PyNumber_Negative: { parameters: ["pointer"], result: "pointer" },
  // PyObject* PyLong_FromLongLong(long long v)
  PyLong_FromLongLong: { parameters: ["i64"], result: "pointer" },
  // long long PyLong_AsLongLong(PyObject* o)
  PyLong_AsLongLong: { parameters: ["pointer"], result: "i64" },
  // PyObject* PyLong_FromString(const char* str, char** pend, int base)
  PyLong_FromString: { parameters: ["buffer", "pointer", "i32"], result: "pointer" },
  // PyObject* PyFloat_FromDouble(double v)
  PyFloat_FromDouble: { parameters: ["f64"], result: "pointer" },
  // double PyFloat_AsDouble(PyObject* o)
  PyFloat_AsDouble: { parameters: ["pointer"], result: "f64" },
  // PyObject* PyBool_FromLong(long v)
  PyBool_FromLong: { parameters: ["i64"], result: "pointer" },
  // PyObject* PyUnicode_FromStringAndSize(const char* s, Py_ssize_t size)
  PyUnicode_FromStringAndSize: { parameters: ["buffer", "isize"], result: "pointer" },
  // const char* PyUnicode_AsUTF8AndSize(PyObject* o, Py_ssize_t* size)
  PyUnicode_AsUTF8AndSize: { parameters: ["pointer", "buffer"], result: "pointer" },
  // PyObject* PyBytes_FromStringAndSize(const char* s, Py_ssize_t size)
  PyBytes_FromStringAndSize: { parameters: ["buffer", "isize"], result: "pointer" },
  // int PyBytes_AsStringAndSize(PyObject* o, char** buffer, Py_ssize_t* length)
  PyBytes_AsStringAndSize: { parameters: ["pointer", "buffer", "buffer"], result: "i32" },
  // PyObject* PyList_New(Py_ssize_t size)
  PyList_New: { parameters: ["isize"], result: "pointer" },
  // int PyList_SetItem(PyObject* list, Py_ssize_t index, PyObject* item)   (steals item)
  PyList_SetItem: { parameters: ["pointer", "isize", "pointer"], result: "i32" },
  // PyObject* PyTuple_New(Py_ssize_t size)
  PyTuple_New: { parameters: ["isize"], result: "pointer" },
  // int PyTuple_SetItem(PyObject* tuple, Py_ssize_t index, PyObject* item)   (steals item)
  PyTuple_SetItem: { parameters: ["pointer", "isize", "pointer"], result: "i32" },
  // PyObject* PyTuple_GetItem(PyObject* tuple, Py_ssize_t index)   (borrowed)
  PyTuple_GetItem: { parameters: ["pointer", "isize"], result: "pointer" },
  // PyObject* PyDict_New(void)
  PyDict_New: { parameters: [], result: "pointer" },
  // int PyDict_SetItem(PyObject* dict, PyObject* key, PyObject* value)
  PyDict_SetItem: { parameters: ["pointer", "pointer", "pointer"], result: "i32" },
  // int PyDict_Next(PyObject* dict, Py_ssize_t* pos, PyObject** key, PyObject** value)   (borrowed)
  PyDict_Next: { parameters: ["pointer", "buffer", "buffer", "buffer"], result: "i32" },
  // PyObject* PyErr_Occurred(void)   (borrowed)
  PyErr_Occurred: { parameters: [], result: "pointer" },
  // void PyErr_Fetch(PyObject** type, PyObject** value, PyObject** traceback)
  PyErr_Fetch: { parameters: ["buffer", "buffer", "buffer"], result: "void" },
  // void PyErr_NormalizeException(PyObject** type, PyObject** value, PyObject** traceback)
  PyErr_NormalizeException: { parameters: ["buffer", "buffer", "buffer"], result: "void" },
  // int PyException_SetTraceback(PyObject* ex, PyObject* tb)
  PyException_SetTraceback: { parameters: ["pointer", "pointer"], result: "i32" },
  // void PyErr_SetObject(PyObject* type, PyObject* value)
  PyErr_SetObject: { parameters: ["pointer", "pointer"], result: "void" },
  // void PyErr_SetString(PyObject* type, const char* message)
  PyErr_SetString: { parameters: ["pointer", "buffer"], result: "void" },
  // void PyErr_Clear(void)
  PyErr_Clear: { parameters: [], result: "void" },
  // PyObject* PyCFunction_NewEx(PyMethodDef* def, PyObject* self, PyObject* module)
  PyCFunction_NewEx: { parameters: ["pointer", "pointer", "pointer"], result: "pointer" },
  // PyObject* PyCapsule_New(void* pointer, const char* name, void (*destructor)(PyObject*))
  PyCapsule_New: { parameters: ["pointer", "pointer", "function"], result: "pointer" },
  // void* PyCapsule_GetPointer(PyObject* capsule, const char* name)
  PyCapsule_GetPointer: { parameters: ["pointer", "pointer"], result: "pointer" },
  // int PyObject_GetBuffer(PyObject* exporter, Py_buffer* view, int flags)
  PyObject_GetBuffer: { parameters: ["pointer", "buffer", "i32"], result: "i32" },
  // void PyBuffer_Release(Py_buffer* view)
  PyBuffer_Release: { parameters: ["buffer"], result: "void" },
} as const satisfies Deno.ForeignLibraryInterface;

export type PythonLibrary = { symbols: Deno.DynamicLibrary<typeof PYTHON_SYMBOLS>["symbols"] };
export type Pointer = Deno.PointerObject;

export const METH_VARARGS_KEYWORDS = 0x0003;
export const PY_EQ = 2;
export const PYBUF_RECORDS_RO = 0x001c; // PyBUF_STRIDES | PyBUF_FORMAT
export const FLAG = {
  long: 1n << 24n,
  list: 1n << 25n,
  tuple: 1n << 26n,
  bytes: 1n << 27n,
  unicode: 1n << 28n,
  dict: 1n << 29n,
} as const;
