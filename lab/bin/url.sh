#!/usr/bin/env bash
# Print how to reach an app of the lab through its nginx front (lb1).
set -euo pipefail
app=${1:-demo}
prefix=${LAB_PREFIX:-dockyard-lab}
state=$(cd "$(dirname "$0")/.." && pwd)/.state
address() { docker inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "${prefix}-$1"; }
ip=$(address lb1)

# An app with a certificate (acme: true) answers plain HTTP with a redirect.
status=$(curl -s -o /dev/null -w '%{http_code}' -H "Host: ${app}.lab" "http://${ip}/version" || true)
if [[ $status == 301 ]]; then
    # pebble (the lab's ACME CA) makes a new root at each start: fetch the current one.
    root=${state}/acme-root.pem
    curl -sS --cacert "${state}/pki/ca.crt" --resolve "registry:15000:$(address registry)" \
        https://registry:15000/roots/0 -o "$root"
    cat <<MSG

The ${app} app is served over HTTPS by the lab's nginx front (lb1) at ${ip}, for the name
${app}.lab, with a certificate from the lab's ACME CA (root: ${root}):
  curl --cacert ${root} --resolve ${app}.lab:443:${ip} https://${app}.lab/          # the page
  curl --cacert ${root} --resolve ${app}.lab:443:${ip} https://${app}.lab/version   # which release and host answered
In a browser on this machine: add "${ip} ${app}.lab" to /etc/hosts, trust ${root}, then open https://${app}.lab/
MSG
else
    cat <<MSG

The ${app} app is served by the lab's nginx front (lb1) at ${ip}, for the name ${app}.lab:
  curl -H 'Host: ${app}.lab' http://${ip}/            # the page
  curl -H 'Host: ${app}.lab' http://${ip}/version     # which release and host answered
In a browser on this machine: add "${ip} ${app}.lab" to /etc/hosts, then open http://${app}.lab/
MSG
fi
