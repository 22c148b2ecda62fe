"""A requirements file: one ``name==version`` line per third-party distribution
whose modules the run used, with the modules in a comment."""

from ..classify import THIRD_PARTY


def render(report):
    trace = report.trace
    lines = []
    program = trace.meta.get("program")
    if isinstance(program, dict) and isinstance(program.get("argv"), list):
        what = "`" + " ".join(str(a) for a in program["argv"]) + "`"
    else:
        what = "the traced code"
    lines.append(f"# The third-party distributions {what} used when it ran, found by modtrace.")
    lines.append("# A distribution marked 'only imported' was imported but nothing of it was used after.")
    count = 0
    for dist, names in report.distributions():
        names = [n for n in names if report.info(n).kind == THIRD_PARTY]
        if not names:
            continue
        count += 1
        pin = f"{dist['name']}=={dist['version']}" if dist.get("version") else dist["name"]
        only = all(trace[n].only_imported for n in names)
        shown = ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
        note = "only imported: " if only else ""
        lines.append(f"{pin}  # {note}{shown}")
    if not count:
        lines.append("# (none)")
    return "\n".join(lines) + "\n"
