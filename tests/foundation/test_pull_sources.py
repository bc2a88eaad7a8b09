"""Which pull URLs are refused, and why: one table, checked by the validator, the API and the admin.

Names under `.test` resolve through a stub (only the resolution step: what a DNS server
would answer); everything else about the checks is the real code.
"""

import socket

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError

from cameras.models import Camera
from cameras.sources import check_pull_url, pin_pull_url
from rtcc.env import env_networks
from tests.personas import Personas, camera_admin_form

LOOPBACK = "a loopback address"
PRIVATE = "a private address"
LINK_LOCAL = "a link-local address"
METADATA = "a cloud metadata"
NUMERIC = "written as a single number, in octal or hex, or with parts left out"
MAPPED = "an IPv4-mapped IPv6 address carrying"

# What a DNS server would answer for these names.
ANSWERS = {
    "rebind.test": ["127.0.0.1"],
    "intranet.test": ["10.20.30.40"],
    "mixed.test": ["93.184.216.34", "10.0.0.1"],
    "v6-metadata.test": ["fd00:ec2::254"],
    "nip-metadata.test": ["169.254.169.254"],
    "mapped.test": ["::ffff:192.168.0.1"],
    "good.test": ["93.184.216.34"],
}

REFUSED = [
    # Schemes and shapes ffmpeg would read as something else
    ("file:///etc/passwd", "Scheme 'file' is not allowed"),
    ("gopher://93.184.216.34/", "Scheme 'gopher' is not allowed"),
    ("concat:http://93.184.216.34/a|file:///etc/passwd", "is not allowed"),
    ("-i rtsp://93.184.216.34/", "cannot start with '-'"),
    ("rtsp://", "The URL has no host."),
    ("http:///127.0.0.1/", "The URL has no host."),
    ("http://[::1", "The URL cannot be read"),
    ("http://93.184.216.34:99999/", "The URL cannot be read"),
    ("http://93.184.216.34:0/", "Port 0"),
    # IPv4, as written and in the spellings resolvers accept
    ("http://127.0.0.1/", LOOPBACK),
    ("rtsp://127.0.0.1:554/cam", LOOPBACK),
    ("http://127.1/", NUMERIC),
    ("http://2130706433/", NUMERIC),
    ("http://0x7f000001/", NUMERIC),
    ("http://0177.0.0.1/", NUMERIC),
    ("http://0x7f.0.0.1/", NUMERIC),
    ("http://127.0.0.01/", NUMERIC),
    ("http://127.0.0.1./", NUMERIC),
    ("http://0/", NUMERIC),
    ("http://0.0.0.0/", "unspecified"),
    ("http://10.0.0.5/", PRIVATE),
    ("http://172.16.3.4/", PRIVATE),
    ("http://192.168.1.1/", PRIVATE),
    ("http://100.64.0.1/", "carrier-grade NAT"),
    ("http://100.100.100.200/latest/meta-data/", f"{METADATA} endpoint (Alibaba Cloud)"),
    ("http://169.254.169.254/latest/meta-data/", f"{METADATA} endpoint (AWS, GCP, Azure and OpenStack)"),
    ("http://169.254.170.2/v2/credentials", f"{METADATA} endpoint (AWS ECS task)"),
    ("http://169.254.10.10/", LINK_LOCAL),
    ("http://192.0.0.192/opc/v2/instance/", f"{METADATA} endpoint (Oracle Cloud)"),
    ("http://192.0.0.8/", "IETF protocol assignment"),
    ("http://192.0.2.10/", "documentation"),
    ("http://198.51.100.7/", "documentation"),
    ("http://203.0.113.9/", "documentation"),
    ("http://198.18.0.1/", "benchmarking"),
    ("http://192.88.99.1/", "6to4 relay"),
    ("http://224.0.0.1/", "multicast"),
    ("rtsp://239.1.1.1/", "multicast"),
    ("http://240.0.0.1/", "reserved"),
    ("http://255.255.255.255/", "broadcast"),
    # IPv6
    ("http://[::1]/", LOOPBACK),
    ("http://[::1]:8080/x", LOOPBACK),
    ("http://[0:0:0:0:0:0:0:1]/", LOOPBACK),
    ("http://[::]/", "unspecified"),
    ("http://[fd00:ec2::254]/latest/meta-data/", f"{METADATA} endpoint (AWS over IPv6)"),
    ("http://[fc00::1]/", "unique-local"),
    ("http://[fd12:3456::1]/", "unique-local"),
    ("http://[fe80::1]/", LINK_LOCAL),
    ("http://[fe80::1%25eth0]/", "IPv6 zone ids are not accepted"),
    ("http://[fec0::1]/", "site-local"),
    ("http://[::ffff:127.0.0.1]/", f"{MAPPED} 127.0.0.1, which is {LOOPBACK}"),
    ("http://[::ffff:7f00:1]/", f"{MAPPED} 127.0.0.1"),
    ("http://[0:0:0:0:0:ffff:a9fe:a9fe]/", f"{MAPPED} 169.254.169.254, which is {METADATA}"),
    ("http://[::ffff:93.184.216.34]/", f"{MAPPED} 93.184.216.34: write 93.184.216.34 itself"),
    ("http://[::127.0.0.1]/", "an IPv4-compatible IPv6 address carrying 127.0.0.1"),
    ("http://[2002:7f00:1::]/", f"a 6to4 address carrying 127.0.0.1, which is {LOOPBACK}"),
    ("http://[2002:a9fe:a9fe::1]/", "a 6to4 address carrying 169.254.169.254"),
    ("http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/", "a Teredo address carrying 127.0.0.1"),
    ("http://[64:ff9b::7f00:1]/", "a NAT64 address carrying 127.0.0.1"),
    ("http://[64:ff9b::a9fe:a9fe]/", "a NAT64 address carrying 169.254.169.254"),
    ("http://[64:ff9b:1:c0a8:1:100::]/", "a NAT64 address carrying 192.168.1.1"),
    ("http://[2001:db8::1]/", "documentation"),
    ("http://[3fff::1]/", "documentation"),
    ("http://[100::1]/", "discard-only"),
    ("http://[2001:10::1]/", "IETF protocol assignment"),
    ("http://[ff02::1]/", "multicast"),
    ("rtsps://[fe80::1]:322/", LINK_LOCAL),
    # Names
    ("http://localhost/", "this machine (localhost)"),
    ("rtsp://LOCALHOST./cam", "this machine (localhost)"),
    ("http://camera.localhost/", "this machine (localhost)"),
    ("http://metadata.google.internal/computeMetadata/v1/", "cloud metadata service"),
    ("http://metadata/", "cloud metadata service"),
    ("http://instance-data/latest/", "cloud metadata service"),
    ("http://rebind.test/", f"resolves to 127.0.0.1, {LOOPBACK}"),
    ("rtsp://intranet.test/cam", f"resolves to 10.20.30.40, {PRIVATE}"),
    ("http://mixed.test/", f"resolves to 10.0.0.1, {PRIVATE}"),
    ("http://v6-metadata.test/", f"resolves to fd00:ec2::254, {METADATA}"),
    ("http://nip-metadata.test/", f"resolves to 169.254.169.254, {METADATA}"),
    ("http://mapped.test/", f"resolves to ::ffff:c0a8:1, {MAPPED} 192.168.0.1"),
    ("http://nowhere.invalid/", "cannot be resolved"),
    (f"http://{'a' * 64}.test/", "cannot be resolved"),
    # Parser tricks: the host is what the URL parser says, whatever the text suggests
    ("http://good.test@127.0.0.1/", LOOPBACK),
    ("rtsp://good.test:pw@[::1]:554/cam", LOOPBACK),
    ("http://127.0.0.1#@good.test/", LOOPBACK),
    ("http://127.0.0.1?@good.test/", LOOPBACK),
    ("http://good.test\\@127.0.0.1/", "backslash"),
    ("http://%31%32%37.0.0.1/", "percent-encoded hosts"),
    ("http://127\u30020\u30020\u30021/", "not plain ASCII"),
    ("http://\u2460\u2461\u2466.0.0.1/", "not plain ASCII"),
    ("http://good.test/\tx", "spaces or control characters"),
    ("http://good.test/\x00", "spaces or control characters"),
]


