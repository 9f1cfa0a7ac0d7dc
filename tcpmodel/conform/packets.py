"""IPv4/TCP segments as bytes: built and parsed with ``struct``, checksums included.

Only what the conformance harness needs: a 20-octet IPv4 header without options, a TCP header
whose options are kept as raw bytes (the harness sends none), and the RFC 9293 pseudo-header
checksum.  Real sequence numbers are 32-bit; the model's are mapped in ``seqmap``.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass

FIN, SYN, RST, PSH, ACK, URG = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20
FLAG_NAMES = (("SYN", SYN), ("FIN", FIN), ("RST", RST), ("ACK", ACK))   # RFC 9293 order
IPPROTO_TCP = 6
MOD = 1 << 32


@dataclass(frozen=True)
class Segment:
    """One TCP segment with its IPv4 addresses; ``seq``/``ack`` are real 32-bit numbers."""
    src: str
    dst: str
    sport: int
    dport: int
    seq: int
    ack: int
    flags: int
    window: int = 65535
    payload: bytes = b""
    options: bytes = b""

    @property
    def ctl(self) -> str:
        """The control bits as RFC 9293 writes them (SYN,ACK; RST,ACK; FIN,ACK)."""
        return ",".join(name for name, bit in FLAG_NAMES if self.flags & bit)

    @property
    def seg_len(self) -> int:
        """SEG.LEN: data octets plus one for SYN and one for FIN."""
        return len(self.payload) + bool(self.flags & SYN) + bool(self.flags & FIN)

    def text(self, window: bool = False) -> str:
        """RFC notation with the real numbers: <SEQ=..><ACK=..><CTL=..> (and <WIN=..>)."""
        out = f"<SEQ={self.seq}>"
        if self.flags & ACK:
            out += f"<ACK={self.ack}>"
        if self.ctl:
            out += f"<CTL={self.ctl}>"
        if self.payload:
            out += f"<DATA={len(self.payload)}>"
        if window:
            out += f"<WIN={self.window}>"
        return out


def checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071): ones' complement of the ones' complement sum."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def build(seg: Segment, ident: int = 0) -> bytes:
    """The IPv4 packet carrying ``seg`` (TTL 64, DF set), both checksums filled in."""
    if len(seg.options) % 4:
        raise ValueError("TCP options must be padded to a multiple of 4 octets")
    offset = (20 + len(seg.options)) // 4
    src, dst = socket.inet_aton(seg.src), socket.inet_aton(seg.dst)
    tcp = struct.pack("!HHIIBBHHH", seg.sport, seg.dport, seg.seq % MOD, seg.ack % MOD,
                      offset << 4, seg.flags, seg.window, 0, 0) + seg.options + seg.payload
    pseudo = struct.pack("!4s4sBBH", src, dst, 0, IPPROTO_TCP, len(tcp))
    csum = checksum(pseudo + tcp)
    tcp = tcp[:16] + struct.pack("!H", csum) + tcp[18:]
    total = 20 + len(tcp)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, ident & 0xFFFF, 0x4000, 64, IPPROTO_TCP, 0,
                     src, dst)
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    return ip + tcp


def parse(packet: bytes) -> Segment | None:
    """The TCP segment in an IPv4 packet, or None for anything else (IPv6, UDP, fragments,
    truncated or corrupt packets: the harness reads a TUN device and skips what is not TCP)."""
    if len(packet) < 20 or packet[0] >> 4 != 4:
        return None
    ihl = (packet[0] & 0x0F) * 4
    total = struct.unpack("!H", packet[2:4])[0]
    if packet[9] != IPPROTO_TCP or ihl < 20 or total > len(packet) or total < ihl + 20:
        return None
    if struct.unpack("!H", packet[6:8])[0] & 0x3FFF:  # a fragment
        return None
    src, dst = socket.inet_ntoa(packet[12:16]), socket.inet_ntoa(packet[16:20])
    tcp = packet[ihl:total]
    sport, dport, seq, ack, off, flags, window = struct.unpack("!HHIIBBH", tcp[:16])
    hlen = (off >> 4) * 4
    if hlen < 20 or hlen > len(tcp):
        return None
    pseudo = struct.pack("!4s4sBBH", packet[12:16], packet[16:20], 0, IPPROTO_TCP, len(tcp))
    if checksum(pseudo + tcp) != 0:
        return None
    return Segment(src, dst, sport, dport, seq, ack, flags & 0x3F, window, bytes(tcp[hlen:]),
                   bytes(tcp[20:hlen]))
