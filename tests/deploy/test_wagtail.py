"""A real Django app nobody here wrote, deployed unchanged (issue 13): the project Wagtail's own
template generates, built with the README's app image recipe (tests/apps/wagtail/build-image.sh),
added to the lab through a second inventory source (tests/apps/wagtail/inventory), web only,
behind TLS with SECURE_SSL_REDIRECT and the proxy SSL header, with uploaded media on the lab's
shared storage. An editor uploads an image through the front; it is still served after a new
tag and after a rollback. playbooks/manage.yml runs with the exact shell forms the README shows.
"""

from __future__ import annotations

import datetime
import os
import re
import struct
import subprocess
import uuid
import zlib
from collections.abc import Iterator

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

import lab_helpers
from conftest import Background, Run, lb_address, release_files
from loadgen import named_session

pytestmark = pytest.mark.lab

NAME = "wagtail.lab"
APP_DIR = lab_helpers.REPO / "tests" / "apps" / "wagtail"
INVENTORY = ["-i", str(lab_helpers.INVENTORY), "-i", str(APP_DIR / "inventory")]
STATE = lab_helpers.STATE / "wagtail"
WEB_HOSTS = ["web1", "web2"]


def playbook(name: str, *args: str) -> Run:
    proc = lab_helpers.run_playbook(f"playbooks/{name}", *INVENTORY, *args)
    return Run(proc.returncode, proc.stdout + proc.stderr)


def shell(command: str) -> Run:
    """A command line as a user types it (the shell does the quoting), from the checkout."""
    env = lab_helpers.ansible_env()
    env.pop("ANSIBLE_STDOUT_CALLBACK")
    proc = subprocess.run(["bash", "-c", command], cwd=lab_helpers.REPO, env=env, text=True,
                          capture_output=True, timeout=900, check=False)
    return Run(proc.returncode, proc.stdout + proc.stderr)


