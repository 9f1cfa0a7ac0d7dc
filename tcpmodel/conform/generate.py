"""Conformance cases generated from the model, never written by hand.

- :func:`scenario_cases`: every scenario run (``specs/scenarios/`` or a user's file), once per
  endpoint the kernel can play;
- :func:`rule_cases`: the rule-coverage suite, for each rule of the variant the kernel's side
  can fire, the shortest model run that fires it with the peer and the network played by the
  tester: a breadth-first search of the composed system (legitimate peer, no injections)
  first, then one more stimulus of the tester's choice (a call, a timeout, or any segment,
  which the trace shows as an injection) from the nearest state where the rule can fire;
- :func:`walk_cases`: seeded random walks of the same system for longer interleavings.

A rule or run the kernel cannot take part in becomes a skipped case with its reason.
"""

from __future__ import annotations

import random

from ..endpoint import FLAG_BIT, NO_SEG
from ..errors import InputError
from ..params import resolve
from ..spec import load_variant
from ..system import ATTACK, IN, Action, System
from .cases import case_from_run, slow_reason, unsupported, variant_ref

KERNEL = 0   # the kernel plays A in generated runs (both scripts are "any": A and B are alike)
COVERAGE_PARAMS = {"seq_space": 8, "rcv_wnd": 2, "data": 1, "capacity": 2,
                   "keepalive": True, "user_timeout": True, "iss_a": 0, "iss_b": 4}
INJECTIONS = 1   # segments of the tester's choice per run, beyond what a legitimate peer sends
# what the tester may send (the model's attacker forges no FIN or data; the tester can), also
# without the ACK bit: a FIN, an octet of data, and a segment without any flag (rcv_noack)
TESTER_PATTERNS = ("SYN", "SYN,ACK", "ACK", "ACK,DATA", "FIN,ACK", "RST", "RST,ACK",
                   "FIN", "DATA", "")
PHASE1_STATES = 30_000
SWITCHES = {"keepalive": "keepalive", "user_timeout": "user_timeout"}   # timer -> param
# Retry limits for the rules that give a connection up (rto-*-give-up): one retransmission,
# then the next timeout gives up (a few seconds on the kernel, whose sysctls are set to match).
# The retransmission timer may fire while the segment is in flight: the tester, playing the
# network, simply does not answer.  Used only for rules the ordinary search does not fire.
RETRY_PARAMS = {"syn_retries": 1, "retries": 1, "spurious_rto": True}
RETRY_STATES = 10_000    # their runs are short (6 stimuli at most): a smaller search finds them
INTERNAL = ("output",)   # timers the kernel takes by itself as soon as they are enabled
HELD = "held"            # fired_at[HELD]: calls' rules that fire only before an internal step


def coverage_system(variant: str, overrides: dict | None = None) -> System:
    """The composed system of generated runs: both applications may make any call at any
    time, one octet of data each way.  (The tester's own segments are added to runs by
    :func:`_extra_moves`, not by the model's attacker, whose hundreds of choices per state
    would dominate the search.)"""
    params = dict(COVERAGE_PARAMS)
    params.update(overrides or {})
    return System(load_variant(variant), resolve(params), (None, None))


def tester_segments(m) -> list:
    """Every segment the tester may send, as rule-visible codes (all SEQ, and ACK where set)."""
    out = []
    for pat in TESTER_PATTERNS:
        flags = [f for f in pat.split(",") if f]
        data = "DATA" in flags
        bits = sum(FLAG_BIT[f] for f in flags if f != "DATA")
        acks = range(m.n) if bits & FLAG_BIT["ACK"] else (0,)
        out += [m.seg.pack(q, a, bits, int(data)) for q in range(m.n) for a in acks]
    return out


