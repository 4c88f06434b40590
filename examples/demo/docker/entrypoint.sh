#!/bin/sh
# The demo image's ENTRYPOINT: one verb per kind of container, each `exec`ed so the real
# process is PID 1 and receives the stop signal (SIGTERM) from Docker directly.
set -eu
cd /app

# Fail fast, in one line, when a required variable is missing (see demo/preflight.py).
preflight() {
    python -m demo.preflight
}

verb="${1:-run}"
[ "$#" -gt 0 ] && shift

case "$verb" in
    run)
        preflight
        # SIGTERM: the master stops accepting, lets workers finish their requests for up to
        # --graceful-timeout seconds, then exits 0. Docker's stop timeout must be longer.
        exec gunicorn demo.wsgi:application \
            --bind 0.0.0.0:8000 \
            --workers "${GUNICORN_WORKERS:-2}" \
            --graceful-timeout "${GUNICORN_GRACEFUL_TIMEOUT:-30}" \
            --timeout "${GUNICORN_TIMEOUT:-30}" \
            --worker-tmp-dir /dev/shm \
            --access-logfile - \
            --error-logfile - \
            "$@"
        ;;
    worker)
        preflight
        exec celery -A demo worker --loglevel "${CELERY_LOG_LEVEL:-INFO}" \
            --concurrency "${CELERY_CONCURRENCY:-2}" "$@"
        ;;
    beat)
        preflight
        # Celery's PersistentScheduler keeps its state in a file: /tmp is writable, /app is not.
        exec celery -A demo beat --loglevel "${CELERY_LOG_LEVEL:-INFO}" \
            --schedule "${CELERY_BEAT_SCHEDULE_FILE:-/tmp/celerybeat-schedule}" "$@"
        ;;
    migrate)
        exec python manage.py migrate --noinput "$@"
        ;;
    collectstatic)
        exec python manage.py collectstatic --noinput "$@"
        ;;
    compress)
        exec python manage.py compress "$@"
        ;;
    shell)
        exec python manage.py shell "$@"
        ;;
    manage)
        exec python manage.py "$@"
        ;;
    *)
        exec "$verb" "$@"
        ;;
esac
