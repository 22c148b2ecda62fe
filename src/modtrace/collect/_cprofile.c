/* The hot path of the profile-hook backend (Python 3.10 and 3.11).
 *
 * A C profile function sees every call and return of the thread it is installed
 * in. It asks Python only the first time it sees a code object (a 'call' event)
 * or a C function (a 'c_call' event); Python answers whether the location can
 * be retired, and a retired location is remembered in a small pointer set, so
 * the steady-state cost of an event is a hash lookup.
 *
 * It also saves and restores a thread's profile function exactly (the C
 * function and its object), so that cProfile or any other profiler installed
 * before a trace is back in place after it.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <frameobject.h>

/* ---- a set of pointers (open addressing, linear probing) ---------------- */

typedef struct {
    void **slots;
    size_t cap;   /* a power of two, or 0 */
    size_t used;
} PtrSet;

static size_t
ptr_hash(void *p)
{
    size_t h = (size_t)p;
    h ^= h >> 17;
    h *= (size_t)0x9E3779B97F4A7C15ULL;
    return h ^ (h >> 29);
}

static int
ptrset_contains(PtrSet *s, void *p)
{
    if (s->cap == 0)
        return 0;
    size_t mask = s->cap - 1;
    size_t i = ptr_hash(p) & mask;
    while (s->slots[i] != NULL) {
        if (s->slots[i] == p)
            return 1;
        i = (i + 1) & mask;
    }
    return 0;
}

static void
ptrset_insert_unchecked(void **slots, size_t cap, void *p)
{
    size_t mask = cap - 1;
    size_t i = ptr_hash(p) & mask;
    while (slots[i] != NULL) {
        if (slots[i] == p)
            return;
        i = (i + 1) & mask;
    }
    slots[i] = p;
}

static int
ptrset_add(PtrSet *s, void *p)
{
    if ((s->used + 1) * 2 > s->cap) {
        size_t ncap = s->cap ? s->cap * 2 : 256;
        void **nslots = PyMem_Calloc(ncap, sizeof(void *));
        if (nslots == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        for (size_t i = 0; i < s->cap; i++) {
            if (s->slots[i] != NULL)
                ptrset_insert_unchecked(nslots, ncap, s->slots[i]);
        }
        PyMem_Free(s->slots);
        s->slots = nslots;
        s->cap = ncap;
    }
    ptrset_insert_unchecked(s->slots, s->cap, p);
    s->used++;
    return 0;
}

static void
ptrset_clear(PtrSet *s)
{
    PyMem_Free(s->slots);
    s->slots = NULL;
    s->cap = 0;
    s->used = 0;
}

/* ---- saving and restoring a thread's profile function -------------------- */

static const char *CAPSULE_NAME = "modtrace.profilefunc";

/* What a thread's profile function is, as (capsule of the C function, object),
   or None. */
static PyObject *
profile_of(PyThreadState *ts)
{
    if (ts->c_profilefunc == NULL)
        Py_RETURN_NONE;
    PyObject *cap = PyCapsule_New((void *)ts->c_profilefunc, CAPSULE_NAME, NULL);
    if (cap == NULL)
        return NULL;
    PyObject *obj = ts->c_profileobj ? ts->c_profileobj : Py_None;
    PyObject *res = PyTuple_Pack(2, cap, obj);
    Py_DECREF(cap);
    return res;
}

/* Give thread `ts` back the profile function profile_of() described. */
static int
restore_profile(PyThreadState *ts, PyObject *saved)
{
    if (saved == Py_None)
        return _PyEval_SetProfile(ts, NULL, NULL);
    if (!PyTuple_Check(saved) || PyTuple_GET_SIZE(saved) != 2) {
        PyErr_SetString(PyExc_TypeError, "set_profile() takes what get_profile() returned");
        return -1;
    }
    Py_tracefunc func = (Py_tracefunc)PyCapsule_GetPointer(PyTuple_GET_ITEM(saved, 0), CAPSULE_NAME);
    if (func == NULL)
        return -1;
    PyObject *obj = PyTuple_GET_ITEM(saved, 1);
    return _PyEval_SetProfile(ts, func, obj == Py_None ? NULL : obj);
}

static PyObject *
get_profile(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    return profile_of(PyThreadState_Get());
}

static PyObject *
set_profile(PyObject *module, PyObject *saved)
{
    if (restore_profile(PyThreadState_Get(), saved) < 0)
        return NULL;
    Py_RETURN_NONE;
}

/* ---- the hook object ------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    PyObject *on_call;    /* on_call(frame) -> retire? */
    PyObject *on_c_call;  /* on_c_call(frame, func) -> retire? */
    PyObject *keep;       /* list: keeps retired code objects alive */
    PyObject *deferred;   /* list: (on_call, frame) or (on_c_call, frame, func)
                             that hit the recursion limit, for Python to handle later */
    PyObject *saved;      /* dict: thread id -> the profile function the hook
                             replaced in that thread (see install_others) */
    PtrSet codes;         /* retired code objects */
    PtrSet cfuncs;        /* retired C functions, by their PyMethodDef */
    int active;
} HookObject;

