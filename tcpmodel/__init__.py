"""tcpmodel: a model checker for the TCP connection state machine.

The Python API (``tcpmodel.api``, documented in docs/api.md) is available here too, loaded on
first use so that ``import tcpmodel`` stays fast::

    import tcpmodel as tm
    tm.run("time-wait").verdicts
"""

__version__ = "0.1.0"

# names of tcpmodel.api served from here (none is also a module of this package)
_API = ("CheckRun", "Page", "Picture", "ScenarioRun", "chart", "check_names", "diff",
        "exit_code", "fsm", "junit_xml", "load", "mutation", "pairs", "read_trace",
        "report_page", "run", "run_scenario", "scenario_names", "variant_names")


def __getattr__(name):
    if name in _API:
        from . import api
        return getattr(api, name)
    raise AttributeError(f"module 'tcpmodel' has no attribute '{name}'")


def __dir__():
    return sorted(list(globals()) + list(_API))
