/* A profile function that does nothing: diagnose.py measures with it what any
 * sys.setprofile-style hook costs on Python 3.10/3.11, whatever the hook does. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <frameobject.h>
static int noop(PyObject *o, PyFrameObject *f, int what, PyObject *arg) { return 0; }
static PyObject *install(PyObject *m, PyObject *u) { PyEval_SetProfile(noop, NULL); Py_RETURN_NONE; }
static PyObject *uninstall(PyObject *m, PyObject *u) { PyEval_SetProfile(NULL, NULL); Py_RETURN_NONE; }
static PyMethodDef meths[] = {{"install", install, METH_NOARGS, ""}, {"uninstall", uninstall, METH_NOARGS, ""}, {NULL}};
static struct PyModuleDef md = {PyModuleDef_HEAD_INIT, "_noop_profile", NULL, -1, meths};
PyMODINIT_FUNC PyInit__noop_profile(void) { return PyModule_Create(&md); }