def internal_pending(m, code: int, inc: int = 0) -> bool:
    """Whether the kernel side has an internal step to take at once in local state ``code``
    (queued data or a queued FIN to send: the ``output`` timer is enabled)."""
    for ev in INTERNAL:
        i = m.event_index.get(ev)
        if i is not None and any(o.code != code or o.send != NO_SEG
                                 for o in m.react(code, i, NO_SEG, False, inc)):
            return True
    return False


def kernel_moves(system: System, s: tuple, *, slow: bool = False) -> list:
    """The successors of ``s`` in which the kernel can take part: no injection towards the
    tester (it plays the peer itself), and only steps the kernel can make.  An internal step
    of the kernel (``output``) comes before anything else: the kernel sends queued data in
    the same instant it can."""
    m = system.machines[KERNEL]
    out = []
    for act, t in system.successors(s):
        if act.side == KERNEL and act.kind in ("call", "rcv", "timer", "crash"):
            event = system.event_name(act)
            if unsupported(act.kind, event, m.state_name(s[KERNEL])):
                continue
            if not slow and slow_reason(act.kind, event):
                continue
        out.append((act, t))
    first = [(a, t) for a, t in out if a.side == KERNEL and a.kind == "timer"
             and system.event_name(a) in INTERNAL]
    return first or out


def _finish(case, system) -> None:
    """Switch off timers the run does not use (a keep-alive every second, or a 1 s user
    timeout, would otherwise interfere with the kernel's other timers)."""
    used = {st.event for st in case.stimuli if st.kind == "timer"}
    for timer, param in SWITCHES.items():
        if param in case.params and timer not in used:
            case.params[param] = False


# ---------------------------------------------------------------- rule coverage

def rule_cases(variant: str, *, overrides: dict | None = None, max_states: int = PHASE1_STATES,
               progress=None) -> list:
    """One case per transition of ``variant`` the kernel's side can take: each rule in each of
    its (state, event) pairs, with the shortest run that fires it there; skipped cases (with
    their reasons) for the rest.  In the order of the rule file.

    Transitions the search does not fire are searched again with retry limits
    (:data:`RETRY_PARAMS`, unless ``overrides`` sets them): the rules that give a connection up
    after too many retransmissions fire only under a limit."""
    system = coverage_system(variant, overrides)
    m = system.machines[KERNEL]
    best, fired_at = _search(system, max_states, progress)
    retry = {k: v for k, v in RETRY_PARAMS.items() if k not in (overrides or {})}
    wanted = {(k, m.states.index(st), m.event_index[ev])
              for k, r in enumerate(m.rules) for st in r.states for ev in r.events}
    if retry and wanted - set(best):
        limited = coverage_system(variant, {**(overrides or {}), **retry})
        more, fired_more = _search(limited, min(max_states, RETRY_STATES), progress)
        for key in wanted - set(best):
            if key in more:
                best[key] = more[key]
        for key, rules in fired_more.items():
            if key != HELD:
                fired_at.setdefault(key, set()).update(rules)
    cases = []
    for k, rule in enumerate(m.rules):
        triples = [(m.states.index(st), m.event_index[ev]) for st in rule.states
                   for ev in rule.events]
        if _idle_timer(system, rule):
            cases.append(_skipped(system, f"rule:{rule.id}", rule.id,
                                  "the rule says the timer is not running: there is no timeout "
                                  "for the kernel to take"))
            continue
        for si, ei in triples:
            name = (f"rule:{rule.id}" if len(triples) == 1
                    else f"rule:{rule.id}@{m.states[si]}:{m.events[ei]}")
            if (k, si, ei) not in best:
                cases.append(_skipped(system, name, rule.id, _why_not(m, k, si, ei, fired_at)))
                continue
            _, _, s, extra, sys_, parent = best[k, si, ei]
            moves = _path(parent, s) + _extra_moves(sys_, s, extra)
            case = case_from_run(sys_, sys_.initial_states()[0], moves, KERNEL, name=name,
                                 origin="rules", rule=rule.id)
            _finish(case, sys_)
            cases.append(case)
    return cases


