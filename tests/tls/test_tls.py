"""TLS end to end on the lab (issue 15): the front's certificate for demo.lab from an ACME CA
(the lab's pebble), the redirect, the TLS configuration, a renewal under load, and the
apps' database connections, encrypted and verified, with plain text refused.

Everything is real: pebble validates the HTTP-01 challenge against lb1's port 80, the test
client verifies the chain against pebble's root, PostgreSQL refuses what pg_hba refuses.
"""

from __future__ import annotations

import datetime
import json
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

import lab_helpers
from loadgen import LoadGenerator, front_address, named_session

pytestmark = pytest.mark.lab

APP = "demo"
NAME = "demo.lab"
SITE_TLS = f"/etc/nginx/dockyard/{APP}/tls"
DATABASE_CA = "/etc/dockyard/postgres-ca.crt"
LAB_CA = str(lab_helpers.STATE / "pki" / "ca.crt")


def address(host: str) -> str:
    return front_address(lab_helpers.container(host))


def site(*args: str) -> subprocess.CompletedProcess[str]:
    """playbooks/site.yml on the lab (the whole provisioning: what an operator runs)."""
    return lab_helpers.run_playbook("playbooks/site.yml", *args)


def served_certificate(name: str = NAME) -> x509.Certificate:
    """The certificate lb1 presents for a name (SNI), read without trusting it."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with socket.create_connection((address("lb1"), 443), timeout=10) as sock:
        with context.wrap_socket(sock, server_hostname=name) as tls:
            der = tls.getpeercert(binary_form=True)
    assert der, f"lb1 presented no certificate for {name}"
    return x509.load_der_x509_certificate(der)


def verified_get(root: Path, path: str = "/version") -> requests.Response:
    """GET https://demo.lab<path> from lb1, verifying the chain against the ACME CA's root."""
    return named_session(NAME, str(root)).get(f"https://{address('lb1')}{path}", timeout=10)


def nginx_master_pid() -> str:
    return lab_helpers.host_run("lb1", "cat", "/run/nginx.pid").stdout.strip()


@pytest.fixture(scope="module")
def acme_root(lab: None, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """pebble's issuing root, from its management interface (pebble makes a new one at each
    start; its API's own certificate is from the lab CA)."""
    session = named_session("registry", LAB_CA)
    url = f"https://{address('registry')}:15000/roots/0"
    deadline = time.monotonic() + 60  # pebble generates its keys when it starts
    while True:
        try:
            response = session.get(url, timeout=5)
            response.raise_for_status()
            break
        except requests.RequestException:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)
    path = tmp_path_factory.mktemp("acme") / "pebble-root.pem"
    path.write_text(response.text)
    return path


@pytest.fixture(scope="module")
def provisioned(acme_root: Path) -> None:
    """The lab provisioned by site.yml, demo's certificate issued by the running pebble."""
    run = site()
    assert run.returncode == 0, (run.stdout + run.stderr)[-4000:]
    try:
        verified_get(acme_root)
    except requests.exceptions.SSLError:
        # pebble restarted since the front got its certificate (a lab brought back by
        # `make lab`): the certificate chains to a root that no longer exists. A real CA
        # keeps its roots; here, get one from the new root.
        run = site("-e", "proxy_acme_force_renewal=true")
        assert run.returncode == 0, (run.stdout + run.stderr)[-4000:]


@pytest.fixture(scope="module")
def demo_running(provisioned: None, acme_root: Path) -> Iterator[None]:
    """demo has a release serving (deployed now when it has none)."""
    if verified_get(acme_root).status_code != 200:
        tag = "tls-" + time.strftime("%m%d%H%M%S")
        build = subprocess.run(["bash", str(lab_helpers.REPO / "examples/demo/bin/build-image.sh"), tag],
                               text=True, capture_output=True, timeout=1200, check=False)
        assert build.returncode == 0, build.stdout[-2000:] + build.stderr[-2000:]
        run = lab_helpers.run_playbook("playbooks/deploy.yml", "-e", f"app={APP}", "-e", f"tag={tag}")
        assert run.returncode == 0, (run.stdout + run.stderr)[-4000:]
    yield


# --- The front ------------------------------------------------------------------------------