/* A call into Python failed. KeyboardInterrupt and the like go on into the
   program; a RecursionError (the call itself was too deep) is noted in
   `deferred` to be handled later; any other error is dropped: the trace must
   never break the program. */
static int
hook_failed(HookObject *h, PyObject *callback, PyFrameObject *frame, PyObject *func)
{
    if (!PyErr_ExceptionMatches(PyExc_Exception))
        return -1;
    int deep = PyErr_ExceptionMatches(PyExc_RecursionError);
    PyErr_Clear();
    if (deep) {
        PyObject *item = func ? PyTuple_Pack(3, callback, (PyObject *)frame, func)
                              : PyTuple_Pack(2, callback, (PyObject *)frame);
        if (item == NULL || PyList_Append(h->deferred, item) < 0)
            PyErr_Clear();
        Py_XDECREF(item);
    }
    return 0;
}

static int
hook_profile(PyObject *self, PyFrameObject *frame, int what, PyObject *arg)
{
    HookObject *h = (HookObject *)self;
    if (!h->active) {
        /* The last trace stopped: leave this thread (one started during the
           trace, or one that was running when it started), giving it back
           the profile function it had then, if any. */
        PyObject *key = PyLong_FromUnsignedLong(PyThread_get_thread_ident());
        PyObject *prev = key ? PyDict_GetItemWithError(h->saved, key) : NULL;
        Py_XINCREF(prev);
        if (prev != NULL)
            PyDict_DelItem(h->saved, key);
        Py_XDECREF(key);
        PyErr_Clear();
        PyThreadState *ts = PyThreadState_Get();
        if (prev == NULL || restore_profile(ts, prev) < 0) {
            PyErr_Clear();
            _PyEval_SetProfile(ts, NULL, NULL);
            PyErr_Clear();
        }
        Py_XDECREF(prev);
        /* The profile function given back gets this event too. */
        if (ts->c_profilefunc != NULL && ts->c_profilefunc != hook_profile)
            return ts->c_profilefunc(ts->c_profileobj, frame, what, arg);
        return 0;
    }
    if (what == PyTrace_CALL) {
        PyCodeObject *code = PyFrame_GetCode(frame);
        int rc = 0;
        if (!ptrset_contains(&h->codes, code)) {
            PyObject *res = PyObject_CallOneArg(h->on_call, (PyObject *)frame);
            if (res == NULL) {
                rc = hook_failed(h, h->on_call, frame, NULL);
            }
            else {
                if (res == Py_True) {
                    if (ptrset_add(&h->codes, code) < 0 ||
                        PyList_Append(h->keep, (PyObject *)code) < 0)
                        rc = -1;
                }
                Py_DECREF(res);
            }
        }
        Py_DECREF(code);
        return rc;
    }
    if (what == PyTrace_C_CALL && PyCFunction_Check(arg)) {
        void *key = (void *)((PyCFunctionObject *)arg)->m_ml;
        if (!ptrset_contains(&h->cfuncs, key)) {
            PyObject *res = PyObject_CallFunctionObjArgs(h->on_c_call, (PyObject *)frame, arg, NULL);
            if (res == NULL)
                return hook_failed(h, h->on_c_call, frame, arg);
            int retire = (res == Py_True);
            Py_DECREF(res);
            if (retire && ptrset_add(&h->cfuncs, key) < 0)
                return -1;
        }
    }
    return 0;
}

static int
Hook_init(HookObject *self, PyObject *args, PyObject *kwds)
{
    PyObject *on_call, *on_c_call, *deferred;
    if (!PyArg_ParseTuple(args, "OOO!:Hook", &on_call, &on_c_call, &PyList_Type, &deferred))
        return -1;
    Py_INCREF(deferred);
    Py_XSETREF(self->deferred, deferred);
    if (self->saved == NULL) {
        self->saved = PyDict_New();
        if (self->saved == NULL)
            return -1;
    }
    Py_INCREF(on_call);
    Py_XSETREF(self->on_call, on_call);
    Py_INCREF(on_c_call);
    Py_XSETREF(self->on_c_call, on_c_call);
    if (self->keep == NULL) {
        self->keep = PyList_New(0);
        if (self->keep == NULL)
            return -1;
    }
    self->active = 0;
    return 0;
}

