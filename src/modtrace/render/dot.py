"""A Graphviz ``dot`` graph: an arrow from each module to the modules it used,
coloured by kind, distributions drawn as clusters, modules only imported dashed."""

from ._graph import COLORS, graph


def _q(s):
    return '"' + str(s).replace("\\", "\\\\").replace('"', '\\"') + '"'


def render(report):
    nodes, groups, edges = graph(report)
    out = [
        "digraph modtrace {",
        "  rankdir=LR;",
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10];',
    ]
    grouped = set()
    for i, (label, members) in enumerate(sorted(groups.items())):
        out.append(f"  subgraph cluster_{i} {{")
        out.append(f"    label={_q(label)}; style=dashed;")
        for m in members:
            out.append(f"    {_q(m)};")
            grouped.add(m)
        out.append("  }")
    for name, kind, only in nodes:
        style = ', style="rounded,filled,dashed"' if only else ""
        out.append(f"  {_q(name)} [fillcolor={_q(COLORS.get(kind, '#ffffff'))}, tooltip={_q(kind)}{style}];")
    for a, b in edges:
        out.append(f"  {_q(a)} -> {_q(b)};")
    out.append("}")
    return "\n".join(out) + "\n"
