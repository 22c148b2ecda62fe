# modtrace's process-start hook, used while a traced program's child processes
# are followed (see modtrace.subproc). This directory is put at the front of
# PYTHONPATH for the children, so Python's `site` imports this file at start-up.
# It traces this process, takes its directory off sys.path, and imports the
# sitecustomize it hides, if any. It never fails the process: any error only
# means this process is not traced.
# (Kept to syntax any Python reads: a child may be another interpreter.)


def _modtrace_start():
    import os
    import sys

    here = os.path.dirname(os.path.abspath(__file__))

    def same(entry):
        try:
            return os.path.abspath(entry or os.curdir) == here
        except Exception:
            return False

    sys.path[:] = [p for p in sys.path if not same(p)]
    if sys.version_info >= (3, 10) and os.environ.get("MODTRACE_SUBPROCESS_DIRS"):
        try:
            try:
                import modtrace.subproc as subproc
            except ImportError:
                # another environment of the same Python: use this copy
                package_parent = os.path.dirname(os.path.dirname(here))
                sys.path.append(package_parent)
                try:
                    import modtrace.subproc as subproc
                finally:
                    if package_parent in sys.path:
                        sys.path.remove(package_parent)
            subproc.bootstrap()
        except Exception:
            pass
    # the sitecustomize this one hides
    this = sys.modules.pop("sitecustomize", None)
    try:
        import sitecustomize  # noqa: F401
    except ImportError as exc:
        if getattr(exc, "name", "sitecustomize") != "sitecustomize":
            raise
        if this is not None:
            sys.modules["sitecustomize"] = this
    except Exception:
        import traceback

        sys.stderr.write("Error in sitecustomize; traceback follows\n")
        traceback.print_exc()


_modtrace_start()
del _modtrace_start