def _search(system: System, max_states: int, progress) -> tuple:
    """The cheapest run per transition (rule, state, event) of the kernel's side: {key: (cost,
    kind, state, last move, system, parents)}, and the rules phase 2 saw fire per (state,
    event)."""
    m = system.machines[KERNEL]
    best: dict = {}                      # (rule, state, event) -> (cost, kind, state, last move)
    start = system.initial_states()[0]
    parent = {start: None}
    first_local: dict = {start[KERNEL]: start}
    frontier = [start]
    depth = 0
    while frontier and len(parent) < max_states:
        nxt = []
        for s in frontier:
            # timeouts last among equally short runs: after a retransmission timeout Linux's
            # congestion window is one segment (tcp_enter_loss()), which holds back a FIN or
            # data behind the unacknowledged one; the model has no congestion window
            for act, t in sorted(kernel_moves(system, s), key=lambda mv: mv[0].kind == "timer"):
                if act.side == KERNEL and act.out is not None and act.kind != "crash":
                    key = (act.out.rule, m.state_of(s[KERNEL]), act.event)
                    best.setdefault(key, (depth + 1, 0, s, ("move", act, t)))
                if t not in parent:
                    parent[t] = (s, act)
                    nxt.append(t)
                    first_local.setdefault(t[KERNEL], t)
        frontier = nxt
        depth += 1
        if progress:
            progress(f"rule coverage: {len(parent):,} states, depth {depth}, "
                     f"{len(best)} transitions")
    depth_of = {}
    for s in first_local.values():
        d, cur = 0, s
        while parent[cur] is not None:
            cur = parent[cur][0]
            d += 1
        depth_of[s] = d
    found, fired_at = _phase2(system, m, first_local, depth_of)
    for key, cand in found.items():
        if key not in best or cand[:2] < best[key][:2]:
            best[key] = cand
    return {k: (*v, system, parent) for k, v in best.items()}, fired_at


def _phase2(system, m, first_local, depth_of) -> dict:
    """Per rule, the shortest run ending in one stimulus of the tester's choice from the
    nearest state with some local state of the kernel's side: a call (also one the model only
    answers with an error), a running timer's timeout, or any segment."""
    wanted = {(s, e) for r in m.rules for s in r.states for e in r.events}
    fired_at: dict = {}              # (state, event) -> rules that fired there, in phase 2
    held: dict = {}                  # ... and calls' rules that would, but for an internal step
    by_event: dict = {}
    for code in tester_segments(m):
        by_event.setdefault(m.events[m.classify(code)], []).append(code)
    order = sorted(first_local.values(), key=lambda s: depth_of[s])
    found: dict = {}
    for s in order:
        code = s[KERNEL]
        st = m.state_name(code)
        inc = s[4 + KERNEL]
        pending = internal_pending(m, code, inc)
        for ev_i, ev in enumerate(m.events):
            if (st, ev) not in wanted:
                continue
            kind = m.event_kind[ev_i]
            if pending and ev not in INTERNAL:
                # the kernel takes its internal step first: nothing can come in between
                if kind == "user":
                    for o in m.react(code, ev_i, NO_SEG, False, inc):
                        held.setdefault((m.state_of(code), ev_i), set()).add(o.rule)
                continue
            if kind == "segment":
                for seg in _plausible_first(m, code, by_event.get(ev, ())):
                    if len(s[IN[KERNEL]]) >= system.cap:
                        break
                    for o in m.react(code, ev_i, seg, False, inc):
                        fired_at.setdefault((m.state_of(code), ev_i), set()).add(o.rule)
                        _keep(found, (o.rule, m.state_of(code), ev_i),
                              (depth_of[s] + 2, 2, s, ("inject", seg)))
                continue
            if kind == "user":
                if unsupported("call", ev, st):
                    continue
                outs = m.react(code, ev_i, NO_SEG, False, inc + (code == m.initial_code))
            else:
                if unsupported("timer", ev, st):
                    continue
                outs = m.react(code, ev_i, NO_SEG, True, inc)
                outs = [o for o in outs if o.code != code or o.send != NO_SEG]  # a running timer
            for o in outs:
                fired_at.setdefault((m.state_of(code), ev_i), set()).add(o.rule)
                _keep(found, (o.rule, m.state_of(code), ev_i),
                      (depth_of[s] + 1, 1, s, ("call" if kind == "user" else "timer", ev_i, o)))
    fired_at[HELD] = held
    return found, fired_at


