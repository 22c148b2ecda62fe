"""The report as the JSON document that ``-o`` writes (see :mod:`modtrace.report`)."""


def render(report):
    return report.to_json()