@pytest.fixture
def dns(monkeypatch):
    real = socket.getaddrinfo

    def resolve(host, port, *args, **kwargs):
        if host in ANSWERS:
            family = {4: socket.AF_INET, 6: socket.AF_INET6}
            return [
                (family[6 if ":" in a else 4], socket.SOCK_STREAM, 6, "", (a, port)) for a in ANSWERS[host]
            ]
        if host.endswith((".test", ".invalid")):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)


@pytest.fixture
def default_policy(settings, dns):
    settings.RTCC_PULL_ALLOWED_HOSTS = []
    settings.RTCC_PULL_ALLOWED_NETWORKS = []


def reason(url: str) -> str:
    with pytest.raises(ValidationError) as refused:
        check_pull_url(url)
    return " ".join(refused.value.messages)


def test_the_table_has_every_form_the_policy_must_refuse():
    assert len(REFUSED) >= 40 and len({url for url, _ in REFUSED}) == len(REFUSED)


@pytest.mark.parametrize(("url", "expected"), REFUSED, ids=[url[:60] for url, _ in REFUSED])
def test_url_is_refused_with_a_readable_reason(default_policy, url, expected):
    assert expected in reason(url)


@pytest.mark.parametrize(
    "url", ["rtsp://93.184.216.34/stream", "https://good.test/live.m3u8", "http://[2606:4700::1111]:8080/x"]
)
def test_public_addresses_are_accepted_and_pinned(default_policy, url):
    target = pin_pull_url(url)
    assert target.url == url and all(address.is_global for address in target.pinned.addresses)


