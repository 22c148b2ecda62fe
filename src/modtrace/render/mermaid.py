"""A Mermaid flowchart: an arrow from each module to the modules it used,
coloured by kind, distributions as subgraphs, modules only imported dashed."""

from ._graph import COLORS, graph


def _label(s):
    return '"' + str(s).replace('"', "#quot;") + '"'


def render(report):
    nodes, groups, edges = graph(report)
    ids = {name: f"m{i}" for i, (name, _, _) in enumerate(nodes)}
    out = ["flowchart LR"]
    grouped = {}
    for i, (label, members) in enumerate(sorted(groups.items())):
        for m in members:
            grouped[m] = i
    for i, (label, members) in enumerate(sorted(groups.items())):
        out.append(f"  subgraph d{i}[{_label(label)}]")
        for m in members:
            out.append(f"    {ids[m]}[{_label(m)}]")
        out.append("  end")
    for name, _, _ in nodes:
        if name not in grouped:
            out.append(f"  {ids[name]}[{_label(name)}]")
    for a, b in edges:
        out.append(f"  {ids[a]} --> {ids[b]}")
    for kind, color in COLORS.items():
        out.append(f"  classDef {kind} fill:{color},stroke:#555")
    out.append("  classDef only_imported stroke-dasharray: 4 3")
    by_kind = {}
    for name, kind, only in nodes:
        by_kind.setdefault(kind, []).append(ids[name])
    for kind, members in sorted(by_kind.items()):
        out.append(f"  class {','.join(members)} {kind}")
    only = [ids[n] for n, _, o in nodes if o]
    if only:
        out.append(f"  class {','.join(only)} only_imported")
    return "\n".join(out) + "\n"