def _plausible_first(m, code: int, segs: list) -> list:
    """The tester's segments, those a peer would send first: SEQ at the kernel side's RCV.NXT,
    then just after it, ...; ACK at its SND.NXT, then just before it, ..."""
    v = m.view(code)
    nxt, snd = v.get("rcv_nxt", 0), v.get("snd_nxt", 0)

    def key(seg):
        seq, ack, _, _ = m.seg.unpack(seg)
        return ((seq - nxt) % m.n, (snd - ack) % m.n)
    return sorted(segs, key=key)


def _keep(found: dict, key: tuple, cand: tuple) -> None:
    """Keep the cheaper candidate: fewer steps, then a legitimate run before a tester's
    call or timeout, before an injected segment."""
    if key not in found or cand[:2] < found[key][:2]:
        found[key] = cand


def _path(parent: dict, s: tuple) -> list:
    moves = []
    while parent[s] is not None:
        prev, act = parent[s]
        moves.append((act, s))
        s = prev
    return moves[::-1]


def _extra_moves(system: System, s: tuple, extra: tuple) -> list:
    """The last step(s) of a run: a system move, or the tester's phase-2 stimulus."""
    if extra[0] == "move":
        return [(extra[1], extra[2])]
    if extra[0] == "inject":
        seg = extra[1]
        m = system.machines[KERNEL]
        rinc = 0 if m.state_of(s[KERNEL]) == m.initial else s[4 + KERNEL]
        full = seg * system.ghost_radix + rinc   # sender incarnation 0: nobody's (the tester)
        n = list(s)
        n[IN[KERNEL]] = system._add(s[IN[KERNEL]], full)
        n[ATTACK] += 1
        n = tuple(n)
        inject = (Action("inject", 1 - KERNEL, -1, full, None, full, False, False), n)
        for act, t in system.successors(n):
            if act.kind == "rcv" and act.side == KERNEL and act.seg == full:
                return [inject, (act, t)]
        raise AssertionError("an injected segment cannot arrive")  # pragma: no cover
    kind, ev_i, o = extra
    out: list = []
    system._apply(s, KERNEL, kind, ev_i, o, out)
    return out


def _skipped(system, name: str, rule_id: str, why: str):
    from ..trace import Trace
    from .case import Case
    return Case(name, "rules", variant_ref(system.spec), KERNEL, dict(system.params),
                Trace("CLOSED", "CLOSED", []), skip=why, rule=rule_id)


def _idle_timer(system, rule) -> bool:
    """A timer rule with no effect: it only says the timer is not running."""
    return rule.is_noop and set(rule.events) <= set(system.spec.events.get("timer", ()))


def _why_not(m, k: int, si: int, ei: int, fired_at: dict) -> str:
    """Why no case fires rule ``k`` in state ``si`` on event ``ei`` at the kernel's side."""
    state, event = m.states[si], m.events[ei]
    kind = {"user": "call", "segment": "segment", "timer": "timer"}[m.event_kind[ei]]
    why = unsupported(kind, event, state)
    if why:
        return why
    for j in range(k):
        r = m.rules[j]
        if r.when is None and state in r.states and event in r.events:
            return f"never fires in {state} on {event}: the earlier rule '{r.id}' takes them all"
    if k in fired_at.get(HELD, {}).get((si, ei), ()):
        return (f"fires in {state} on {event} only while something queued waits for the kernel's "
                f"internal step ({', '.join(INTERNAL)}), which the kernel takes at once: no call "
                "can come in between")
    if event in INTERNAL:
        return (f"not reached in {state} on {event}: no run of the generator's model leaves "
                "anything queued for the kernel's internal step there")
    others = fired_at.get((si, ei))
    if others:
        names = ", ".join(sorted(m.rules[j].id for j in others))
        return (f"never fires in {state} on {event}: in every local state the model reaches "
                f"there, every stimulus goes to other rules ({names})")
    return (f"not reached in {state} on {event}: no run of the generator's model gets there "
            f"(phase 1: {PHASE1_STATES:,} states of a legitimate peer, then one stimulus of the "
            "tester's choice)")


