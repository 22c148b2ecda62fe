"""The per-test view of a trace written by ``pytest --modtrace``: how many
tests used each module, the modules no test used, and each test's modules.

``--include`` / ``--exclude`` apply: only the modules the report keeps are
counted and listed.
"""

from ..classify import FIRST_PARTY, MAIN, STDLIB, THIRD_PARTY
from ..testmap import tests_of

_ORDER = {MAIN: 0, FIRST_PARTY: 1, THIRD_PARTY: 2, STDLIB: 3}


def render(report):
    trace = report.trace
    tests = tests_of(trace)
    out = [""]
    if not tests:
        out.append("modtrace: this trace has no per-test map (write one with pytest --modtrace=FILE)")
        return "\n".join(out) + "\n"
    kept = set(trace.modules)
    tests = {nodeid: [n for n in names if n in kept] for nodeid, names in tests.items()}
    users = {}
    for nodeid, names in tests.items():
        for n in names:
            users[n] = users.get(n, 0) + 1
    out.append(f"modtrace: {len(tests)} test{'s' if len(tests) != 1 else ''}, "
               f"{len(users)} of the {len(trace)} modules used by at least one test")

    def key(name):
        return (_ORDER.get(report.info(name).kind, 9), name)

    width = min(max([len(n) for n in users] + [8]), 50)
    out.append("")
    out.append("modules by the number of tests that used them (first party and third party first)")
    for name in sorted(users, key=lambda n: (key(n)[0], -users[n], n)):
        kind = report.info(name).kind.replace("_", " ")
        out.append(f"  {name:<{width}}  {users[name]:>6}  {kind}")
    unused = [n for n in sorted(kept - set(users), key=key) if report.info(n).kind != STDLIB]
    out.append("")
    out.append(f"used by the session but by no test (only while collecting, or by pytest itself), "
               f"standard library left out ({len(unused)})")
    out.extend(f"  {n}" for n in unused) if unused else out.append("  (none)")
    out.append("")
    out.append("each test: its first-party and third-party modules (+ how many standard-library modules)")
    for nodeid in sorted(tests):
        names = tests[nodeid]
        own = [n for n in sorted(names, key=key) if report.info(n).kind != STDLIB]
        std = len(names) - len(own)
        tail = f" (+{std} stdlib)" if std else ""
        out.append(f"  {nodeid}{tail}")
        if own:
            out.append("      " + ", ".join(own))
    return "\n".join(out) + "\n"
