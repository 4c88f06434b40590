#!/bin/sh
# PID 1 of the services container: PostgreSQL and Redis as daemons, so Redis can be stopped
# (`redis-cli shutdown nosave`) and started again (`start-services redis`) while this waits.
set -eu
version=$(ls /etc/postgresql)

start_redis() {
    redis-server /etc/redis/redis.conf --daemonize yes --bind 0.0.0.0 --protected-mode no \
        --supervised no --pidfile /tmp/redis.pid --logfile /tmp/redis.log --dir /tmp
}

if [ "${1:-}" = redis ]; then
    start_redis
    exit 0
fi

stop() {
    redis-cli shutdown nosave >/dev/null 2>&1 || true
    pg_ctlcluster "$version" main stop -m fast || true
    exit 0
}
trap stop TERM INT
pg_ctlcluster "$version" main start
start_redis
echo "services ready"
while :; do sleep 3600 & wait $! || true; done
