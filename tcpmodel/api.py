"""The Python API: what the command line does, as functions that return typed results.

    import tcpmodel as tm
    run = tm.run("time-wait")                   # explicit engine, the check's parameters
    run.verdicts["time_wait_safety"]            # 'violated'
    run["time_wait_safety"].trace.steps[12]     # a Step: actor, event, rule, segments, states
    tm.chart(run["time_wait_safety"].trace).save("tw.svg")

Every ``tcpmodel`` command calls these functions (``tcpmodel/cli/`` only parses arguments and
prints), so a script gets exactly the verdicts, traces and pictures the command line shows.
Results show themselves in Jupyter: a :class:`CheckRun` as an HTML table, a :class:`Picture`
and a trace as SVG.  docs/api.md has examples (a test runs them).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError

ENGINES = ("explicit", "z3", "both")
INFER_MODES = ("auto", "always", "off")
BMC_MODES = ("depth", "find")
EXIT_OK, EXIT_VIOLATED, EXIT_UNKNOWN, EXIT_DISAGREE = 0, 1, 3, 4

__all__ = ["CheckRun", "ENGINES", "Page", "Picture", "ScenarioRun", "chart", "check_names", "diff",
           "exit_code", "fsm", "junit_xml", "load", "pairs", "read_trace", "report_page", "run",
           "run_scenario", "scenario_names", "traces_to_draw", "variant_names", "write_traces"]


# ------------------------------------------------------------------ loading

def check_names() -> list[str]:
    """The shipped checks' names."""
    from .check import list_checks
    return list_checks()


def variant_names() -> list[str]:
    """The shipped variants' names."""
    from .spec import list_variants
    return list_variants()


def scenario_names() -> list[str]:
    """The shipped scenarios' names."""
    from .scenario import list_scenarios
    return list_scenarios()


def load(check: str = "handshake", *, variant: str | None = None, params: dict | None = None,
         properties: list[str] | None = None):
    """A check built for the engines (``tcpmodel.check.Model``: ``.check``, ``.system``,
    ``.properties``).  ``check`` is a shipped name or a path; ``variant`` replaces the check's;
    ``params`` override its ``[params]`` (as ``--set`` does: values are numbers, booleans,
    strings, lists, or command-line text such as ``"2"``); ``properties`` selects properties
    (the check's own or any from the library).  Bad input raises ``InputError``."""
    from .check import build, load_check
    from .params import parse_cli_value
    overrides = {k: parse_cli_value(v) if isinstance(v, str) else v
                 for k, v in (params or {}).items()}
    return build(load_check(check, overrides=overrides, variant=variant), properties or None)


def _model(check, variant, params, properties):
    if isinstance(check, str) or isinstance(check, Path):
        return load(str(check), variant=variant, params=params, properties=properties)
    if variant or params or properties:
        raise InputError("give variant, params and properties to load(), or a check name here",
                         where="tcpmodel.api")
    return check


# ------------------------------------------------------------------ checking

