"""Pure parts of the link's transport handling: the hardened `+ssh` URI, reading OpenSSH's key
refusals, and which probe each URI gets."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from limen_tui.fleet.probe import TcpProbe, UnixProbe, probe_for
from limen_tui.virt.ssh_transport import SshBounds, fingerprint, hardened_uri, key_refusal

BOUNDS = SshBounds(connect_timeout=4, alive_interval=2, alive_count=3)


def _params(uri: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(uri).query)


def test_every_ssh_uri_gets_no_tty_no_verify_and_our_command() -> None:
    uri = "qemu+ssh://root@hv2:2200/system?no_verify=1&no_tty=0&keyfile=/k&command=/evil"
    params = _params(hardened_uri(uri, BOUNDS))
    assert params["no_tty"] == ["1"] and params["no_verify"] == ["0"]
    assert params["keyfile"] == ["/k"]
    script = Path(params["command"][0])
    text = script.read_text()
    assert script.stat().st_mode & 0o777 == 0o700
    for option in (
        "BatchMode=yes",
        "StrictHostKeyChecking=yes",
        "ConnectTimeout=4",
        "ServerAliveInterval=2",
        "ServerAliveCountMax=3",
    ):
        assert option in text
    assert "UserKnownHostsFile" not in text


def test_known_hosts_from_the_uri_wins_over_the_hosts_config() -> None:
    uri = "qemu+ssh://hv2/system?known_hosts=/a/known"
    script = Path(_params(hardened_uri(uri, BOUNDS, Path("/b")))["command"][0])
    assert "UserKnownHostsFile=/a/known" in script.read_text()
    script = Path(_params(hardened_uri("qemu+ssh://hv2/system", BOUNDS, Path("/b")))["command"][0])
    assert "UserKnownHostsFile=/b" in script.read_text()


def test_other_uris_are_opened_as_given() -> None:
    for uri in ("qemu:///system", "test:///default", "qemu+tcp://hv/system", ""):
        assert hardened_uri(uri, BOUNDS) == uri


CHANGED = (
    "Cannot recv data: @@@@\r\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\r\n"
    "The fingerprint for the ED25519 key sent by the remote host is\n"
    "SHA256:IXhQXnHjdjxyq9LAFG5OPoGBE1ao5AiYauGBCvOlvkI.\r\n"
    "Offending ED25519 key in /tmp/kh.wrong:1\r\nHost key verification failed.: Connection reset"
)


def test_a_changed_key_is_read_from_the_banner(tmp_path: Path) -> None:
    refusal = key_refusal("qemu+ssh://root@127.0.0.1:2200/system", CHANGED)
    assert refusal is not None
    assert refusal.changed and refusal.port == 2200 and refusal.host == "127.0.0.1"
    assert refusal.offered == "SHA256:IXhQXnHjdjxyq9LAFG5OPoGBE1ao5AiYauGBCvOlvkI"
    assert refusal.known_hosts == Path("/tmp/kh.wrong")


def test_other_errors_are_not_key_refusals() -> None:
    message = "Cannot recv data: Connection timed out during banner exchange"
    assert key_refusal("qemu+ssh://hv/system", message) is None


def test_fingerprint_matches_openssh() -> None:
    # What `ssh-keygen -lf` printed for this ed25519 key.
    blob = "AAAAC3NzaC1lZDI1NTE5AAAAIGQXnZlyW/swbAXwVRLKZ/tVIkqA+BwpNK7+etw+1eR+"
    assert fingerprint(blob) == "SHA256:o6UNJ0gkojHvHRaqXVIv3yuZ+PdKTnVlvdNJiqdG+Bs"
    assert fingerprint("not base64!") == ""


def test_probes_per_uri() -> None:
    assert probe_for("test:///default") is None
    assert probe_for("qemu:///session") is None
    local = probe_for("qemu:///system")
    assert isinstance(local, UnixProbe) and local.path.name.endswith("-sock")
    ro = probe_for("qemu:///system", readonly=True)
    assert isinstance(ro, UnixProbe) and ro.path.name.endswith("-sock-ro")
    assert probe_for("test+unix:///x.xml") == UnixProbe(Path("/run/libvirt/libvirt-sock"))
    assert probe_for("qemu+unix:///system?socket=/s") == UnixProbe(Path("/s"))
    assert probe_for("qemu+tcp://hv:1/system") == TcpProbe("hv", 1, banner=False)
    assert probe_for("qemu+tls://hv/system") == TcpProbe("hv", 16514, banner=False)
    assert probe_for("qemu+ssh://u@hv/system") == TcpProbe("hv", 22, banner=True)
