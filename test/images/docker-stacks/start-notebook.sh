#!/bin/bash
# As docker-stacks keeps it: the old shell name, now a shim for start-notebook.py.
echo "WARNING: Use start-notebook.py instead"
exec /usr/local/bin/start-notebook.py "$@"