@dataclass
class CheckRun:
    """One check run: the model, the result of the engine that decides (``result``: a
    ``tcpmodel.results.CheckResult`` with ``properties``, a list of ``PropertyResult``), and
    with ``engine="both"`` the z3 result and the cross-check beside it."""
    model: object
    result: object
    z3: object = None
    cross_check: dict | None = None

    @property
    def inference(self):
        """The z3 engine's invariant inference (``tcpmodel.engines.inference.Inference``:
        per-property results, ``toml()`` for a check file), or None when none ran."""
        zres = self.z3 if self.z3 is not None else (
            self.result if getattr(self.result, "engine", None) == "z3" else None)
        return getattr(zres, "inference", None)

    @property
    def name(self) -> str:
        return self.result.name

    @property
    def variant(self) -> str:
        return self.result.variant

    @property
    def properties(self) -> list:
        return self.result.properties

    @property
    def verdicts(self) -> dict:
        """Property name -> 'holds', 'violated' or 'unknown'."""
        return {p.name: p.verdict for p in self.result.properties}

    def __getitem__(self, name: str):
        """The ``PropertyResult`` of property ``name`` (verdict, kind, trace, depth, detail)."""
        for p in self.result.properties:
            if p.name == name:
                return p
        raise KeyError(name)

    @property
    def states(self) -> int:
        return self.result.states

    @property
    def transitions(self) -> int:
        return self.result.transitions

    @property
    def depth(self) -> int:
        return self.result.depth

    @property
    def disagreed(self) -> bool:
        return bool(self.cross_check and self.cross_check["disagreements"])

    @property
    def exit_code(self) -> int:
        """The command line's exit code for this run alone (4 when the engines disagree)."""
        return EXIT_DISAGREE if self.disagreed else self.result.exit_code()

    def text(self, *, witnesses: bool = False, diffs: bool = True, coverage: bool = False) -> str:
        """What ``tcpmodel check`` prints for this run."""
        from .report import render_check
        out = [render_check(self.model, r, witnesses=witnesses, diffs=diffs, coverage=coverage)
               for r in (self.result, self.z3) if r is not None]
        inf = self.inference
        if inf is not None:
            lines = [inf.summary()]
            if inf.toml():
                lines.append("   inferred strengthening (for the check file):")
                lines += ["     " + line for line in inf.toml().splitlines()]
            out.append("\n".join(lines) + "\n")
        if self.cross_check is not None:
            out.append(render_cross_check(self.cross_check))
        return "\n".join(out)

    def to_json(self) -> dict:
        """The run as in ``tcpmodel check --json`` (one element of its ``checks``)."""
        d = self.result.to_json()
        if self.z3 is not None:
            d["z3"] = self.z3.to_json()
            d["cross_check"] = self.cross_check
        inf = self.inference
        if inf is not None:
            (d["z3"] if self.z3 is not None else d)["inference"] = inf.to_json()
        return d

    def _repr_html_(self) -> str:
        from .render.html import check_section
        charts = {p.name: chart(p.trace, t).svg for p, t in traces_to_draw(self)}
        return check_section({"model": self.model, "result": self.result, "charts": charts})

    def __repr__(self) -> str:
        parts = ", ".join(f"{k}={v}" for k, v in self.verdicts.items())
        return f"<CheckRun {self.name} ({self.variant}): {parts}>"


def run(check="handshake", *, variant: str | None = None, params: dict | None = None,
          properties: list[str] | None = None, engine: str = "explicit",
          max_states: int | None = None, timeout: float | None = None, workers: int = 1,
          depth: int | None = None, bmc_budget: float | None = None, spacer: bool = False,
          proof_timeout: float | None = 120.0, samples: int = 2, infer: str = "auto",
          infer_timeout: float = 300.0, progress=None, quiet: bool = False,
          max_memory: int | None = None, bmc: str = "depth",
          shorten: float | None = None, portfolio: int = 1) -> CheckRun:
    """Run one check and return its :class:`CheckRun`.

    ``check``: a name, a path or a model from :func:`load`.  ``engine``: ``"explicit"`` (BFS,
    the reference), ``"z3"`` (BMC to ``depth``, k-induction proofs) or ``"both"`` (compared:
    see ``CheckRun.cross_check``).  A limit reached (``max_states``, ``timeout``) gives
    ``unknown``, never ``holds``; so does ``max_memory`` (bytes held by the process).
    ``infer`` (z3): ``"auto"`` infers a strengthening for an ``always`` property that has none
    and that k-induction alone does not prove, ``"always"`` for every ``always`` property
    (``CheckRun.inference``), ``"off"`` never; ``infer_timeout`` bounds it per check.
    ``bmc`` (z3): ``"depth"`` tries depths in order (shortest traces), ``"find"`` asks one query
    per bound and shortens a found trace within ``shorten`` seconds (default 10); its traces
    say whether they are proven shortest; ``portfolio`` > 1 solves each of its queries with
    that many solver processes side by side, the first answer winning.
    ``progress``: a text stream for progress lines (e.g. ``sys.stderr``), or None; with
    ``quiet`` only a heartbeat on long runs and a warning when a run grows large."""
    if engine not in ENGINES:
        raise InputError(f"unknown engine '{engine}'", where="engine", fix="one of " + ", ".join(ENGINES))
    if infer not in INFER_MODES:
        raise InputError(f"unknown inference mode '{infer}'", where="infer",
                         fix="one of " + ", ".join(INFER_MODES))
    if bmc not in BMC_MODES:
        raise InputError(f"unknown BMC mode '{bmc}'", where="bmc", fix="one of " + ", ".join(BMC_MODES))
    if bmc == "find" and engine != "z3":
        raise InputError("BMC's find mode is an option of the z3 engine", where="bmc",
                         fix="use engine 'z3' (engine 'both' confirms the explicit engine's "
                             "trace lengths instead)")
    model = _model(check, variant, params, properties)
    res = zres = cc = None
    if engine in ("explicit", "both"):
        from .engines import explicit
        prog = None if progress is None else explicit.progress_for(
            model, progress, quiet=quiet, limited=max_states is not None or timeout is not None)
        res = explicit.check(model, max_states=max_states, timeout=timeout, progress=prog,
                             workers=workers, max_memory=max_memory)
    if engine in ("z3", "both") and not (res and res.stop_reason == "interrupted"):
        zres = _run_z3(model, res, depth=depth, timeout=timeout, spacer=spacer,
                       proof_timeout=proof_timeout, bmc_budget=bmc_budget,
                       progress=None if quiet else progress, infer=infer,
                       infer_timeout=infer_timeout, bmc=bmc, shorten=shorten,
                       portfolio=portfolio)
        if res is not None:
            from .engines import crosscheck
            cc = crosscheck.cross_check(model, res, zres, samples=samples)
            zres.cross_check = cc
    out = CheckRun(model, zres) if res is None else CheckRun(model, res, zres, cc)
    out._progress = None if quiet else progress   # for the pictures' projection (_projection)
    return out


