"""The kernel's TCP sockets of the current namespace, read over sock_diag netlink (what
``ss -tan`` reads): the state of one connection, including TIME-WAIT and request sockets."""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass

NETLINK_SOCK_DIAG = 4
SOCK_DIAG_BY_FAMILY = 20
NLM_F_REQUEST, NLM_F_DUMP = 0x1, 0x300
NLMSG_ERROR, NLMSG_DONE = 2, 3

# include/net/tcp_states.h, with the names RFC 9293 (and the model) use
KERNEL_STATES = {1: "ESTABLISHED", 2: "SYN-SENT", 3: "SYN-RECEIVED", 4: "FIN-WAIT-1",
                 5: "FIN-WAIT-2", 6: "TIME-WAIT", 7: "CLOSED", 8: "CLOSE-WAIT", 9: "LAST-ACK",
                 10: "LISTEN", 11: "CLOSING", 12: "SYN-RECEIVED", 13: "CLOSED"}
REQUEST_SOCKET = 12   # TCP_NEW_SYN_RECV: a passive SYN-RECEIVED, no socket of its own yet


@dataclass(frozen=True)
class SockInfo:
    state: str          # RFC name
    raw_state: int      # the kernel's number
    src: str
    sport: int
    dst: str
    dport: int


def tcp_sockets() -> list[SockInfo]:
    """Every IPv4 TCP socket of this namespace (listeners, connections, TIME-WAIT, requests)."""
    nl = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_SOCK_DIAG)
    try:
        req = struct.pack("=BBBBI", socket.AF_INET, socket.IPPROTO_TCP, 0, 0, 0xFFFFFFFF)
        req += b"\0" * (4 + 32 + 4 + 8)           # inet_diag_sockid: match everything
        hdr = struct.pack("=IHHII", 16 + len(req), SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST | NLM_F_DUMP,
                          1, 0)
        nl.sendto(hdr + req, (0, 0))
        out = []
        while True:
            data = nl.recv(65536)
            pos = 0
            while pos + 16 <= len(data):
                length, mtype, _flags, _seq, _pid = struct.unpack_from("=IHHII", data, pos)
                if mtype == NLMSG_DONE:
                    return out
                if mtype == NLMSG_ERROR:
                    err = -struct.unpack_from("=i", data, pos + 16)[0]
                    raise OSError(err, "sock_diag request failed")
                body = pos + 16
                _fam, state = struct.unpack_from("=BB", data, body)
                sport, dport = struct.unpack_from("!HH", data, body + 4)
                src = socket.inet_ntoa(data[body + 8:body + 12])
                dst = socket.inet_ntoa(data[body + 24:body + 28])
                out.append(SockInfo(KERNEL_STATES.get(state, f"state {state}"), state, src, sport,
                                    dst, dport))
                pos += (length + 3) & ~3
    finally:
        nl.close()


def connection_state(local: tuple, remote: tuple) -> SockInfo | None:
    """The socket of the connection ``local`` <-> ``remote`` ((addr, port) each), or None."""
    for s in tcp_sockets():
        if (s.src, s.sport, s.dst, s.dport) == (*local, *remote):
            return s
    return None
