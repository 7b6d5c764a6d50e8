#!/usr/bin/python3
"""Helpers for the in-VM test (Debian's python3, standard library only).

  vmtool.py send TRACE          multicast each uevent of a `udevadm monitor
                                --property` capture (aphotplug simulate's
                                output) to the udev netlink group, as
                                systemd-udevd re-broadcasts it (libudev's
                                message format); needs root (CAP_NET_ADMIN)
  vmtool.py decision FIELD=VALUE...
                                wait (15 s) for a journal entry of
                                aphotplug.service with these fields (e.g.
                                APHOTPLUG_KIND=plug APHOTPLUG_SEQ=38); print
                                the newest one's fields as KEY=VALUE lines;
                                exit 1 if none came
  vmtool.py state [STATE-JSON]  the "state" object of state.json, keys sorted
  vmtool.py uevents [STATE-JSON]  the "uevents" count of state.json
"""
import json
import socket
import struct
import subprocess
import sys
import time

NETLINK_KOBJECT_UEVENT = 15
UDEV_GROUP = 2  # libudev's MONITOR_GROUP_UDEV as an nl_groups bit mask


def string_hash32(text):
    """systemd's string_hash32(): MurmurHash2, seed 0, little-endian chunks (x86)."""
    data = text.encode()
    m = 0x5BD1E995
    h = len(data) & 0xFFFFFFFF
    offset = 0
    while len(data) - offset >= 4:
        k = struct.unpack_from("<I", data, offset)[0]
        k = (k * m) & 0xFFFFFFFF
        k ^= k >> 24
        k = (k * m) & 0xFFFFFFFF
        h = (h * m) & 0xFFFFFFFF
        h ^= k
        offset += 4
    rest = len(data) - offset
    if rest == 3:
        h ^= data[offset + 2] << 16
    if rest >= 2:
        h ^= data[offset + 1] << 8
    if rest >= 1:
        h ^= data[offset]
        h = (h * m) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * m) & 0xFFFFFFFF
    h ^= h >> 15
    return h


def bloom64(tags):
    bits = 0
    for tag in tags:
        h = string_hash32(tag)
        for shift in (0, 6, 12, 18):
            bits |= 1 << ((h >> shift) & 63)
    return bits


def datagram(properties):
    """struct udev_monitor_netlink_header (40 bytes), then KEY=VALUE\\0 each."""
    payload = b"".join(f"{key}={value}".encode() + b"\0" for key, value in properties)
    values = dict(properties)
    tags = [t for t in values.get("TAGS", "").split(":") if t]
    bloom = bloom64(tags)
    header = b"libudev\0" + struct.pack(">I", 0xFEEDCAFE)
    header += struct.pack("=III", 40, 40, len(payload))
    header += struct.pack(">IIII",
                          string_hash32(values["SUBSYSTEM"]) if "SUBSYSTEM" in values else 0,
                          string_hash32(values["DEVTYPE"]) if "DEVTYPE" in values else 0,
                          bloom >> 32, bloom & 0xFFFFFFFF)
    assert len(header) == 40
    return header + payload


def read_capture(path):
    """Events of a `udevadm monitor --kernel --property` capture, in order."""
    events, current = [], None
    with open(path) as capture:
        for line in capture:
            line = line.rstrip("\n")
            if line.startswith("KERNEL[") or line.startswith("UDEV  ["):
                current = []
                events.append(current)
            elif line == "":
                current = None
            elif current is not None and "=" in line:
                key, value = line.split("=", 1)
                current.append((key, value))
    return events


def send(path):
    events = read_capture(path)
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC, NETLINK_KOBJECT_UEVENT) as sock:
        for event in events:
            sock.sendto(datagram(event), (0, UDEV_GROUP))
    print(f"sent {len(events)} uevents from {path}")


def decision(matches, timeout=15.0):
    deadline = time.monotonic() + timeout
    while True:
        out = subprocess.run(["journalctl", "-b", "-o", "json", "--no-pager", "_SYSTEMD_UNIT=aphotplug.service"] + matches,
                             capture_output=True, text=True).stdout
        entries = [json.loads(line) for line in out.splitlines() if line.strip()]
        if entries:
            for key, value in sorted(entries[-1].items()):
                print(f"{key}={value}")
            return 0
        if time.monotonic() > deadline:
            return 1
        time.sleep(0.2)


def state_file(path):
    with open(path) as f:
        return json.load(f)


def main(argv):
    command = argv[1] if len(argv) > 1 else ""
    if command == "send":
        send(argv[2])
        return 0
    if command == "decision":
        return decision(argv[2:])
    if command == "state":
        print(json.dumps(state_file(argv[2] if len(argv) > 2 else "/run/aphotplug/state.json")["state"], sort_keys=True))
        return 0
    if command == "uevents":
        print(state_file(argv[2] if len(argv) > 2 else "/run/aphotplug/state.json")["uevents"])
        return 0
    print(__doc__, file=sys.stderr)
    return 64


if __name__ == "__main__":
    sys.exit(main(sys.argv))
