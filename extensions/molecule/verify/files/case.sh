#!/usr/bin/env bash
# case.sh ACTION [ARGS]: break or repair one layer of the server (run inside the server container, as root).
# The Document Server container is onlyoffice-documentserver (published on 127.0.0.1:8080); faults that need
# other simulator knobs swap it for a throwaway container of the same image, name and port, and `restore` puts
# the role's container back.
set -euo pipefail
DS=onlyoffice-documentserver
SITE=$(ls /etc/nginx/sites-available/onlyoffice*)

ready() {  # the container answers its health check again (through its own nginx and docservice)
    for _ in $(seq 120); do
        [ "$(curl -s -m 2 http://127.0.0.1:8080/healthcheck || true)" = true ] && return 0
        sleep 0.5
    done
    echo "the Document Server did not answer true within 60 s" >&2
    return 1
}

site() {  # replace $1 with $2 in the gateway's site and reload nginx
    sed -i "s|$1|$2|g" "$SITE"
    nginx -t -q
    systemctl reload nginx
    sleep 1  # the reload returns before the new workers take over
}

action=$1; shift
case $action in
    swap)  # swap IMAGE DOCKER-RUN-ARGS...: the role's container aside (stopped), a faulty one in its place
        image=$1; shift
        docker stop -t 2 "$DS" >/dev/null
        docker rename "$DS" docops-good
        docker run -d --name "$DS" -p 127.0.0.1:8080:80 -e GENERATE_FONTS=false "$@" "$image" >/dev/null ;;
    restore)
        docker rm -f "$DS" >/dev/null 2>&1 || true
        docker rename docops-good "$DS"
        docker start "$DS" >/dev/null
        ready ;;
    wait-exit)  # until the container has exited
        for _ in $(seq 60); do
            [ "$(docker inspect -f '{{.State.Status}}' "$DS")" = exited ] && exit 0
            sleep 0.5
        done
        exit 1 ;;
    wait-restarts)  # wait-restarts N: until the container restarted N times
        for _ in $(seq 120); do
            [ "$(docker inspect -f '{{.RestartCount}}' "$DS")" -ge "$1" ] && exit 0
            sleep 0.5
        done
        exit 1 ;;
    remove) docker stop -t 2 "$DS" >/dev/null && docker rename "$DS" docops-good ;;
    unremove) docker rename docops-good "$DS" && docker start "$DS" >/dev/null && ready ;;
    stop) docker stop -t 2 "$DS" >/dev/null ;;
    restart) docker restart -t 2 "$DS" >/dev/null && ready ;;
    state)  # what the verify role compares with (as the documentserver role records it)
        docker inspect -f '{"restart_count": {{.RestartCount}}, "started_at": "{{.State.StartedAt}}"}' "$DS" ;;
    start) docker start "$DS" >/dev/null && ready ;;
    dependency-down) docker exec "$DS" sh -c "echo $1 > /run/docops-sim/dependency-down" ; sleep 2 ;;
    dependency-up) docker exec "$DS" rm -f /run/docops-sim/dependency-down && ready ;;
    site) site "$1" "$2" ;;
    nginx-stop) systemctl stop nginx ;;
    nginx-start) systemctl start nginx ;;
    nginx-break)  # an operator's typo, then a restart: nginx does not come back
        echo 'server { listen 8443; proxy_pass_header; }' > /etc/nginx/conf.d/typo.conf
        systemctl restart nginx || true ;;
    nginx-fix) rm -f /etc/nginx/conf.d/typo.conf && systemctl restart nginx ;;
    firewall-block)  # 443 dropped from outside, loopback still allowed (as a forgotten port would be)
        nft insert rule inet docops_firewall input iif != lo tcp dport 443 drop ;;
    firewall-unblock)
        handle=$(nft -a list chain inet docops_firewall input | sed -n 's/.*iif != "lo" tcp dport 443 drop.*# handle \([0-9]*\)/\1/p')
        nft delete rule inet docops_firewall input handle "$handle" ;;
    *) echo "unknown action $action" >&2; exit 2 ;;
esac
