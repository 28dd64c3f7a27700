"""Boot a rendered user data on a real Linux and run commands in it (make boot-test, issue 16).

Two tiers over one interface (:class:`Guest`):

- :class:`NspawnGuest`: ``systemd-nspawn -b`` of a copy of the image (under a minute; no auditd,
  no block devices: the container has no audit capability and sees no disks);
- :class:`QemuGuest`: qemu with the image's Debian kernel, the root filesystem as a virtio disk,
  an optional second NVMe disk whose serial is the EBS volume id (the data volume), and the
  commands run through the QEMU guest agent over a virtio-serial port. ``-accel kvm`` when
  ``/dev/kvm`` opens and a VM boots with it, else TCG (software), said in :func:`accelerator`.

Neither guest has a network (``--private-network``, ``-nic none``): only loopback, so a real ssh
login to 127.0.0.1 works and nothing reaches outside. cloud-init reads the user data from its
NoCloud seed (/var/lib/cloud/seed/nocloud), as EC2's metadata service would serve it.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shlex
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build" / "boot"
IMAGE = BUILD / "rootfs"
INSTANCES = BUILD / "instances"
HARNESS_KEY = "/root/.boottest/id_ed25519"  # the login client's key, inside the guest
NICE = ["nice", "-n", "10"]


@dataclass(frozen=True)
class Result:
    rc: int
    out: str
    err: str

    def __str__(self) -> str:
        return f"rc={self.rc}\n--- stdout\n{self.out}\n--- stderr\n{self.err}"


class BootError(RuntimeError):
    """The guest did not boot or answer; the message says where its console log is."""


def _run(cmd: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, text=True, capture_output=True, check=False, **kw)  # type: ignore[call-overload]


# ------------------------------------------------------------------------------ instance disks
def seed(
    root: Path, *, instance_id: str, hostname: str, user_data: str, public_keys: list[str]
) -> None:
    """NoCloud seed: the user data and meta-data EC2 would serve (the key pair as public-keys)."""
    nocloud = root / "var/lib/cloud/seed/nocloud"
    nocloud.mkdir(parents=True, exist_ok=True)
    (nocloud / "user-data").write_text(user_data)
    meta = {"instance-id": instance_id, "local-hostname": hostname}
    if public_keys:
        meta["public-keys"] = public_keys  # type: ignore[assignment]
    (nocloud / "meta-data").write_text(json.dumps(meta) + "\n")


def new_instance(
    name: str,
    *,
    user_data: str,
    instance_id: str,
    hostname: str,
    public_keys: list[str],
    harness_private_key: str,
) -> Path:
    """A fresh copy of the image for one instance: build/boot/instances/<name>/root."""
    if not (IMAGE / "etc/boottest-suite").exists():
        raise BootError(f"{IMAGE}: no image; run `make boot-image` first")
    base = INSTANCES / name
    if base.exists():
        shutil.rmtree(base)
    base.mkdir(parents=True)
    root = base / "root"
    subprocess.run(["cp", "-a", "--reflink=auto", str(IMAGE), str(root)], check=True)
    seed(
        root,
        instance_id=instance_id,
        hostname=hostname,
        user_data=user_data,
        public_keys=public_keys,
    )
    key = root / HARNESS_KEY.lstrip("/")
    key.parent.mkdir(mode=0o700, parents=True)
    key.write_text(harness_private_key)
    key.chmod(0o600)
    return root


def reseed(
    root: Path, *, instance_id: str, hostname: str, user_data: str, public_keys: list[str]
) -> None:
    """Replace the seed (a new instance id: cloud-init runs its per-instance modules again)."""
    seed(
        root,
        instance_id=instance_id,
        hostname=hostname,
        user_data=user_data,
        public_keys=public_keys,
    )


# ------------------------------------------------------------------------------ guests
#: Every guest process started in this run, to check that none is left running.
STARTED: list[subprocess.Popen[bytes]] = []


class Guest:
    """A booted instance. ``sh`` runs a shell command as root inside it."""

    name: str
    console: Path

    def sh(self, command: str, timeout: float = 300) -> Result:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def wait_for(self, command: str, timeout: float, every: float = 2) -> Result:
        """Rerun ``command`` until it exits 0; the last result either way."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                result = self.sh(command, timeout=60)
            except subprocess.TimeoutExpired:
                result = Result(-1, "", f"timed out after 60 s: {command}")
            if result.rc == 0 or time.monotonic() > deadline:
                return result
            time.sleep(every)

    def cloud_init_done(self, timeout: float = 900) -> Result:
        """``cloud-init status --wait --long`` (exit 0 done, 1 crashed, 2 done with errors)."""
        return self.sh("cloud-init status --wait --long", timeout=timeout)

    def __enter__(self) -> Guest:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class NspawnGuest(Guest):
    """``systemd-nspawn -b`` of an instance's root directory, private network, no registration
    with machined (the host's PID 1 need not be systemd). Commands enter its namespaces with
    nsenter through the container's PID 1."""

    def __init__(self, name: str, root: Path, boot_timeout: float = 120) -> None:
        self.name = name
        self.root = root
        _nspawn_run_dir()
        self.console = root.parent / f"console-{int(time.time())}.log"
        self._log = self.console.open("w")
        self.proc = subprocess.Popen(
            [
                *NICE,
                "systemd-nspawn",
                "--quiet",
                "--boot",
                "--directory",
                str(root),
                "--machine",
                name,
                "--private-network",
                "--register=no",
                "--keep-unit",
                "--console=pipe",
            ],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        STARTED.append(self.proc)
        try:
            self.leader = self._find_leader(boot_timeout)
            # The container's systemd answers on its private socket (cloud-init may still run).
            ready = self.wait_for("test -S /run/systemd/private", boot_timeout, every=1)
            if ready.rc != 0:
                raise BootError(
                    f"{name}: systemd never answered (PID {self.leader}); last try: "
                    f"rc={ready.rc} {(ready.err or ready.out).strip()[-300:]!r}; see {self.console}"
                )
        except BaseException:
            self.stop()
            raise

    def _find_leader(self, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BootError(
                    f"{self.name}: systemd-nspawn exited {self.proc.returncode}; see {self.console}"
                )
            leader = container_init(self.proc.pid)  # nice execs systemd-nspawn: its pid
            if leader is not None:
                return leader
            time.sleep(0.5)
        raise BootError(f"{self.name}: no container init after {timeout} s; see {self.console}")

    def sh(self, command: str, timeout: float = 300) -> Result:
        try:
            return self._sh(command, timeout)
        except subprocess.TimeoutExpired:
            return Result(-1, "", f"timed out after {timeout} s: {command}")

    def _sh(self, command: str, timeout: float) -> Result:
        done = _run(
            [
                "nsenter",
                "--target",
                str(self.leader),
                "--all",
                "--root",
                "--wd",
                "--",
                "/usr/bin/env",
                "-i",
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "LANG=C.UTF-8",
                "HOME=/root",
                "/bin/sh",
                "-c",
                command,
            ],
            timeout=timeout,
        )
        return Result(done.returncode, done.stdout, done.stderr)

    def stop(self) -> None:
        if self.proc.poll() is None and getattr(self, "leader", None):
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.sh("systemctl poweroff --no-block", timeout=30)
        if self.proc.poll() is None:
            try:
                self.proc.wait(timeout=90)
            except subprocess.TimeoutExpired:
                self.proc.terminate()
                try:
                    self.proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
        self._log.close()


def _nspawn_run_dir() -> None:
    """systemd-nspawn keeps its mount-propagation directory under /run/systemd/nspawn and only
    removes what lies on a tmpfs there; a host whose /run is not a tmpfs (a container, a
    sandbox) gets one mounted there, and only there."""
    path = Path("/run/systemd/nspawn")
    path.mkdir(parents=True, exist_ok=True)
    if _run(["findmnt", "-n", "-o", "FSTYPE", "--target", str(path)]).stdout.strip() != "tmpfs":
        subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0755", "tmpfs", str(path)], check=True)


def container_init(nspawn: int) -> int | None:
    """The container's PID 1 once it runs systemd: the descendant of ``nspawn`` that is PID 1 in
    its own PID namespace (the last field of NSpid in /proc/<pid>/status) and whose comm is
    ``systemd``. The comm alone is not enough: every child systemd forks keeps the comm
    ``systemd`` until it execs, and such a child, picked as the leader, exits at once and leaves
    nsenter nothing to enter (a CI run failed so: "db-novolume: systemd never answered")."""
    todo = list(_children(nspawn))
    for pid in todo:  # breadth first: the list grows as it is walked
        if _comm(pid) == "systemd" and _ns_pid(pid) == 1:
            return pid
        todo.extend(_children(pid))
    return None


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _ns_pid(pid: int) -> int | None:
    """The process's PID in its innermost PID namespace (None when it is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("NSpid:"):
            return int(line.split()[-1])
    return None


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


# ------------------------------------------------------------------------------ qemu
_ACCEL: str | None = None
ACCEL_NOTE = ""


def accelerator() -> str:
    """``kvm`` when a VM really runs under KVM here, else ``tcg`` (software emulation).

    /dev/kvm answering its ioctls is not enough: nested KVM can accept the VM and then fail
    its first instructions ("KVM internal error") or its MSRs. So the image's own kernel is
    booted under ``-accel kvm`` with no root disk: KVM works when the kernel gets as far as
    printing its banner on the serial console within 60 s. ``ACCEL_NOTE`` says why not."""
    global _ACCEL, ACCEL_NOTE
    if _ACCEL is not None:
        return _ACCEL
    _ACCEL = "tcg"
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        ACCEL_NOTE = "no usable /dev/kvm"
        return _ACCEL
    vmlinuz, initrd = kernel(IMAGE)
    log = BUILD / "kvm-probe.log"
    log.unlink(missing_ok=True)
    try:
        probe = _run(
            [
                "qemu-system-x86_64",
                "-accel",
                "kvm",
                "-machine",
                "q35",
                "-cpu",
                "host",
                "-m",
                "512",
                "-nodefaults",
                "-display",
                "none",
                "-nic",
                "none",
                "-no-reboot",
                "-kernel",
                str(vmlinuz),
                "-initrd",
                str(initrd),
                "-append",
                "console=ttyS0 panic=-1 rdinit=/bin/false",
                "-serial",
                f"file:{log}",
            ],
            timeout=60,
        )
        err = probe.stderr.strip().splitlines()
    except subprocess.TimeoutExpired:
        err = ["no exit in 60 s"]
    banner = log.exists() and "Linux version" in log.read_text(errors="replace")
    if banner:
        _ACCEL = "kvm"
    else:
        ACCEL_NOTE = f"KVM does not run a guest here ({(err or ['no console output'])[0]})"
    return _ACCEL


def root_image(root: Path, image: Path, size: str = "4G") -> None:
    """An ext4 disk image of an instance's root directory (mkfs.ext4 -d)."""
    image.unlink(missing_ok=True)
    subprocess.run(
        [*NICE, "mkfs.ext4", "-q", "-F", "-L", "root", "-d", str(root), str(image), size],
        check=True,
    )


def kernel(root: Path) -> tuple[Path, Path]:
    """The image's Debian kernel and initramfs."""
    vmlinuz = sorted((root / "boot").glob("vmlinuz-*"))
    initrd = sorted((root / "boot").glob("initrd.img-*"))
    if not vmlinuz or not initrd:
        raise BootError(f"{root}/boot: no kernel or initramfs; rebuild with `make boot-image`")
    return vmlinuz[-1], initrd[-1]


class QemuGuest(Guest):
    """qemu-system-x86_64 booting ``disk`` (an ext4 image) with the image's kernel."""

    def __init__(
        self,
        name: str,
        disk: Path,
        kernel_files: tuple[Path, Path],
        *,
        volume: tuple[Path, str] | None = None,
        memory_mib: int = 1536,
        boot_timeout: float = 1500,
    ) -> None:
        self.name = name
        self.accel = accelerator()
        work = disk.parent
        self.console = work / f"console-{int(time.time())}.log"
        self.qga = work / "qga.sock"
        self.qga.unlink(missing_ok=True)
        vmlinuz, initrd = kernel_files
        cmd = [
            *NICE,
            "qemu-system-x86_64",
            "-accel",
            self.accel,
            "-machine",
            "q35",
            "-cpu",
            "host" if self.accel == "kvm" else "max",
            "-smp",
            "2",
            "-m",
            str(memory_mib),
            "-nodefaults",
            "-display",
            "none",
            "-nic",
            "none",
            "-no-reboot",
            "-kernel",
            str(vmlinuz),
            "-initrd",
            str(initrd),
            "-append",
            "root=/dev/vda rw console=ttyS0 panic=-1 systemd.show_status=1",
            "-serial",
            f"file:{self.console}",
            "-drive",
            f"file={disk},if=virtio,format=raw,cache=unsafe",
            "-chardev",
            f"socket,path={self.qga},server=on,wait=off,id=qga0",
            "-device",
            "virtio-serial",
            "-device",
            "virtserialport,chardev=qga0,name=org.qemu.guest_agent.0",
        ]
        if volume is not None:
            path, serial = volume
            cmd += [
                "-drive",
                f"file={path},if=none,id=data,format=raw,cache=unsafe",
                "-device",
                f"nvme,serial={serial},drive=data",
            ]
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=(work / "qemu.err").open("w"),
        )
        STARTED.append(self.proc)
        try:
            self._wait_for_agent(name, boot_timeout)
        except BaseException:
            self.stop()
            raise

    def cloud_init_done(self, timeout: float = 3600) -> Result:
        """As Guest's, with TCG's time: a DB's first boot took over 15 min here."""
        return super().cloud_init_done(timeout)

    def _wait_for_agent(self, name: str, boot_timeout: float) -> None:
        deadline = time.monotonic() + boot_timeout
        while True:
            if self.proc.poll() is not None:
                raise BootError(f"{name}: qemu exited {self.proc.returncode}; see {self.console}")
            if time.monotonic() > deadline:
                self.stop()
                raise BootError(
                    f"{name}: no guest agent after {boot_timeout} s; see {self.console}"
                )
            try:
                self._agent({"execute": "guest-ping"}, timeout=5)
                break
            except (OSError, TimeoutError, ValueError):
                time.sleep(3)

    def _agent(self, request: dict[str, object], timeout: float) -> object:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            s.connect(str(self.qga))
            # guest-sync-delimited resynchronises a stream left mid-reply by an earlier timeout.
            token = int(time.monotonic() * 1000) % 2**31
            s.sendall(
                json.dumps({"execute": "guest-sync", "arguments": {"id": token}}).encode() + b"\n"
            )
            buf = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    raise OSError("guest agent closed the connection")
                buf += chunk
                lines = buf.split(b"\n")
                buf = lines.pop()
                for line in lines:
                    if line.strip() and json.loads(line).get("return") == token:
                        s.sendall(json.dumps(request).encode() + b"\n")
                        return self._reply(s, buf)

    @staticmethod
    def _reply(s: socket.socket, buf: bytes) -> object:
        while b"\n" not in buf:
            chunk = s.recv(65536)
            if not chunk:
                raise OSError("guest agent closed the connection")
            buf += chunk
        reply = json.loads(buf.split(b"\n", 1)[0])
        if "error" in reply:
            raise ValueError(f"guest agent: {reply['error']}")
        return reply.get("return")

    def sh(self, command: str, timeout: float = 300) -> Result:
        started = self._agent(
            {
                "execute": "guest-exec",
                "arguments": {
                    "path": "/bin/sh",
                    "arg": ["-c", command],
                    "capture-output": True,
                    "env": [
                        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                        "LANG=C.UTF-8",
                        "HOME=/root",
                    ],
                },
            },
            timeout=30,
        )
        pid = started["pid"]  # type: ignore[index]
        deadline = time.monotonic() + timeout
        while True:
            status = self._agent({"execute": "guest-exec-status", "arguments": {"pid": pid}}, 30)
            if status.get("exited"):  # type: ignore[union-attr]
                out = base64.b64decode(status.get("out-data", "")).decode(errors="replace")  # type: ignore[union-attr]
                err = base64.b64decode(status.get("err-data", "")).decode(errors="replace")  # type: ignore[union-attr]
                return Result(status.get("exitcode", -1), out, err)  # type: ignore[union-attr]
            if time.monotonic() > deadline:
                return Result(-1, "", f"timed out after {timeout} s: {command}")
            time.sleep(1)

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(OSError, TimeoutError, ValueError):
                self._agent({"execute": "guest-shutdown", "arguments": {"mode": "powerdown"}}, 10)
            try:
                self.proc.wait(timeout=120)
            except subprocess.TimeoutExpired:
                self.proc.terminate()
                try:
                    self.proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()


def quote(*words: str) -> str:
    return " ".join(shlex.quote(w) for w in words)