def _run_z3(model, eres, *, depth, timeout, spacer, proof_timeout, bmc_budget, progress,
            infer, infer_timeout, bmc="depth", shorten=None, portfolio=1):
    """The z3 engine.  Beside the explicit engine it confirms the length of every trace the
    explicit engine found (two queries each) and BMC goes to ``depth`` (default BOTH_DEPTH)
    for the rest."""
    from .engines import crosscheck, symbolic

    if depth is None:
        depth = symbolic.DEFAULT_DEPTH if eres is None else symbolic.BOTH_DEPTH
    report = None
    if progress is not None:
        def report(d, secs, name=model.check.name):
            if secs >= 1.0:
                print(f"  [{name}] z3: BMC depth {d} in {secs:.1f} s", file=progress, flush=True)
    from .engines import inference
    say = None
    if progress is not None:
        def say(msg, name=model.check.name):
            print(f"  [{name}] z3 inference: {msg}", file=progress, flush=True)
    return symbolic.check(model, depth=depth, timeout=timeout, spacer=spacer,
                          infer=inference.infer, infer_mode=infer, say=say,
                          infer_timeout=infer_timeout, bmc_mode=bmc, portfolio=portfolio,
                          shorten=(shorten if shorten is not None
                                   else symbolic.DEFAULT_SHORTEN),
                          proof_timeout=proof_timeout, progress=report,
                          keep_going=eres is not None,
                          bmc_budget=(bmc_budget if bmc_budget is not None
                                      else symbolic.DEFAULT_BMC_BUDGET),
                          lengths=crosscheck.trace_lengths(eres) if eres is not None else None)


def render_cross_check(cc: dict) -> str:
    """The cross-check's lines in ``tcpmodel check --engine both``."""
    head = (f"   cross-check: the engines agree on every decided verdict and trace length; "
            f"{cc['depth_samples']} sampled BFS states are reached by Z3 in exactly their BFS depth "
            f"and {cc['successor_samples']} have the same successors")
    if cc["agree"]:
        return head + "\n"
    lines = ["   CROSS-CHECK FAILED: the engines disagree (a bug in one of them):"]
    lines += [f"     - {d}" for d in cc["disagreements"]]
    return "\n".join(lines) + "\n"


def exit_code(runs, interrupted: bool = False) -> int:
    """The command line's exit code for several runs: 4 if engines disagreed, else 1 if a
    property is violated, else 3 if one is unknown (or the runs were interrupted), else 0."""
    codes = [r.exit_code for r in runs]
    return (EXIT_DISAGREE if EXIT_DISAGREE in codes else EXIT_VIOLATED if EXIT_VIOLATED in codes
            else EXIT_UNKNOWN if EXIT_UNKNOWN in codes or interrupted else EXIT_OK)


def junit_xml(runs) -> str:
    """JUnit XML for CI: one test suite per run, one test case per property (a violation is a
    failure carrying the trace as text, unknown an error)."""
    from . import junit
    return junit.junit_xml(runs)


# ------------------------------------------------------------------ scenarios