def test_front_serves_a_certificate_for_demo_lab_from_the_acme_ca(provisioned: None, acme_root: Path) -> None:
    # requests verifies the chain (leaf + pebble's intermediate, as served) against the root.
    response = verified_get(acme_root, "/healthz")
    assert response.status_code in (200, 503), response.status_code  # 503: no release yet
    cert = served_certificate()
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == [NAME]
    issuer = cert.issuer.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    assert issuer.startswith("Pebble Intermediate CA"), issuer
    key = lab_helpers.host_run("lb1", "stat", "-c", "%a %U", f"{SITE_TLS}/privkey.pem").stdout.split()
    assert key == ["600", "root"]
    account = lab_helpers.host_run("lb1", "stat", "-c", "%a %U", "/etc/nginx/dockyard/acme/account.key").stdout.split()
    assert account == ["600", "root"]


def test_http_redirects_to_https_but_answers_acme_challenges(provisioned: None) -> None:
    session = named_session(NAME)
    response = session.get(f"http://{address('lb1')}/notes/?page=2", allow_redirects=False, timeout=10)
    assert response.status_code == 301
    assert response.headers["Location"] == f"https://{NAME}/notes/?page=2"
    # The CA's validation path is served from the webroot on port 80, never redirected
    # (no challenge is pending now: not found).
    challenge = session.get(f"http://{address('lb1')}/.well-known/acme-challenge/none-pending",
                            allow_redirects=False, timeout=10)
    assert challenge.status_code == 404


def test_tls_configuration_is_mozilla_intermediate(provisioned: None, acme_root: Path) -> None:
    def handshake(context: ssl.SSLContext) -> tuple[str, str] | None:
        context.load_verify_locations(str(acme_root))
        try:
            with socket.create_connection((address("lb1"), 443), timeout=10) as sock:
                with context.wrap_socket(sock, server_hostname=NAME) as tls:
                    cipher = tls.cipher()
                    return tls.version(), cipher[0] if cipher else ""
        except ssl.SSLError:
            return None

    tls13 = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    tls13.minimum_version = ssl.TLSVersion.TLSv1_3
    assert handshake(tls13) is not None

    tls12 = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    tls12.maximum_version = ssl.TLSVersion.TLSv1_2
    version, cipher = handshake(tls12) or ("", "")
    assert version == "TLSv1.2" and cipher.startswith("ECDHE-ECDSA-") and ("GCM" in cipher or "CHACHA20" in cipher), cipher

    # A TLS 1.2 client offering only a CBC suite (no AEAD; nginx's default list has it)
    # finds no common cipher.
    legacy = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    legacy.maximum_version = ssl.TLSVersion.TLSv1_2
    legacy.set_ciphers("ECDHE-ECDSA-AES128-SHA")
    assert handshake(legacy) is None

    # HSTS is opt-in (proxy_tls_hsts): not sent by default.
    assert "Strict-Transport-Security" not in verified_get(acme_root).headers


# --- Renewal --------------------------------------------------------------------------------

def last_reload(master: str) -> float:
    """When nginx last reloaded: the start of its youngest worker (a reload starts new ones)."""
    ages = lab_helpers.host_run("lb1", "ps", "-o", "etimes=", "--ppid", master).stdout.split()
    return time.time() - min(int(age) for age in ages)


def test_renewal_under_load_reloads_nginx_without_failing_a_request(demo_running: None, acme_root: Path) -> None:
    before = served_certificate()
    master = nginx_master_pid()
    # Bounded, and long enough to outlast a whole site.yml run on a busy machine; light (two
    # clients, about 20 requests a second each): on 2 CPUs a heavier load slows the run it
    # watches threefold, and a reload is a moment that any steady traffic spans.
    load = LoadGenerator(f"https://{address('lb1')}/version", NAME, workers=2, pause=0.05, max_seconds=2400,
                         verify=str(acme_root))
    load_start = time.time()
    # pebble's certificates last 90 days, like Let's Encrypt's: with a 100-day renewal window
    # this run finds the certificate due, exactly as site.yml does 30 days before expiry.
    # -vvv: every module's arguments and results are printed, to show no key is.
    with load:
        run = site("-e", "proxy_acme_renew_days=100", "-vvv")
        # Traffic on the new certificate: until requests were answered more than a second after
        # the run's last reload (the reload may come at its very end), within a minute.
        reloaded_at = last_reload(master)
        until = time.monotonic() + 60
        while (not any(o.at > reloaded_at + 1.5 for o in list(load.outcomes)) and not load.failed
               and time.monotonic() < until):
            time.sleep(0.1)
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-4000:]

    after = served_certificate()
    assert after.serial_number != before.serial_number, "the certificate was not renewed"
    assert verified_get(acme_root).status_code == 200  # the new chain verifies
    assert nginx_master_pid() == master, "nginx was restarted instead of reloaded"

    summary = load.summary()
    print(f"renewal under load: {summary}")
    assert summary["sent"] > 50, summary
    assert not load.failed, (f"{summary}: {load.describe_failures()}, at "
                             f"{[round(o.at - load_start, 1) for o in load.failed]} s into the load")
    # The load spanned the reload that put the new certificate in place (the last of the run).
    assert any(o.at < reloaded_at - 1 for o in load.outcomes), "no request before the reload"
    assert any(o.at > reloaded_at + 1 for o in load.outcomes), "no request after the reload"

    # No key (the front's new one, the account's, db1's, the lab CA's given to the postgres
    # role) nor any other lab secret, at -vvv.
    assert "PRIVATE KEY" not in out, "a private key was printed by site.yml -vvv"
    assert not lab_helpers.secrets_in(out), f"site.yml -vvv printed secrets: {lab_helpers.secrets_in(out)}"


