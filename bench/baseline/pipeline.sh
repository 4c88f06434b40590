#!/usr/bin/env bash
# The baseline of `make bench`: the classic pipeline our users run today, a shell script over
# ssh (in the lab, `docker exec` is the ssh). It pulls on each host, backs TAG up to REVERT,
# writes TAG, migrates once, then stops and starts the service host by host: no health gate,
# no taking a host out of the front, no rollback.
#
#   bench/baseline/pipeline.sh deploy APP TAG
#   bench/baseline/pipeline.sh rollback APP      (swap TAG and REVERT, restart: no pull)
#
# Environment:
#   WEB_HOSTS, WORKER_HOSTS   the app's hosts, space-separated (required)
#   IMAGE                     the app's repository as the hosts know it (required)
#   TIMING_LOG                appends "host phase start end rc" per step (default: none)
#   LAB_PREFIX                the lab's container prefix (default dockyard-lab)
#
# It runs on the same app layout as dockyard (/var/www/<app>/TAG, the compose file of the
# django_app role, the serving slot's env file) so both are measured on the same hosts.
set -euo pipefail

usage() { echo "usage: $0 deploy APP TAG | rollback APP" >&2; exit 2; }
[[ $# -ge 2 ]] || usage
ACTION=$1 APP=$2 TAG=${3:-}
case $ACTION in deploy) [[ -n $TAG ]] || usage ;; rollback) ;; *) usage ;; esac
: "${WEB_HOSTS:?}" "${WORKER_HOSTS:?}" "${IMAGE:?}"
PREFIX=${LAB_PREFIX:-dockyard-lab}
LOG=${TIMING_LOG:-/dev/null}
DIR=/var/www/$APP
# Every host of the app, once, web hosts first.
read -r -a WEB <<< "$WEB_HOSTS"
read -r -a WORKERS <<< "$WORKER_HOSTS"
read -r -a ALL <<< "$(printf '%s\n' "${WEB[@]}" "${WORKERS[@]}" | awk '!seen[$0]++' | xargs)"

on() { local host=$1; shift; docker exec "$PREFIX-$host" "$@"; }

step() {  # step HOST PHASE command...: run it and log when it ran
    local host=$1 phase=$2 start rc=0
    shift 2
    start=$(date +%s.%N)
    "$@" > /dev/null || rc=$?
    printf '%s\t%s\t%s\t%s\t%s\n' "$host" "$phase" "$start" "$(date +%s.%N)" "$rc" >> "$LOG"
    return "$rc"
}

if [[ $ACTION == deploy ]]; then
    for host in "${ALL[@]}"; do
        step "$host" pull on "$host" docker pull --quiet "$IMAGE:$TAG"
    done
    for host in "${ALL[@]}"; do
        step "$host" record on "$host" sh -c "cp $DIR/TAG $DIR/REVERT && echo 'export TAG=$TAG' > $DIR/TAG"
    done
    step "${WEB[0]}" migrate on "${WEB[0]}" docker-runner "$APP" migrate
    step "${WEB[0]}" compress on "${WEB[0]}" docker-runner "$APP" compress
else
    for host in "${ALL[@]}"; do
        step "$host" record on "$host" sh -c "cd $DIR && cp TAG TAG.swap && cp REVERT TAG && mv TAG.swap REVERT"
    done
fi

# Stop and start the web service host by host, on the new TAG.
for host in "${WEB[@]}"; do
    step "$host" "restart web" on "$host" sh -c "
        . $DIR/TAG
        slot=\$(cat $DIR/SLOT)
        sed -i \"s/^TAG=.*/TAG=\$TAG/\" $DIR/slots/\$slot.env
        docker compose --project-name $APP-\$slot --project-directory $DIR --file $DIR/compose.yml \
            --env-file $DIR/slots/\$slot.env up --detach --no-deps web"
done

# Then the workers and beat.
for host in "${WORKERS[@]}"; do
    step "$host" workers on "$host" docker compose --project-name "$APP" --project-directory "$DIR" \
        --file "$DIR/compose.yml" --env-file "$DIR/TAG" up --detach
done