@dataclass
class ScenarioRun:
    """One scenario searched on one variant: ``found`` (None: a limit was hit), ``trace``,
    ``expected`` ('found', 'impossible' or None) and ``as_expected``; ``outcome`` is the
    search's full ``tcpmodel.scenario.Outcome``."""
    outcome: object

    @property
    def name(self) -> str:
        return self.outcome.scenario.name

    @property
    def variant(self) -> str:
        return self.outcome.variant

    @property
    def found(self):
        return self.outcome.found

    @property
    def trace(self):
        return self.outcome.trace

    @property
    def expected(self):
        return self.outcome.expected

    @property
    def as_expected(self):
        return self.outcome.as_expected

    @property
    def ok(self) -> bool:
        """As its file expects (or found, where it expects nothing)."""
        return bool(self.as_expected if self.expected is not None else self.found)

    def text(self, *, diffs: bool = False) -> str:
        from .scenario_report import render_outcome
        return render_outcome(self.outcome, diffs=diffs)

    def to_json(self) -> dict:
        from .scenario_report import outcome_json
        return outcome_json(self.outcome)

    def _repr_html_(self) -> str:
        from .render.xml import esc
        head = f"<pre>{esc(self.text())}</pre>"
        return head + (chart(self.trace, self.outcome.scenario.title)._repr_svg_()
                       if self.trace is not None else "")


def run_scenario(name: str, *, variant: str | None = None, params: dict | None = None,
             max_states: int = 2_000_000, timeout: float | None = None) -> list[ScenarioRun]:
    """Search for scenario ``name`` (a shipped name or a path): one :class:`ScenarioRun` per
    variant its file states an expectation for, or on ``variant`` alone."""
    from .params import parse_cli_value
    from .scenario import run, variants_of
    overrides = {k: parse_cli_value(v) if isinstance(v, str) else v
                 for k, v in (params or {}).items()}
    return [ScenarioRun(run(name, variant=v, overrides=overrides, max_states=max_states,
                            timeout=timeout))
            for v in ([variant] if variant else variants_of(name))]


# ------------------------------------------------------------------ pictures

@dataclass
class Picture:
    """A picture in the formats it can be written as: Graphviz pictures keep their DOT text
    and are laid out on demand; sequence charts are SVG (plus Mermaid and text)."""
    title: str = ""
    dot: str | None = None
    sources: dict = field(default_factory=dict)   # format -> text (svg, mermaid, text)

    @property
    def formats(self) -> tuple:
        return (("svg", "png", "dot") if self.dot is not None else ()) + tuple(
            f for f in self.sources if f != "svg" or self.dot is None)

    def render(self, fmt: str = "svg"):
        """The picture as ``fmt`` ('svg', 'png', 'dot', 'mermaid', 'text'): str, or bytes for
        PNG.  Graphviz layouts use a system ``dot``, else graphviz-pure."""
        if fmt in self.sources:
            return self.sources[fmt]
        if self.dot is not None and fmt in ("svg", "png", "dot"):
            from .render.files import graph_output
            out = graph_output(self.dot, fmt)
            if fmt == "svg":
                self.sources["svg"] = out
            return out
        raise InputError(f"this picture cannot be written as {fmt}", where="format",
                         fix="use one of " + ", ".join(self.formats))

    @property
    def svg(self) -> str:
        return self.render("svg")

    def save(self, path, fmt: str | None = None) -> Path:
        """Write the picture to ``path`` (format from ``fmt`` or the file suffix)."""
        from .render.files import emit, format_of
        fmt = format_of(str(path), fmt, self.formats, "svg")
        emit(self.render(fmt), str(path))
        return Path(path)

    def _repr_svg_(self) -> str:
        from .render.xml import strip_prolog
        return strip_prolog(self.svg)


def _spec(variant):
    from .spec import load_variant
    return load_variant(variant) if isinstance(variant, str) else variant


def fsm(variant: str = "rfc9293", *, main: bool = False, collapse: bool = True,
        loops: bool = True, coverage: CheckRun | None = None) -> Picture:
    """The endpoint state diagram of ``variant`` (RFC 9293 Figure 5 layout; ``main``: the RFC's
    main transitions only).  With ``coverage`` (an explicit-engine run) the transitions that
    run never fired are dashed, and the variant is the run's."""
    from .render.fsm import fsm_dot
    from .render.mermaid import fsm_mermaid
    if coverage is not None:
        spec = coverage.model.check.spec
        proj = _projection(coverage)
        dot = fsm_dot(spec, main_only=main, collapse=collapse, loops=loops, fired=proj.fired,
                      coverage_of=coverage.model.check.name)
        return Picture(f"{coverage.name}: coverage", dot)
    spec = _spec(variant)
    dot = fsm_dot(spec, main_only=main, collapse=collapse, loops=loops)
    return Picture(spec.name, dot, {"mermaid": fsm_mermaid(spec, main_only=main, loops=loops)})


