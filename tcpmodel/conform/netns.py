"""A private network namespace with a TUN device: where every conformance packet lives.

Nothing here may touch the host's network.  :func:`enter_private_namespace` moves the calling
process (a forked child of the harness) into a new namespace and refuses to go on unless the
namespace really changed; every sysctl and ``ip`` command afterwards runs there and vanishes
with it when the child exits, even if it crashes.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import shutil
import struct
import subprocess

CLONE_NEWNET = 0x40000000
TUNSETIFF = 0x400454CA
IFF_TUN, IFF_NO_PI = 0x0001, 0x1000
TUN_PATH = "/dev/net/tun"

KERNEL_ADDR = "192.0.2.1"     # RFC 5737 documentation addresses, only inside the namespace
PEER_ADDR = "192.0.2.2"
PREFIX = "192.0.2.0/24"
DEVICE = "tun0"

# What every run sets inside its namespace, and why (reported with the results).
BASE_SYSCTLS = {
    "net.ipv6.conf.all.disable_ipv6": 1,       # no router solicitations or MLD on the TUN device
    "net.ipv6.conf.default.disable_ipv6": 1,
    "net.ipv4.tcp_invalid_ratelimit": 0,       # every out-of-window segment is answered
    "net.ipv4.tcp_challenge_ack_limit": 2147483647,   # every challenge ACK is sent
    "net.ipv4.tcp_timestamps": 0,              # the model has no timestamps (PAWS off)
    "net.ipv4.tcp_fin_timeout": 2,             # the FIN-WAIT-2 timer fires in 2 s (default 60)
    "net.ipv4.tcp_retrans_collapse": 0,        # a retransmission carries one octet or a FIN, not
                                               # both (the model's segments carry one of them)
    "net.ipv4.tcp_syn_linear_timeouts": 0,     # a SYN's retries count as tcp_syn_retries says
}                                              # (6.5+: 4 linear timeouts are added otherwise)
OPTIONAL_SYSCTLS = ("net.ipv6.", "net.ipv4.tcp_syn_linear_timeouts")  # absent on some kernels
ROUTE_OPTIONS = ("rto_min", "1000ms", "quickack", "1")   # no delayed ACKs, few early timeouts


class NamespaceError(Exception):
    """The namespace or the TUN device could not be set up (missing privilege or support);
    ``fix`` says what to do about it."""

    def __init__(self, what: str, fix: str = ""):
        super().__init__(what)
        self.fix = fix


_libc = None


def _unshare(flags: int) -> None:
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    if _libc.unshare(flags) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def netns_id() -> tuple:
    """(device, inode) of the calling process's network namespace."""
    st = os.stat("/proc/self/ns/net")
    return st.st_dev, st.st_ino


def enter_private_namespace() -> None:
    """Move this process into a new, empty network namespace (then check that it did)."""
    before = netns_id()
    try:
        _unshare(CLONE_NEWNET)
    except OSError as e:
        if e.errno in (errno.EPERM, errno.EACCES):
            raise NamespaceError("needs CAP_NET_ADMIN (and CAP_SYS_ADMIN) to create a network "
                                 "namespace", "run as root: sudo tcpmodel conform ...") from None
        raise NamespaceError(f"cannot create a network namespace: {e.strerror}") from None
    if netns_id() == before:  # never configure anything in the namespace we came from
        raise NamespaceError("unshare(CLONE_NEWNET) returned but the namespace did not change")


def _sysctl_path(name: str) -> str:
    return "/proc/sys/" + name.replace(".", "/")


def set_sysctls(values: dict, home: tuple) -> dict:
    """Write sysctls of the current (private) namespace; returns what was set.  ``home`` is the
    harness's own namespace id: writing there is refused."""
    if netns_id() == home:
        raise NamespaceError("refusing to set sysctls outside a private namespace")
    done = {}
    for name, value in values.items():
        path = _sysctl_path(name)
        if not os.path.exists(path):
            if name.startswith(OPTIONAL_SYSCTLS):
                continue  # a kernel without IPv6 has nothing to silence, an older one no
                #           linear SYN timeouts to switch off
            raise NamespaceError(f"this kernel has no sysctl {name}")
        with open(path, "w") as f:
            f.write(str(value))
        done[name] = value
    return done


def read_sysctl(name: str) -> str | None:
    try:
        with open(_sysctl_path(name)) as f:
            return f.read().strip()
    except OSError:
        return None


def open_tun() -> int:
    """A TUN device (IPv4 packets without extra headers) in the current namespace; its fd."""
    try:
        fd = os.open(TUN_PATH, os.O_RDWR)
    except FileNotFoundError:
        raise NamespaceError(f"no {TUN_PATH} (TUN devices)", "load the tun module: modprobe tun") \
            from None
    except PermissionError:
        raise NamespaceError(f"needs access to {TUN_PATH}", "run as root") from None
    try:
        fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", DEVICE.encode(), IFF_TUN | IFF_NO_PI))
    except OSError as e:
        os.close(fd)
        raise NamespaceError(f"cannot create a TUN device: {e.strerror}") from None
    os.set_blocking(fd, False)
    return fd


def ip_command() -> str:
    path = shutil.which("ip") or next((p for p in ("/usr/sbin/ip", "/sbin/ip", "/bin/ip")
                                       if os.path.exists(p)), None)
    if path is None:
        raise NamespaceError("needs the 'ip' command to configure the namespace",
                             "install iproute2")
    return path


def configure(home: tuple) -> list[str]:
    """Address the TUN device and route the documentation prefix through it with the route
    options; returns the ``ip`` commands run (all inside the private namespace)."""
    if netns_id() == home:
        raise NamespaceError("refusing to configure interfaces outside a private namespace")
    ip = ip_command()
    cmds = [[ip, "addr", "add", f"{KERNEL_ADDR}/24", "dev", DEVICE],
            [ip, "link", "set", DEVICE, "up"],
            [ip, "route", "replace", PREFIX, "dev", DEVICE, *ROUTE_OPTIONS]]
    for cmd in cmds:
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            raise NamespaceError(f"'{' '.join(cmd[1:])}' failed: {r.stderr.strip()}")
    return [" ".join(c[1:]) for c in cmds]
