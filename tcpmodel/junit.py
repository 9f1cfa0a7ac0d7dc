"""JUnit XML for continuous integration: one test suite per check run, one test case per
property.  A violated property is a ``<failure>`` whose text is the trace in RFC notation; an
unknown verdict (a limit reached) is an ``<error>``, never a pass; a witness of a ``sometimes``
property is the passing case's ``<system-out>``.  With ``--engine both`` a last case says
whether the engines agree."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from .trace import render_text


def suite_xml(run) -> str:
    """The ``<testsuite>`` of one ``tcpmodel.api.CheckRun``, as text."""
    res = run.result
    suite = ET.Element("testsuite", name=f"{res.name} ({res.variant})")
    props = ET.SubElement(suite, "properties")
    for k, v in (("engine", res.engine), ("variant", res.variant), ("states", res.states),
                 ("transitions", res.transitions), ("depth", res.depth),
                 ("complete", str(res.complete).lower()), ("stop_reason", res.stop_reason or ""),
                 *((f"param.{k}", v) for k, v in run.model.check.overrides.items())):
        ET.SubElement(props, "property", name=str(k), value=str(v))
    counts = {"tests": 0, "failures": 0, "errors": 0}
    classname = f"{res.name}.{res.variant}"
    for p in res.properties:
        case = ET.SubElement(suite, "testcase", classname=classname, name=p.name)
        if p.seconds is not None:
            case.set("time", f"{p.seconds:.3f}")
        counts["tests"] += 1
        formula = " ".join(p.formula.split())
        trace = render_text(p.trace, indent="") if p.trace is not None else None
        if p.verdict == "violated":
            counts["failures"] += 1
            what = "counterexample" if p.kind != "sometimes" else "no witness"
            detail = f" ({p.detail})" if p.detail else ""
            el = ET.SubElement(case, "failure", type="violated",
                               message=f"{p.name} violated: {formula}{detail}")
            el.text = (f"{p.name} ({p.kind}) violated: {formula}\n"
                       + (f"{' '.join(p.doc.split())}\n" if p.doc else "")
                       + (f"shortest {what}, {p.depth} steps:\n{trace}\n" if trace
                          else f"{p.detail}\n"))
        elif p.verdict != "holds":
            counts["errors"] += 1
            el = ET.SubElement(case, "error", type=p.verdict,
                               message=f"{p.name} {p.verdict}: {p.detail}")
            el.text = f"{p.name} ({p.kind}): {formula}\n{p.verdict}: {p.detail}\n"
        else:
            out = ET.SubElement(case, "system-out")
            out.text = (f"holds ({p.method}): {p.detail}\n"
                        + (f"shortest witness, {p.depth} steps:\n{trace}\n" if trace else ""))
    if run.cross_check is not None:
        counts["tests"] += 1
        case = ET.SubElement(suite, "testcase", classname=classname, name="engines agree")
        if run.cross_check["disagreements"]:
            counts["failures"] += 1
            el = ET.SubElement(case, "failure", type="disagreement",
                               message="the explicit and the z3 engine disagree")
            el.text = "\n".join(run.cross_check["disagreements"]) + "\n"
    for k, v in counts.items():
        suite.set(k, str(v))
    suite.set("skipped", "0")
    suite.set("time", f"{res.seconds:.3f}")
    ET.indent(suite, space="  ", level=1)
    return ET.tostring(suite, encoding="unicode")


def junit_document(suites: list[str]) -> str:
    """A ``<testsuites>`` document of suites made by :func:`suite_xml`."""
    root = ET.Element("testsuites", name="tcpmodel")
    totals = {"tests": 0, "failures": 0, "errors": 0}
    body = []
    for text in suites:
        el = ET.fromstring(text)
        for k in totals:
            totals[k] += int(el.get(k, 0))
        body.append("  " + text.strip())
    attrs = " ".join(f'{k}="{v}"' for k, v in (("name", root.get("name")), *totals.items()))
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + f"<testsuites {attrs}>\n"
            + "\n".join(body) + "\n</testsuites>\n")


def junit_xml(runs) -> str:
    """The JUnit document of several ``CheckRun``s."""
    return junit_document([suite_xml(r) for r in runs])