def diff(old: str, new: str = "rfc9293", *, loops: bool = True) -> Picture:
    """Variants ``old`` and ``new`` on one diagram: added, removed and changed transitions."""
    from .render.diff import diff_dot
    return Picture(f"{old} vs {new}", diff_dot(_spec(old), _spec(new), loops=loops))


def _projection(run: CheckRun):
    ex = getattr(run.result, "_exploration", None)
    if ex is None:
        raise InputError("this picture needs a run of the explicit engine", where="run",
                         fix="run(..., engine='explicit')")
    cached = getattr(run, "_projection", None)
    if cached is None:
        from .render.explored import progress_lines, project
        stream = getattr(run, "_progress", None)
        tick = progress_lines(run.model.check.name, stream) if stream is not None else None
        cached = run._projection = project(run.model.system, ex, tick)
    return cached


def pairs(run: CheckRun) -> Picture:
    """The reachable (A state, B state) pairs of an explicit-engine run, with its dead ends
    and the states where its counterexamples end."""
    from .render.explored import counterexample_ends
    from .render.pairs import pairs_dot
    spec = run.model.check.spec
    labels = spec.diagram.labels if spec.diagram else {}
    return Picture(f"{run.name}: state pairs",
                   pairs_dot(_projection(run), name=run.model.check.name, labels=labels,
                             ends=counterexample_ends(run.result)))


def chart(trace, title: str = "") -> Picture:
    """A trace's sequence chart (SVG), with its Mermaid and RFC-notation text forms."""
    from .render.mermaid import trace_mermaid
    from .render.seqchart import chart_svg
    from .trace import render_text
    return Picture(title, None, {"svg": chart_svg(trace, title),
                                 "mermaid": trace_mermaid(trace, title),
                                 "text": f"{title}\n\n{render_text(trace, indent='')}\n"
                                         if title else render_text(trace, indent="") + "\n"})


def read_trace(path, *, check: str | None = None, prop: str | None = None) -> tuple:
    """(trace, title) from a JSON file written by ``tcpmodel check --json`` or ``--out``,
    ``tcpmodel explore`` or ``Trace.to_json``; in a whole ``check --json`` document pick one
    with ``check`` and ``prop`` (by default the only violation).  The title is None for a bare
    trace."""
    from .tomlfile import read_input
    from .trace import trace_from_json
    path = str(path)
    text = read_input(path)   # capped, UTF-8, one-line errors
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(f"malformed JSON: {e.msg}", file=path, where=f"{e.lineno}:{e.colno}",
                         fix="give a file written by tcpmodel check --json or --out") from None
    except RecursionError:
        raise InputError("malformed trace: the JSON nests too deeply", file=path,
                         fix="give a file written by tcpmodel check --json or --out") from None
    found, title = _pick_trace(doc, path, check, prop)
    return trace_from_json(found, file=path), title


def _pick_trace(doc, path, check, prop) -> tuple:
    """(trace document, title) from a trace, a property, a check or a check --json document."""
    if isinstance(doc, dict) and "steps" in doc:
        return doc, None
    cands = []   # (check, property, verdict, trace)
    checks = doc.get("checks") if isinstance(doc, dict) else None
    if checks is None and isinstance(doc, dict) and "properties" in doc:
        checks = [doc]
    for c in checks if isinstance(checks, list) else []:
        props = c.get("properties") if isinstance(c, dict) else None
        for name, p in (props.items() if isinstance(props, dict) else ()):
            if isinstance(p, dict) and "trace" in p:
                cands.append((str(c.get("name")), name, p.get("verdict"), p["trace"]))
    if isinstance(doc, dict) and "trace" in doc and not cands:
        cands.append((None, None, doc.get("verdict"), doc["trace"]))
    if not cands:
        raise InputError("no trace in this file", file=path,
                         fix="give a file written by 'tcpmodel check --json' or '--out'")
    if check:
        cands = [c for c in cands if c[0] == check]
    if prop:
        cands = [c for c in cands if c[1] == prop]
    if len(cands) > 1 and not prop:
        violated = [c for c in cands if c[2] == "violated"]
        cands = violated or cands
    if len(cands) != 1:
        names = ", ".join(f"{c}/{p}" for c, p, _, _ in cands) or "none matches"
        raise InputError(f"the file holds {len(cands)} matching traces ({names})", file=path,
                         fix="pick one with --check NAME and --property NAME")
    c, p, verdict, trace = cands[0]
    return trace, (f"{c}: {p} {verdict}" if p else None)