def write_certificate() -> None:
    """A certificate for wagtail.lab from the lab CA, where the inventory's group_vars read it."""
    if (STATE / "tls.crt").exists():
        return
    pki = lab_helpers.STATE / "pki"
    ca_key = serialization.load_pem_private_key((pki / "ca.key").read_bytes(), password=None)
    ca_cert = x509.load_pem_x509_certificate((pki / "ca.crt").read_bytes())
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, NAME)]))
            .issuer_name(ca_cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=365))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(NAME)]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    STATE.mkdir(mode=0o700, parents=True, exist_ok=True)
    key_path = STATE / "tls.key"
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    os.chmod(key_path, 0o600)
    (STATE / "tls.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM) + (pki / "ca.crt").read_bytes())


def front() -> requests.Session:
    """HTTPS to the lab front as a browser of wagtail.lab: SNI, Host and the certificate checked
    against the lab CA (named_session keeps REQUESTS_CA_BUNDLE, which CI machines set, from
    replacing that CA); Origin, as Django's CSRF check on HTTPS wants it."""
    session = named_session(NAME, verify=str(lab_helpers.STATE / "pki" / "ca.crt"))
    session.headers["Origin"] = f"https://{NAME}"
    return session


def url(path: str) -> str:
    return f"https://{lb_address()}{path}"


def png(width: int = 3, height: int = 2) -> bytes:
    """A small valid PNG (Wagtail reads uploads with Pillow), built by hand."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + bytes([200, 30, 60]) * width for _row in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def csrf_token(page: requests.Response) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert match, page.text[:2000]
    return match.group(1)


def served(path: str) -> requests.Response:
    answer = front().get(url(path), allow_redirects=False, timeout=30)
    return answer


@pytest.fixture(scope="module")
def tags(provisioned: None, machine_docker: lab_helpers.MachineDocker,
         early_builds: dict[str, Background]) -> Iterator[tuple[str, str]]:
    """Two tags of the Wagtail image (one build, pushed twice: the build conftest started with
    the first deploy test), the app provisioned through the second inventory source; afterwards
    the app's containers leave the lab hosts."""
    write_certificate()
    proc = early_builds["wagtail"].result()
    assert proc.returncode == 0, proc.stdout[-6000:]
    first = proc.args[-1]
    second = first.replace("w1-", "w2-", 1)
    registry = lab_helpers.registry_on_machine()
    machine_docker.run("tag", f"{registry}/wagtail:{first}", f"{registry}/wagtail:{second}")
    machine_docker.run("push", "--quiet", f"{registry}/wagtail:{second}")
    run = playbook("site.yml")
    assert run.rc == 0, run.out[-4000:]
    yield first, second
    down = lab_helpers.run_playbook(str(APP_DIR / "down.yml"), *INVENTORY)
    assert down.returncode == 0, (down.stdout + down.stderr)[-3000:]


def test_wagtail_behind_tls_keeps_its_uploads_across_deploys_and_rollbacks(tags: tuple[str, str]) -> None:
    first, second = tags
    run = playbook("deploy.yml", "-e", "app=wagtail", "-e", f"tag={first}")
    assert run.rc == 0, run.out[-4000:]
    # Web only: no play looks for worker or beat hosts it cannot find, and the app's env file
    # holds no broker URL (nor so the shared Redis password).
    assert "Could not match supplied host pattern" not in run.out, run.out[-4000:]
    for host in WEB_HOSTS:
        env_file = lab_helpers.host_run(host, "cat", "/etc/default/wagtail").stdout
        assert "DATABASE_URL=" in env_file and "CELERY_BROKER_URL" not in env_file and "redis://" not in env_file

    # The front redirects plain HTTP; over HTTPS, Wagtail's own home page answers.
    plain = requests.get(f"http://{lb_address()}/", headers={"Host": NAME}, allow_redirects=False, timeout=30)
    assert plain.status_code == 301 and plain.headers["Location"] == f"https://{NAME}/", plain.headers
    home = served("/")
    assert home.status_code == 200 and "Welcome to your new Wagtail site" in home.text, home.text[:500]

    # The editor, created with the README's exact command line, uploads an image through the front.
    created = shell(f"ansible-playbook playbooks/manage.yml {' '.join(INVENTORY)} -e app=wagtail "
                    '-e cmd="createsuperuser --noinput"')
    assert created.rc == 0 or "already taken" in created.out, created.out[-3000:]
    session = front()
    login = session.get(url("/admin/login/"), timeout=30)
    password = (lab_helpers.STATE / "secrets" / "wagtail-editor").read_text().strip()
    answer = session.post(url("/admin/login/"), timeout=30, allow_redirects=False,
                          headers={"Referer": f"https://{NAME}/admin/login/"},
                          data={"csrfmiddlewaretoken": csrf_token(login), "username": "editor",
                                "password": password, "next": "/admin/"})
    assert answer.status_code == 302, answer.text[:2000]
    form = session.get(url("/admin/images/add/"), timeout=30)
    name = f"upload-{uuid.uuid4().hex[:8]}.png"
    image = png()
    answer = session.post(url("/admin/images/add/"), timeout=60, allow_redirects=False,
                          headers={"Referer": f"https://{NAME}/admin/images/add/"},
                          data={"csrfmiddlewaretoken": csrf_token(form), "title": "upload", "collection": "1"},
                          files={"file": (name, image, "image/png")})
    assert answer.status_code == 302, answer.text[:3000]
    media_path = f"/media/original_images/{name}"

    def still_served() -> None:
        answer = served(media_path)
        assert answer.status_code == 200 and answer.content == image, (answer.status_code, answer.headers)
        # nginx serves it from the shared storage, as data.
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in answer.headers["Content-Security-Policy"]

    still_served()
    # Every web host sees it, and so does a manage container (list form, an argument with spaces).
    listing = playbook("manage.yml", "-e", "app=wagtail", "-e",
                       '{"cmd": ["shell", "-c", "import os; print(sorted(os.listdir(\'/app/media/original_images\')))"]}')
    assert listing.rc == 0 and name in listing.out, listing.out[-3000:]
    for host in WEB_HOSTS:
        assert lab_helpers.host_run(host, "test", "-f", f"/srv/media/wagtail/original_images/{name}").returncode == 0

    run = playbook("deploy.yml", "-e", "app=wagtail", "-e", f"tag={second}")
    assert run.rc == 0, run.out[-4000:]
    assert all(release_files(host, "wagtail") == (second, first) for host in WEB_HOSTS)
    still_served()

    run = playbook("rollback.yml", "-e", "app=wagtail")
    assert run.rc == 0, run.out[-4000:]
    assert all(release_files(host, "wagtail") == (first, second) for host in WEB_HOSTS)
    still_served()
    assert served("/").status_code == 200


def test_manage_check_deploy_as_documented(tags: tuple[str, str]) -> None:
    """The README's `-e cmd="check --deploy"` runs check --deploy (not check): Django's
    deployment checks print on stderr, which the playbook shows; it changes nothing."""
    run = shell(f"ansible-playbook playbooks/manage.yml {' '.join(INVENTORY)} -e app=wagtail "
                '-e cmd="check --deploy"')
    assert run.rc == 0, run.out[-3000:]
    assert "TASK [Run manage.py check --deploy]" in run.out, run.out[-3000:]
    # --deploy adds the security checks: HSTS is not set for the Wagtail app.
    assert "security.W004" in run.out and "stderr:" in run.out, run.out[-3000:]
    assert run.changed == {"web1": 0}, run.changed


def test_manage_refuses_arguments_ansible_took_apart(tags: tuple[str, str]) -> None:
    run = shell(f"ansible-playbook playbooks/manage.yml {' '.join(INVENTORY)} -e app=wagtail "
                '-e cmd="check --deploy --fail-level=WARNING"')
    assert run.rc != 0
    assert "took --fail-level=... out of the command" in run.out, run.out[-3000:]
    assert "TASK [Run manage.py" not in run.out