def test_a_failing_proxy_run_prints_no_key(lab: None, tmp_path: Path) -> None:
    """A PEM site whose check fails in a loop over the sites: at -vvv every item of a loop is
    printed in full, so the role's loops must never carry the key. Refused in the pre-flight:
    nothing on lb1 changes."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "leak.lab")])
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    sites = [{"name": "leak", "server_names": ["leak.lab"],
              "upstreams": [{"host": "web1", "address": address("web1"), "port": 8001}],
              "tls_certificate": cert.public_bytes(serialization.Encoding.PEM).decode(),
              "tls_certificate_key": key_pem, "media_dir": "/nonexistent/leak"}]
    (tmp_path / "sites.json").write_text(json.dumps({"leak_sites": sites}))
    (tmp_path / "proxy.yml").write_text(
        "- hosts: lb1\n  gather_facts: false\n  roles:\n"
        "    - role: dockyard.django.proxy\n      proxy_sites: \"{{ leak_sites }}\"\n")
    run = lab_helpers.run_playbook(tmp_path / "proxy.yml", "-e", f"@{tmp_path / 'sites.json'}", "-vvv")
    out = run.stdout + run.stderr
    assert run.returncode != 0 and "media_dir /nonexistent/leak is not a directory" in out, out[-4000:]
    leaked = [line for line in lab_helpers.pem_key_lines(key_pem) if line in out]
    assert not leaked, "the proxy role printed a site's private key at -vvv"
    assert "PRIVATE KEY" not in out


# --- The database ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def psql_on_web1(provisioned: None) -> str:
    """web1 (a demo app host) with the PostgreSQL client."""
    result = lab_helpers.run_module("web1", "ansible.builtin.apt", {
        "name": "postgresql-client", "state": "present", "update_cache": True, "cache_valid_time": 3600})
    assert not result["failed"], result.get("msg")
    return "web1"


def psql(host: str, conninfo: str, sql: str) -> subprocess.CompletedProcess[str]:
    password = (lab_helpers.STATE / "secrets" / f"{APP}-db").read_text().strip()
    return lab_helpers.host_run(host, "psql", "--no-psqlrc", "--tuples-only", "--no-align",
                                f"host={address('db1')} dbname={APP} user={APP} connect_timeout=10 {conninfo}",
                                "-c", sql, env={"PGPASSWORD": password}, check=False)


def test_database_refuses_plain_text_from_an_app_host(psql_on_web1: str) -> None:
    plain = psql(psql_on_web1, "sslmode=disable", "SELECT 1")
    assert plain.returncode != 0
    assert "no pg_hba.conf entry" in plain.stderr and "no encryption" in plain.stderr, plain.stderr

    # The same role from the same host over TLS, verifying the server against the CA the
    # app containers get (the certificate names the address DATABASE_URL uses).
    verified = psql(psql_on_web1, f"sslmode=verify-full sslrootcert={DATABASE_CA}",
                    "SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.strip().startswith("t|TLSv1."), verified.stdout


def test_app_talks_to_the_database_over_tls_only(demo_running: None, acme_root: Path) -> None:
    health = verified_get(acme_root, "/healthz")
    assert health.status_code == 200 and health.json()["checks"]["database"] == "ok", health.text
    line = lab_helpers.host_run("web1", "grep", "^DATABASE_URL=", f"/etc/default/{APP}").stdout.strip()
    where = line.rsplit("@", 1)[-1]  # after the credentials
    assert where.endswith("?sslmode=verify-full&sslrootcert=" + DATABASE_CA), where
    # Every connection the app holds (web, worker, beat) is encrypted.
    sessions = lab_helpers.host_run(
        "db1", "runuser", "-u", "postgres", "--", "psql", "-At", "-c",
        f"SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.usename = '{APP}'").stdout.split()
    assert sessions and set(sessions) == {"t"}, sessions
