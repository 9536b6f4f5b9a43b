"""An alert never leaves for a public address: the webhook's address check, over every address."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bulle.errors import InputError
from bulle.services.alerts import local_webhook, on_local_network

PUBLIC_V4 = st.ip_addresses(v=4).filter(lambda ip: ip.is_global and not ip.is_multicast)
LOCAL_V4 = st.one_of(
    st.ip_addresses(network="10.0.0.0/8"),
    st.ip_addresses(network="172.16.0.0/12"),
    st.ip_addresses(network="192.168.0.0/16"),
    st.ip_addresses(network="127.0.0.0/8"),
    st.ip_addresses(network="169.254.0.0/16"),
)


@given(PUBLIC_V4)
def test_every_public_ipv4_is_refused(ip):
    assert not on_local_network(ip)
    with pytest.raises(InputError, match="not on the local network"):
        local_webhook(f"http://{ip}:8080/hook")


@given(st.ip_addresses(v=6).filter(lambda ip: ip.is_global and not ip.is_multicast))
def test_every_public_ipv6_is_refused(ip):
    assert not on_local_network(ip)


@given(PUBLIC_V4)
def test_a_public_ipv4_mapped_in_ipv6_is_refused(ip):
    mapped = ipaddress.IPv6Address(f"::ffff:{ip}")
    assert not on_local_network(mapped)


@given(LOCAL_V4)
def test_local_ipv4_is_accepted(ip):
    assert on_local_network(ip)
    scheme, host, address, port, path = local_webhook(f"http://{ip}:9000/a?b=c")
    assert (scheme, host, address, port, path) == ("http", str(ip), str(ip), 9000, "/a?b=c")


@given(st.sampled_from(["ftp://10.0.0.1/x", "file:///etc/passwd", "10.0.0.1/hook", "http://"]))
def test_not_an_http_url_is_refused(url):
    with pytest.raises(InputError):
        local_webhook(url)
