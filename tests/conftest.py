import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tcpmodel.endpoint import NO_SEG, EndpointMachine, FLAG_BIT  # noqa: E402
from tcpmodel.params import resolve  # noqa: E402
from tcpmodel.spec import load_variant  # noqa: E402


class Endpoint:
    """Drives one endpoint machine in tests: states by name, segments by fields."""

    def __init__(self, variant="rfc9293", role="A", **params):
        self.m = EndpointMachine(load_variant(variant), resolve(params), role)

    def code(self, state, **fields):
        m = self.m
        vals = [m.states.index(state)] + [f.default() for f in m.fields]
        for k, v in fields.items():
            vals[m.field_index[k] + 1] = v
        return m.encode(tuple(vals))

    def seg(self, seq, ack=0, ctl="", data=0):
        flags = sum(FLAG_BIT[f] for f in ctl.split(",") if f)
        return self.m.seg.pack(seq, ack, flags, data)

    def event(self, code, event, seg=NO_SEG, msl=False):
        """(new state, new fields, sent segment text or None, signal) for each outcome."""
        m = self.m
        out = []
        for o in m.react(code, m.event_index[event], seg, msl):
            v = m.view(o.code)
            out.append((v.pop("state"), v, m.seg.text(o.send) if o.send != NO_SEG else None,
                        o.signal))
        return out

    def rcv(self, code, seg, msl=False):
        ev = self.m.events[self.m.classify(seg)]
        return self.event(code, ev, seg, msl)


@pytest.fixture
def ep():
    return Endpoint


def run_check(name, variant=None, properties=None, max_states=None, timeout=None, **overrides):
    """Build and run a check with the explicit engine; returns (model, result)."""
    from tcpmodel.check import build, load_check
    from tcpmodel.engines import explicit

    model = build(load_check(name, overrides=overrides, variant=variant), properties)
    return model, explicit.check(model, max_states=max_states, timeout=timeout)


def verdicts(result):
    return {p.name: p.verdict for p in result.properties}


def reachable(name, variant=None, **overrides):
    """(model, list of reachable states) of a check."""
    from tcpmodel.check import build, load_check
    from tcpmodel.engines.explicit import explore

    model = build(load_check(name, overrides=overrides, variant=variant), [])
    return model, explore(model.system, []).states