static int
Hook_traverse(HookObject *self, visitproc visit, void *arg)
{
    Py_VISIT(self->on_call);
    Py_VISIT(self->on_c_call);
    Py_VISIT(self->keep);
    Py_VISIT(self->deferred);
    Py_VISIT(self->saved);
    return 0;
}

static int
Hook_clear_refs(HookObject *self)
{
    Py_CLEAR(self->on_call);
    Py_CLEAR(self->on_c_call);
    Py_CLEAR(self->keep);
    Py_CLEAR(self->deferred);
    Py_CLEAR(self->saved);
    return 0;
}

static void
Hook_dealloc(HookObject *self)
{
    PyObject_GC_UnTrack(self);
    Hook_clear_refs(self);
    ptrset_clear(&self->codes);
    ptrset_clear(&self->cfuncs);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
Hook_forget(HookObject *self, PyObject *Py_UNUSED(ignored))
{
    ptrset_clear(&self->codes);
    ptrset_clear(&self->cfuncs);
    if (self->keep != NULL && PyList_SetSlice(self->keep, 0, PyList_GET_SIZE(self->keep), NULL) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *
Hook_install(HookObject *self, PyObject *Py_UNUSED(ignored))
{
    PyEval_SetProfile(hook_profile, (PyObject *)self);
    Py_RETURN_NONE;
}

/* Install the hook in every other thread of the interpreter (those that were
   running before the trace started), remembering what each had. */
static PyObject *
Hook_install_others(HookObject *self, PyObject *Py_UNUSED(ignored))
{
    PyThreadState *me = PyThreadState_Get();
    PyThreadState *ts = PyInterpreterState_ThreadHead(me->interp);
    for (; ts != NULL; ts = PyThreadState_Next(ts)) {
        if (ts == me || ts->c_profileobj == (PyObject *)self)
            continue;
        PyObject *key = PyLong_FromUnsignedLong(ts->thread_id);
        PyObject *prev = key ? profile_of(ts) : NULL;
        if (prev == NULL || PyDict_SetItem(self->saved, key, prev) < 0) {
            Py_XDECREF(key);
            Py_XDECREF(prev);
            return NULL;
        }
        Py_DECREF(key);
        Py_DECREF(prev);
        if (_PyEval_SetProfile(ts, hook_profile, (PyObject *)self) < 0)
            return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *
Hook_get_active(HookObject *self, void *closure)
{
    return PyBool_FromLong(self->active);
}

static int
Hook_set_active(HookObject *self, PyObject *value, void *closure)
{
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete active");
        return -1;
    }
    int v = PyObject_IsTrue(value);
    if (v < 0)
        return -1;
    self->active = v;
    return 0;
}

static PyObject *
Hook_get_size(HookObject *self, void *closure)
{
    return Py_BuildValue("(nn)", (Py_ssize_t)self->codes.used, (Py_ssize_t)self->cfuncs.used);
}

static PyMethodDef Hook_methods[] = {
    {"forget", (PyCFunction)Hook_forget, METH_NOARGS, "Forget every retired location."},
    {"install", (PyCFunction)Hook_install, METH_NOARGS, "Make this the profile function of the current thread."},
    {"install_others", (PyCFunction)Hook_install_others, METH_NOARGS,
     "Make this the profile function of every other thread (each gets its own back when the hook goes inactive)."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef Hook_getset[] = {
    {"active", (getter)Hook_get_active, (setter)Hook_set_active, "False makes the hook leave any thread it runs in.", NULL},
    {"retired", (getter)Hook_get_size, NULL, "(code objects, C functions) retired.", NULL},
    {NULL},
};

static PyTypeObject HookType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "modtrace.collect._cprofile.Hook",
    .tp_basicsize = sizeof(HookObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "Hook(on_call, on_c_call, deferred): a C profile function that asks Python once per location.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Hook_init,
    .tp_dealloc = (destructor)Hook_dealloc,
    .tp_traverse = (traverseproc)Hook_traverse,
    .tp_clear = (inquiry)Hook_clear_refs,
    .tp_methods = Hook_methods,
    .tp_getset = Hook_getset,
};

static PyMethodDef module_methods[] = {
    {"get_profile", get_profile, METH_NOARGS, "The current thread's profile function, as an opaque value."},
    {"set_profile", set_profile, METH_O, "Restore what get_profile() returned (None: no profile function)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef moduledef = {
    PyModuleDef_HEAD_INIT, "_cprofile", "The C hot path of modtrace's profile-hook backend.", -1, module_methods,
};

PyMODINIT_FUNC
PyInit__cprofile(void)
{
    if (PyType_Ready(&HookType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&moduledef);
    if (m == NULL)
        return NULL;
    Py_INCREF(&HookType);
    if (PyModule_AddObject(m, "Hook", (PyObject *)&HookType) < 0) {
        Py_DECREF(&HookType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