def report_page(runs, *, witnesses: bool = False, title: str = "tcpmodel report",
                warn=None) -> Page:
    """One self-contained HTML report (a :class:`Page`) of explicit-engine runs: verdicts, state pairs, coverage
    diagrams, and every counterexample (and witness, if asked) as a chart and as text.
    ``warn(message)`` hears of pictures that could not be laid out (they are left out)."""
    from .render.html import report_html

    pages = []
    for run in runs:
        page = {"model": run.model, "result": run.result,
                "charts": {p.name: chart(p.trace, t).svg for p, t in traces_to_draw(run, witnesses)}}
        for key, pic in (("pairs_svg", lambda: pairs(run)), ("fsm_svg", lambda: fsm(coverage=run))):
            try:
                page[key] = pic().svg
            except InputError as e:   # the report is still worth having without the layouts
                page[key] = str(e)
                if warn is not None:
                    warn(str(e))
        pages.append(page)
    interrupted = any(r.result.stop_reason == "interrupted" for r in runs)
    return Page(report_html(pages, title=title, exit_code=exit_code(runs, interrupted)))


@dataclass
class Page:
    """An HTML document (the report): ``html``, ``save(path)``, and shown as such in Jupyter."""
    html: str

    def save(self, path) -> Path:
        from .render.files import emit
        emit(self.html, str(path))
        return Path(path)

    def __str__(self) -> str:
        return self.html

    def _repr_html_(self) -> str:
        return self.html


def traces_to_draw(run: CheckRun, witnesses: bool = False):
    """(property result, title) of each trace a run shows: counterexamples, and witnesses
    if asked."""
    res = run.result
    for p in res.properties:
        if p.trace is not None and (p.verdict == "violated" or witnesses):
            what = "counterexample" if p.verdict == "violated" else "witness"
            yield p, (f"{res.name} ({res.variant}): {p.name} {p.verdict}, "
                      f"shortest {what} ({p.depth} steps)")


def write_traces(run: CheckRun, directory, witnesses: bool = False, stream=sys.stderr) -> list:
    """Each counterexample (and witness) of ``run`` as .svg, .mmd, .json and .txt in
    ``directory``; returns the chart paths."""
    from .render.files import write_trace_files
    out = []
    for p, title in traces_to_draw(run, witnesses):
        paths = write_trace_files(p.trace, Path(directory), f"{run.model.check.name}-{p.name}",
                                  title)
        out.append(paths[0])
        if stream is not None:
            print(f"  chart written to {paths[0]} (and .mmd, .json, .txt)", file=stream)
    return out


def mutation(checks=None, *, variant: str | None = None, params: dict | None = None,
           properties: list[str] | None = None, kinds=None, rules=None, overlay: bool = False,
           jobs: int = 1, matrix: bool = False, max_states: int | None = None,
           timeout: float | None = 60.0, progress=None):
    """Mutation analysis (docs/mutation.md): one-rule mutants of the variant's rules, each run
    on the checks (a name, a path or a list; None: every shipped check on ``variant``, default
    rfc9293). Returns a ``MutationRun``: ``.score``, ``.mutants`` (each with ``.status`` and
    its ``.outcomes`` per check), ``.status(id)``, ``.text()``, ``.to_json()``."""
    from .mutate import KINDS, Options
    from .mutate import run as run_mutation
    if isinstance(checks, str):
        checks = [checks]
    opts = Options(variant=variant, overrides=dict(params or {}),
                   properties=list(properties) if properties else None,
                   kinds=tuple(kinds) if kinds else KINDS, rules=tuple(rules) if rules else None,
                   overlay=overlay, max_states=max_states, timeout=timeout, matrix=matrix,
                   jobs=jobs)
    return run_mutation(list(checks) if checks else None, opts, progress)
