#!/usr/bin/env bash
# Print how to reach an app of the lab through its nginx front (lb1).
set -euo pipefail
app=${1:-demo}
ip=$(docker inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "${LAB_PREFIX:-dockyard-lab}-lb1")
cat <<MSG

The ${app} app is served by the lab's nginx front (lb1) at ${ip}, for the name ${app}.lab:
  curl -H 'Host: ${app}.lab' http://${ip}/            # the page
  curl -H 'Host: ${app}.lab' http://${ip}/version     # which release and host answered
In a browser on this machine: add "${ip} ${app}.lab" to /etc/hosts, then open http://${app}.lab/
MSG
