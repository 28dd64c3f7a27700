#!/usr/bin/python3
# auditd plugin: one local0 line per bastion-exec event, nothing else (components/userdata.py)
import os
import pwd
import re
import select
import sys
import syslog

REC = re.compile(r"type=(\w+) msg=audit\([\d.]+:(\d+)\): ?(.*)")
FIELD = re.compile(r'([\w\[\]]+)=("[^"]*"|\S*)')
HOOK = ["logger", "-p", "local0.notice", "-t", "bastion-audit", "--"]

def dec(v):
    if len(v) > 1 and v[0] == '"' == v[-1]:
        return v[1:-1]
    try:
        return bytes.fromhex(v).decode(errors="replace")
    except ValueError:
        return v

def argv(f):
    out = []
    for i in range(int(f.get("argc", 0))):
        parts = [f[k] for k in [f"a{i}"] if k in f]
        while f"a{i}[{len(parts)}]" in f:
            parts.append(f[f"a{i}[{len(parts)}]"])
        out.append("".join(map(dec, parts)))
    return out

def who(uid):
    try:
        return f"{pwd.getpwuid(int(uid)).pw_name}({uid})"
    except (KeyError, ValueError, TypeError):
        return uid

def word(w):
    w = w if w.isprintable() else w.encode("unicode_escape").decode()
    return repr(w) if not w or set(w) & set(" '\"\\") else w

def line(r):
    sc = r.get("SYSCALL", {})
    args, exe = argv(r.get("EXECVE", {})), dec(sc.get("exe", ""))
    if "bastion-exec" not in dec(sc.get("key", "")).split("\x01"):
        return None
    if exe.endswith("/logger") and args[:6] == HOOK and len(args) == 7:
        return None  # the hook's own call: its line reaches the log itself
    ids = " ".join(f"{k}={sc.get(k, '')}" for k in ("ses", "tty", "pid", "ppid", "success"))
    return (f"auid={who(sc.get('auid'))} uid={who(sc.get('uid'))} {ids} "
            f"cwd={dec(r.get('CWD', {}).get('cwd', ''))} exe={exe} "
            f"argv={' '.join(map(word, args))}")

def main():
    out = print if "--stdout" in sys.argv else lambda s: syslog.syslog(syslog.LOG_NOTICE, s)
    syslog.openlog("bastion-exec", syslog.LOG_PID, syslog.LOG_LOCAL0)
    serial, buf, recs = None, b"", {}  # type: ignore[var-annotated]
    while True:
        chunk = os.read(0, 65536) if select.select([0], [], [], 0.5)[0] else None
        if chunk is None or not chunk:
            text = recs and line(recs)
            if text:
                out(text)
            recs = {}
            if chunk is not None:
                return 0
            continue
        *lines, buf = (buf + chunk).split(b"\n")
        for raw in lines:
            m = REC.search(raw.decode(errors="replace"))
            if m and m[2] != serial:
                text = recs and line(recs)
                if text:
                    out(text)
                serial, recs = m[2], {}
            if m:  # an event's EXECVE may take several records: their fields add up
                recs.setdefault(m[1], {}).update(FIELD.findall(m[3]))

if __name__ == "__main__":
    sys.exit(main())
