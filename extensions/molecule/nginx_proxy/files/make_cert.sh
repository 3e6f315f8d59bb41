#!/usr/bin/env bash
# make_cert.sh DIR NAME: a test CA (DIR/ca.crt) and a certificate for NAME signed by it
# (DIR/NAME-without-domain.crt/.key, e.g. vpath.crt) - "the operator's certificate".
set -euo pipefail
dir=$1 name=$2 short=${2%%.*}
cd "$dir"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
    -subj "/CN=docops test CA" -keyout ca.key -out ca.crt 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=$name" \
    -keyout "$short.key" -out "$short.csr" 2>/dev/null
printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth\n' "$name" > "$short.ext"
openssl x509 -req -in "$short.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 \
    -extfile "$short.ext" -out "$short.crt" 2>/dev/null
cat ca.crt >> "$short.crt"   # the chain after the certificate, as operators are asked to give it
