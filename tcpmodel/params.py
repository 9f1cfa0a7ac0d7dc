"""Model parameters: their schema, defaults, validation and ``--set key=value`` parsing."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import InputError, did_you_mean
from .tomlfile import toml_value


@dataclass(frozen=True)
class Param:
    name: str
    default: object
    doc: str
    kind: str            # int, bool, choice, int_or_unbounded
    lo: int = 0
    hi: int = 1 << 30
    choices: tuple = ()


UNBOUNDED = "unbounded"
ATTACKER_PRESETS = ("on-path", "off-path", "lossy")   # the threat models of attacker.py

SCHEMA = {p.name: p for p in [
    Param("seq_space", 8, "sequence numbers are taken modulo this (the explicit engine: up to "
          "256; the z3 engine: up to 2^32 = 4294967296, TCP's own)", "int", 4, 1 << 32),
    Param("iss", "fixed", "ISS selection: 'fixed' (iss_a/iss_b) or 'any' (every value)", "choice",
          choices=("fixed", "any")),
    Param("iss_a", 0, "A's ISS when iss = 'fixed': one value, or a list with one per incarnation",
          "int_or_list", 0, (1 << 32) - 1),
    Param("iss_b", 4, "B's ISS when iss = 'fixed': one value, or a list with one per incarnation",
          "int_or_list", 0, (1 << 32) - 1),
    Param("rcv_wnd", 2, "receive window in octets (what the acceptability test allows; the "
          "explicit engine: up to 64)", "int", 0, (1 << 31) - 1),
    Param("data", 0, "data octets each side may SEND per connection (the explicit engine: up "
          "to 8)", "int", 0, 1 << 16),
    Param("capacity", 2, "segments each channel holds", "int", 1, 16),
    Param("overflow", "drop", "a send into a full channel: 'drop' (tail drop, outside the loss "
          "budget, counted and shown) or 'block' (the step waits for room)", "choice",
          choices=("drop", "block")),
    Param("channel", "bag", "'bag' (segments may be reordered) or 'fifo'", "choice",
          choices=("bag", "fifo")),
    Param("loss", 0, "how many segments the network may lose (or 'unbounded')",
          "int_or_unbounded", 0, 64),
    Param("dup", 0, "how many times the network may duplicate a segment", "int", 0, 16),
    Param("crashes", 0, "how many endpoint crashes (TCB lost, back to CLOSED) may happen", "int",
          0, 8),
    Param("crash_sides", "both", "which endpoints may crash: 'a', 'b' or 'both'", "choice",
          choices=("a", "b", "both")),
    Param("crash_restart", True, "after a crash the application restarts its script", "bool"),
    Param("old_segments", True,
          "segments of an earlier incarnation may still arrive after the endpoint reopens", "bool"),
    Param("incarnations", 1, "how many times each endpoint may open (connection incarnations)",
          "int", 1, 8),
    Param("spurious_rto", False,
          "a retransmission may fire while the original, or a peer segment that would change "
          "this endpoint (its ACK), is still in flight", "bool"),
    Param("attacker", 0, "an attacker on the network: a budget of actions for an on-path "
          "attacker (drop, forge, replay), 'unbounded', or a preset: 'on-path', 'off-path' "
          "(blind injection), 'lossy', or 'none' (see [attacker] in check files)", "attacker", 0, 64),
    Param("attacker_flags", ["SYN", "SYN,ACK", "ACK", "RST", "RST,ACK"],
          "the control-flag patterns the attacker may forge; DATA in a pattern adds a data "
          "octet (\"ACK,DATA\", \"FIN,DATA\", \"DATA\": an octet without flags)", "flag_list"),
    Param("keepalive", False, "idle synchronized endpoints send keep-alives (RFC 9293 §3.8.4)",
          "bool"),
    Param("user_timeout", False, "the user timeout may abort a connection with unacknowledged data",
          "bool"),
    Param("tcp_rfc1337", False, "Linux's sysctl net.ipv4.tcp_rfc1337 (the linux variant: RST is "
          "ignored in TIME-WAIT)", "bool"),
    Param("syn_retries", 0, "retransmissions of a SYN or SYN,ACK before the connection is given "
          "up (RFC 9293 §3.8.3 R2 for SYNs; Linux tcp_syn_retries); 0: retransmit forever",
          "int", 0, 8),
    Param("retries", 0, "retransmissions of a data octet or FIN before the connection is aborted "
          "(RFC 9293 §3.8.3 R2; Linux tcp_retries2); 0: retransmit forever", "int", 0, 8),
]}


def coerce(name: str, value, *, file: str | None = None, where: str | None = None):
    """Validate one parameter value against the schema; returns the normalised value."""
    p = SCHEMA.get(name)
    if p is None:
        raise InputError(f"unknown parameter '{name}'", file=file, where=where,
                         fix=did_you_mean(name, SCHEMA))

    def bad(msg, fix):
        return InputError(f"parameter {name} = {toml_value(value)}: {msg}", file=file, where=where,
                          fix=fix)

    if p.kind == "bool":
        if isinstance(value, bool):
            return value
        raise bad("expected true or false", f"{name} = true")
    if p.kind == "choice":
        if value in p.choices:
            return value
        raise bad("not one of " + ", ".join(p.choices), f'{name} = "{p.choices[0]}"')
    if p.kind == "flag_list":
        flags = ("SYN", "ACK", "FIN", "RST", "DATA")
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            raise bad("expected a list of control-flag patterns", f'{name} = ["SYN", "RST"]')
        for v in value:
            for f in v.split(","):
                if f.strip() not in flags:
                    raise bad(f"unknown control flag '{f.strip()}'",
                              f'{name} = ["SYN", "RST,ACK", "FIN,DATA"]')
        return value
    if p.kind in ("int_or_unbounded", "attacker") and value == UNBOUNDED:
        return value
    if p.kind == "attacker" and isinstance(value, str):
        if value in ATTACKER_PRESETS or value == "none":
            return value
        raise bad("not a budget, 'unbounded', 'none' or a preset", f'{name} = "off-path" (or '
                  + ", ".join(ATTACKER_PRESETS) + ")")
    if p.kind == "int_or_list" and isinstance(value, list):
        if not value:
            raise bad("the list is empty", f"{name} = [{p.default}]")
        return [coerce(name, v, file=file, where=where) for v in value]
    if not isinstance(value, int) or isinstance(value, bool):
        extra = (" or 'unbounded'" if p.kind == "int_or_unbounded" else
                 ", 'unbounded' or a preset" if p.kind == "attacker" else "")
        raise bad(f"expected an integer{extra}", f"{name} = {p.default}")
    if not p.lo <= value <= p.hi:
        raise bad(f"must be between {p.lo} and {p.hi}", f"{name} = {p.default}")
    return value


def parse_cli_value(text: str):
    """``--set`` values: integers, true/false, or bare strings."""
    t = text.strip()
    if t.startswith("[") and t.endswith("]"):
        return [parse_cli_value(x) for x in t[1:-1].split(",") if x.strip()]
    if t.lower() in ("true", "false"):
        return t.lower() == "true"
    try:
        return int(t)
    except ValueError:
        return t.strip("'\"")


def resolve(raw: dict, *, file: str | None = None, where_of=lambda k: None) -> dict:
    """Defaults + given values, each validated, then the cross-parameter checks."""
    out = {k: p.default for k, p in SCHEMA.items()}
    for k, v in raw.items():
        out[k] = coerce(k, v, file=file, where=where_of(k))
    n = out["seq_space"]
    for k in ("iss_a", "iss_b"):
        if out["iss"] == "any":
            break  # every ISS is tried; the fixed choices are unused
        values = out[k] if isinstance(out[k], list) else [out[k]]
        if any(v >= n for v in values):
            given = "" if k in raw else "the default "
            # a default ISS outside a space given smaller: blame where the space was given
            blame = k if k in raw or "seq_space" not in raw else "seq_space"
            raise InputError(f"{given}parameter {k} = {out[k]} is outside the sequence space "
                             f"0..{n - 1}", file=file, where=where_of(blame),
                             fix=f"set {k} below seq_space ({n}), e.g. {k} = {n // 2 - 1}, "
                                 "or iss = \"any\"")
        if isinstance(out[k], list) and len(values) < out["incarnations"]:
            raise InputError(f"parameter {k} lists {len(values)} ISS values for "
                             f"{out['incarnations']} incarnations", file=file, where=where_of(k),
                             fix="give one value per incarnation, or a single value")
    # serial-number comparisons (RFC 1982) need the unacknowledged span below half the space:
    # SYN + data + FIN octets may be outstanding at once
    if out["rcv_wnd"] >= n / 2:
        raise InputError(f"rcv_wnd = {out['rcv_wnd']} must stay below half the sequence space "
                         f"({n})", file=file, where=where_of("rcv_wnd"),
                         fix=f"use rcv_wnd < {n // 2} or a larger seq_space")
    need = 2 * (out["data"] + 2)
    if n < need:
        raise InputError(f"seq_space = {n} is too small for data = {out['data']}: up to "
                         f"{out['data'] + 2} sequence numbers may be outstanding, which must stay "
                         "below half the space", file=file, where=where_of("seq_space"),
                         fix=f"use seq_space >= {need} or less data")
    return out


# what the explicit engine (and everything that enumerates states: scenarios, Promela) accepts;
# the z3 engine takes the schema's bounds (sequence numbers are bit-vectors there)
EXPLICIT_LIMITS = {"seq_space": 256, "rcv_wnd": 64, "data": 8, "iss_a": 255, "iss_b": 255}


def require_enumerable(params: dict, what: str = "the explicit engine") -> None:
    """Raise an InputError when a parameter is beyond what enumeration can handle."""
    for k, hi in EXPLICIT_LIMITS.items():
        v = params.get(k)
        values = v if isinstance(v, list) else [v]
        if any(isinstance(x, int) and x > hi for x in values):
            if k.startswith("iss") and params.get("iss") == "any":
                continue
            raise InputError(f"parameter {k} = {toml_value(v)} is beyond {what}'s reach "
                             f"(at most {hi}: it enumerates every value)", where="--set",
                             fix="use --engine z3 for large sequence spaces, windows and data, "
                                 f"or set {k} <= {hi}")


def allowed(p: Param) -> str:
    """The values a parameter accepts, as documented: ``4..256``, ``bag or fifo``."""
    if p.kind == "bool":
        return "true or false"
    if p.kind == "choice":
        return ", ".join(p.choices[:-1]) + " or " + p.choices[-1]
    if p.kind == "flag_list":
        return "a list of flag patterns over SYN, ACK, FIN, RST"
    bounds = f"{p.lo}..{p.hi}"
    if p.kind == "int_or_unbounded":
        return f"{bounds} or unbounded"
    if p.kind == "int_or_list":
        return f"{bounds}, or a list of them"
    return bounds


def describe() -> list[tuple[str, str, str, str]]:
    """(name, default as TOML writes it, allowed values, doc) rows for help output and docs."""
    return [(p.name, toml_value(p.default), allowed(p), p.doc) for p in SCHEMA.values()]
