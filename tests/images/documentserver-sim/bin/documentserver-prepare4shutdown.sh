#!/usr/bin/env bash
# docops simulator (TEST DOUBLE): asks docservice to drain (new co-authoring sockets and
# CommandService requests are refused) and returns once the open sockets are gone.
echo "Preparing for shutdown, it can take a lot of time, please wait..."
if ! curl -fsS -o /dev/null --max-time 310 -X PUT http://127.0.0.1:8000/internal/cluster/inactive; then
  echo "docservice is not answering: nothing to drain"
  exit 0
fi
echo "Document server is prepared for shutdown"
