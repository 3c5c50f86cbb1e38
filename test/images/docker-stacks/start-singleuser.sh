#!/bin/bash
# As docker-stacks keeps it: the old shell name, now a shim for start-singleuser.py.
echo "WARNING: Use start-singleuser.py instead"
exec /usr/local/bin/start-singleuser.py "$@"
