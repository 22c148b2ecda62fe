"""The Python 3.12+ backend: ``sys.monitoring``.

Three events are enough: PY_START (a code object starts), PY_RESUME (a generator
or coroutine resumes) and CALL (a call site calls something, including C
functions and classes). Each callback reports the location the first time it
is seen and returns DISABLE, so a location costs nothing after its first use.

Coexistence: modtrace takes a tool id that no one holds (it never takes one
away) and gives it back when the last trace stops. DISABLE is per tool, so other
tools (coverage.py, profilers, debuggers) keep their own events. Each new trace
calls ``restart_events()`` so that code already seen is seen again; that also
re-arms other tools' disabled events, which costs them one more callback per
location and changes nothing they record.
"""

import sys

mon = sys.monitoring
_E = mon.events
_DISABLE = mon.DISABLE
_getframe = sys._getframe

EVENTS = _E.PY_START | _E.PY_RESUME | _E.CALL

#: Ids nobody reserves by convention first, then the others.
_PREFERRED_IDS = (4, 3, 5, 2, 1, 0)
TOOL_NAME = "modtrace"


class NoToolId(RuntimeError):
    """Every sys.monitoring tool id is taken."""


class MonitoringBackend:
    name = "monitoring"

    def __init__(self):
        self.tool = None

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

        def py_start(code, offset):
            try:
                if on_code(_getframe(1), id(code)):
                    return _DISABLE
            except RecursionError:
                defer((on_code, _getframe(1), id(code)))
            except Exception:
                engine.errors += 1
            return None

        def py_resume(code, offset):
            try:
                if on_code(_getframe(1), (id(code), offset)):
                    return _DISABLE
            except RecursionError:
                defer((on_code, _getframe(1), (id(code), offset)))
            except Exception:
                engine.errors += 1
            return None

        def call(code, offset, func, arg0):
            try:
                if on_call_site(_getframe(1), (id(code), offset), func):
                    return _DISABLE
            except RecursionError:
                defer((on_call_site, _getframe(1), (id(code), offset), func))
            except Exception:
                engine.errors += 1
            return None

        mon.register_callback(tool, _E.PY_START, py_start)
        mon.register_callback(tool, _E.PY_RESUME, py_resume)
        mon.register_callback(tool, _E.CALL, call)
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
        for event in (_E.PY_START, _E.PY_RESUME, _E.CALL):
            mon.register_callback(tool, event, None)
        mon.free_tool_id(tool)