def test_allowed_network_opens_only_that_network(settings, dns):
    settings.RTCC_PULL_ALLOWED_NETWORKS = ["127.0.0.0/8", "10.20.0.0/16"]
    assert check_pull_url("rtsp://127.0.0.1:8554/cam")
    assert check_pull_url("rtsp://intranet.test/cam")
    assert LOOPBACK in reason("http://[::1]/")
    assert PRIVATE in reason("http://10.0.0.1/")


def test_metadata_stays_refused_inside_an_allowed_network_unless_named_exactly(settings, dns):
    settings.RTCC_PULL_ALLOWED_NETWORKS = ["169.254.0.0/16"]
    assert check_pull_url("http://169.254.10.10/")
    assert METADATA in reason("http://169.254.169.254/")
    settings.RTCC_PULL_ALLOWED_NETWORKS = ["169.254.169.254/32"]
    assert check_pull_url("http://169.254.169.254/")


def test_allowed_ipv6_transition_range_still_checks_the_ipv4_inside(settings, dns):
    settings.RTCC_PULL_ALLOWED_NETWORKS = ["2002::/16"]
    assert check_pull_url("http://[2002:5db8:d822::1]/")  # 93.184.216.34 inside
    assert "an IPv6 form of 127.0.0.1, a loopback address" in reason("http://[2002:7f00:1::]/")


def test_allowed_host_is_pinned_to_what_it_resolves_to(settings, dns):
    settings.RTCC_PULL_ALLOWED_HOSTS = ["Intranet.test"]
    target = pin_pull_url("rtsp://intranet.test/cam")
    assert [str(a) for a in target.pinned.addresses] == ["10.20.30.40"]
    assert target.host_header == "intranet.test"


def test_allowed_networks_setting_rejects_what_is_not_a_network(monkeypatch):
    monkeypatch.setenv("RTCC_PULL_ALLOWED_NETWORKS", "10.0.0.0/8, fd00::/8 ,127.0.0.1")
    assert env_networks("RTCC_PULL_ALLOWED_NETWORKS", []) == ["10.0.0.0/8", "fd00::/8", "127.0.0.1/32"]
    monkeypatch.setenv("RTCC_PULL_ALLOWED_NETWORKS", "10.0.0.0/8,camera-vlan")
    with pytest.raises(ImproperlyConfigured, match="'camera-vlan' is not an IP network"):
        env_networks("RTCC_PULL_ALLOWED_NETWORKS", [])


class RefusedThroughTheApiAndAdmin(Personas):
    @pytest.fixture(autouse=True)
    def policy(self, default_policy):
        pass

    def test_every_refused_form_is_a_400_with_the_reason_under_source_url(self):
        client = self.api(self.admin)
        # DRF's CharField refuses a NUL byte itself, before the URL check, with its own words.
        api_wording = {"http://good.test/\x00": "Null characters are not allowed."}
        for url, expected in REFUSED:
            expected = api_wording.get(url, expected)
            response = client.post(
                "/api/v1/cameras/",
                {"name": "Bad", "lat": 41.88, "lon": -87.63, "source_url": url},
                format="json",
            )
            self.assertEqual(response.status_code, 400, url)
            self.assertIn(expected, " ".join(response.json()["source_url"]), url)
        self.assertFalse(Camera.objects.filter(name="Bad").exists())

    def test_admin_form_shows_the_reason_under_source_url(self):
        self.client.force_login(self.admin)
        for url, expected in [
            ("http://[fd00:ec2::254]/latest/meta-data/", "AWS over IPv6"),
            ("http://[2002:7f00:1::]/", "a 6to4 address carrying 127.0.0.1"),
            ("http://100.100.100.200/", "Alibaba Cloud"),
        ]:
            response = self.client.post(
                "/admin/cameras/camera/add/",
                camera_admin_form(name="Sneaky", source="pull", source_url=url),
            )
            self.assertEqual(response.status_code, 200, url)
            errors = response.context["adminform"].form.errors
            self.assertIn(expected, " ".join(errors["source_url"]), url)
        self.assertFalse(Camera.objects.filter(name="Sneaky").exists())
