"""The Python 3.12+ backend: ``sys.monitoring``.

Three events are enough: PY_START (a code object starts), PY_RESUME (a generator
or coroutine resumes) and CALL (a call site calls something, including C
functions and classes). Each callback reports the location the first time it
is seen and returns DISABLE, so a location costs nothing after its first use.

Import contexts: instead of walking the stack, the backend keeps, per thread,
the module bodies executing: a body is pushed when it starts (PY_START) and
popped when it returns (a PY_RETURN event set on that code object only) or
unwinds (PY_UNWIND, the one event that cannot be disabled; it costs a dict
lookup per frame an exception leaves).

Coexistence: modtrace takes a tool id that no one holds (it never takes one
away) and gives it back when the last trace stops. DISABLE is per tool, so other
tools (coverage.py, profilers, debuggers) keep their own events. Each new trace
calls ``restart_events()`` so that code already seen is seen again; that also
re-arms other tools' disabled events, which costs them one more callback per
location and changes nothing they record.
"""

import sys
from _thread import get_ident

from . import common

mon = sys.monitoring
_E = mon.events
_DISABLE = mon.DISABLE
_getframe = sys._getframe
_FunctionType = common._FunctionType
_MethodType = common._MethodType

EVENTS = _E.PY_START | _E.PY_RESUME | _E.CALL | _E.PY_UNWIND

#: Ids nobody reserves by convention first, then the others.
_PREFERRED_IDS = (4, 3, 5, 2, 1, 0)
TOOL_NAME = "modtrace"


class NoToolId(RuntimeError):
    """Every sys.monitoring tool id is taken."""


class MonitoringBackend:
    name = "monitoring"

    def __init__(self):
        self.tool = None
        self.bodies = {}

    def activate(self, engine):
        for tool in _PREFERRED_IDS:
            if mon.get_tool(tool) is None:
                try:
                    mon.use_tool_id(tool, TOOL_NAME)
                except ValueError:  # taken in the meantime
                    continue
                break
        else:
            raise NoToolId("all sys.monitoring tool ids are in use")
        self.tool = tool
        on_code, on_call_site = engine.on_code, engine.on_call_site
        # Too deep in a recursion for the callback's own calls: note the first
        # sight with C calls only (no new Python frame), report it at stop.
        defer = engine.deferred.append

        # thread id -> [(module body code, module name), ...], innermost last
        bodies = self.bodies = {}
        pending = engine.pending

        retired = engine.retired
        light_call = engine.light_call

        def seen_before(key):
            # The fast paths, for locations seen again: during an import in
            # which the engine already reported them (None: stay live), or at
            # run time after a restart, when the engine knows what they were
            # retired as (DISABLE, after telling the light sessions).
            stack = bodies.get(get_ident())
            if stack:
                entry = pending.get(key)
                if entry is not None and stack[-1][1] in entry[1]:
                    return True, None
                return False, None
            hit = retired.get(key)
            if hit is not None and hit[1] == engine.generation:
                if hit[2] is not None:
                    for add in engine.light_adds:
                        add(hit[2])
                return True, _DISABLE
            return False, None

        def py_start(code, offset):
            key = id(code)
            try:
                known, answer = seen_before(key)
                if known:
                    return answer
                if on_code(_getframe(1), key):
                    return _DISABLE
            except RecursionError:
                defer((on_code, _getframe(1), key))
            except Exception:
                engine.errors += 1
            return None

        def py_resume(code, offset):
            key = (id(code), offset)
            try:
                known, answer = seen_before(key)
                if known:
                    return answer
                if on_code(_getframe(1), key):
                    return _DISABLE
            except RecursionError:
                defer((on_code, _getframe(1), key))
            except Exception:
                engine.errors += 1
            return None

        def call(code, offset, func, arg0):
            key = (id(code), offset)
            try:
                stack = bodies.get(get_ident())
                if stack:
                    entry = pending.get(key)
                    if entry is not None and stack[-1][1] in entry[1]:
                        return None
                else:
                    hit = retired.get(key)
                    if hit is not None and hit[1] == engine.generation:
                        # Seen again after a restart: only light sessions need
                        # the callee, and a Python callee is seen starting.
                        if hit[2] is not None and engine.light_adds:
                            t = type(func)
                            if t is not _FunctionType and t is not _MethodType:
                                light_call(func)
                        return _DISABLE
                if on_call_site(_getframe(1), key, func):
                    return _DISABLE
            except RecursionError:
                defer((on_call_site, _getframe(1), key, func))
            except Exception:
                engine.errors += 1
            return None

        def context_of(frame):
            stack = bodies.get(get_ident())
            return stack[-1][1] if stack else None

        def outer_context_of(frame, name):
            stack = bodies.get(get_ident())
            if not stack:
                return None
            for i in range(len(stack) - 1, -1, -1):
                if stack[i][1] == name:
                    return stack[i - 1][1] if i else None
            return None

        def body_started(code, name):
            stack = bodies.get(get_ident())
            if stack is None:
                stack = bodies[get_ident()] = []
            stack.append((code, name))
            mon.set_local_events(tool, code, _E.PY_RETURN)

        def body_ended(code, offset, arg):
            stack = bodies.get(get_ident())
            if stack and stack[-1][0] is code:
                stack.pop()

        engine.context_of = context_of
        engine.outer_context_of = outer_context_of
        engine.body_started = body_started
        mon.register_callback(tool, _E.PY_START, py_start)
        mon.register_callback(tool, _E.PY_RESUME, py_resume)
        mon.register_callback(tool, _E.CALL, call)
        mon.register_callback(tool, _E.PY_RETURN, body_ended)
        mon.register_callback(tool, _E.PY_UNWIND, body_ended)
        # Locations this tool id disabled before (in an earlier trace, or for
        # whoever held the id last) must be seen again.
        mon.restart_events()
        mon.set_events(tool, EVENTS)

    def reset(self):
        mon.restart_events()

    def attach(self, session):
        pass

    def detach(self, session):
        pass

    def deactivate(self):
        tool = self.tool
        if tool is None:
            return
        self.tool = None
        mon.set_events(tool, 0)
        for event in (_E.PY_START, _E.PY_RESUME, _E.CALL, _E.PY_RETURN, _E.PY_UNWIND):
            mon.register_callback(tool, event, None)
        # local PY_RETURN events of module bodies still running
        for stack in self.bodies.values():
            for code, _ in stack:
                mon.set_local_events(tool, code, 0)
        self.bodies = {}
        mon.free_tool_id(tool)
