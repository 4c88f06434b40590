# The web service's health check, run inside the app's container with its own python3 as
#   python3 -c <this file> HOST PROTO PATH TIMEOUT [PORT]
# (PORT: gunicorn's, 8000 by the image contract; given only by the unit test).
# It asks gunicorn for PATH the way the nginx front does (Host: one of the app's server names,
# X-Forwarded-Proto as the front sends it), follows no redirect, and prints one plain line
# on failure: the deploy quotes Docker's last health check output. Standard library only.
import http.client
import sys

host, proto, path, timeout = sys.argv[1:5]
port = int(sys.argv[5]) if len(sys.argv) > 5 else 8000
seen = "GET %s (Host %s, X-Forwarded-Proto %s)" % (path, host, proto)
try:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=float(timeout))
    connection.request("GET", path, headers={"Host": host, "X-Forwarded-Proto": proto,
                                             "X-Forwarded-For": "127.0.0.1", "User-Agent": "dockyard-healthcheck"})
    response = connection.getresponse()
    response.read(65536)
except Exception as exc:
    print("health path unreachable: %s: %s: %s" % (seen, type(exc).__name__, exc))
    sys.exit(1)
status = response.status
if 200 <= status < 300:
    sys.exit(0)
if 300 <= status < 400:
    location = response.getheader("Location") or "nowhere"
    if location.startswith("https:") and proto == "https":
        hint = "the app does not trust the front's X-Forwarded-Proto (SECURE_PROXY_SSL_HEADER)"
    elif location.startswith("https:"):
        hint = "the app insists on HTTPS, but the front serves it over plain HTTP"
    else:
        hint = "a health path must answer 2xx itself, without a redirect"
    print("health path answered %d to %s: %s; %s" % (status, location, seen, hint))
elif status == 400:
    print("health path answered 400: %s; is %s in ALLOWED_HOSTS?" % (seen, host))
else:
    print("health path answered %d %s: %s" % (status, response.reason, seen))
sys.exit(1)