# ---------------------------------------------------------------- scenarios

def scenario_cases(names: list, variant: str | None = None, *,
                   overrides: dict | None = None) -> list:
    """Both endpoints of every scenario's run (one case each), on ``variant`` or on each
    variant the scenario names, skipped where the scenario has no run."""
    from ..check import build
    from ..scenario import compile_lines, load_scenario, search, variants_of

    cases = []
    for name in names:
        for v in ([variant] if variant else variants_of(name)[:1]):
            sc = load_scenario(name, variant=v, overrides=overrides)
            model = build(sc.check, [])
            label = f"scenario:{sc.name}"
            try:
                compile_lines(sc, model)
            except InputError as e:
                if v in variants_of(name):
                    raise
                # it names a rule only its own variants have (rfc5961's syn-challenge, ...)
                why = f"the scenario does not apply to {v}: {e.what}"
                cases += [_scenario_skip(model.system, f"{label}/{'AB'[side]}", side, why)
                          for side in (0, 1)]
                continue
            out = search(sc, model)
            if not out.found:
                why = ("the search hit its limit" if out.found is None else
                       f"the scenario has no run on {v}")
                for side in (0, 1):
                    cases.append(_scenario_skip(model.system, f"{label}/{'AB'[side]}", side, why))
                continue
            for side in (0, 1):
                case = case_from_run(model.system, out.start, out.moves, side,
                                     name=f"{label}/{'AB'[side]}", origin="scenario")
                cases.append(case)
    return cases


def _scenario_skip(system, name, side, why):
    from ..trace import Trace
    from .case import Case
    return Case(name, "scenario", variant_ref(system.spec), side, dict(system.params),
                Trace("CLOSED", "CLOSED", []), skip=why)


# ---------------------------------------------------------------- random walks

def walk_cases(variant: str, count: int, seed: int, *, length: int = 14,
               overrides: dict | None = None) -> list:
    """``count`` seeded random walks of the coverage system (each step: a kind of move chosen
    uniformly, then one move of that kind), each a case for the kernel as A."""
    system = coverage_system(variant, overrides)
    m = system.machines[KERNEL]
    segs = tester_segments(m)
    cases = []
    for i in range(count):
        rng = random.Random(f"{seed}:{i}")
        s = system.initial_states()[0]
        moves = []
        while len(moves) < length:
            groups: dict = {}
            for act, t in kernel_moves(system, s):
                who = "kernel" if act.side == KERNEL else "tester"
                groups.setdefault((who, act.kind), []).append((act, t))
            if len(s[IN[KERNEL]]) < system.cap and s[ATTACK] < INJECTIONS and \
                    not internal_pending(m, s[KERNEL], s[4 + KERNEL]):
                groups[("tester", "inject")] = None   # drawn lazily: there are hundreds
            if not groups:
                break
            key = rng.choice(sorted(groups))
            if key == ("tester", "inject"):
                step = _extra_moves(system, s, ("inject", rng.choice(segs)))
            else:
                step = [rng.choice(groups[key])]
            moves += step
            s = step[-1][1]
        case = case_from_run(system, system.initial_states()[0], moves, KERNEL,
                             name=f"walk:{seed}:{i}", origin="walk")
        _finish(case, system)
        cases.append(case)
    return cases
