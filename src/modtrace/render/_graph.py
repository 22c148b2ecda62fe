"""What the graph renderers share: the nodes, their groups and the edges."""

#: fill colours by kind
COLORS = {
    "main": "#f4a261",
    "first_party": "#e9c46a",
    "third_party": "#8ecae6",
    "stdlib": "#d9d9d9",
}


def graph(report):
    """``(nodes, groups, edges)``: nodes is ``[(name, kind, only_imported)]``;
    groups maps a distribution label to its member names; edges are
    ``(user, used)`` pairs between modules of the report."""
    trace = report.trace
    nodes = [(n, report.info(n).kind, trace[n].only_imported) for n in trace.names()]
    groups = {}
    for n in trace.names():
        d = report.info(n).distribution
        if d:
            label = f"{d['name']} {d['version']}" if d.get("version") else d["name"]
            groups.setdefault(label, []).append(n)
    edges = [(a, b) for a, b in trace.edges() if a in trace and b in trace and a != b]
    return nodes, groups, edges
