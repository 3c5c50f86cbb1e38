#!/bin/bash
# hubify test fixture: a shortened port of docker-stacks' start.sh (same name, same variables).
# Runs the hooks in /usr/local/bin/start-notebook.d and before-notebook.d, unsets
# JUPYTER_ENV_VARS_TO_UNSET, and runs the command. Started as root, it drops to NB_UID:NB_GID
# (upstream can also rename the user and change ids; this fixture does not).
set -e

run-hooks() {
  local dir=$1 f
  if [ ! -d "$dir" ]; then return 0; fi
  echo "Running hooks in: ${dir} as uid: $(id -u) gid: $(id -g)"
  for f in "$dir"/*; do
    case "$f" in
      *.sh)
        echo "Sourcing shell script: $f"
        source "$f"
        ;;
      *)
        if [ -f "$f" ] && [ -x "$f" ]; then
          echo "Running executable: $f"
          "$f"
        fi
        ;;
    esac
  done
  echo "Done running hooks in: ${dir}"
}

echo "Entered start.sh with args: $*"
run-hooks /usr/local/bin/start-notebook.d

if [ -n "${JUPYTER_ENV_VARS_TO_UNSET:-}" ]; then
  for name in ${JUPYTER_ENV_VARS_TO_UNSET//,/ }; do unset "$name"; done
  unset JUPYTER_ENV_VARS_TO_UNSET
fi

run-hooks /usr/local/bin/before-notebook.d

if [ "$(id -u)" = 0 ]; then
  echo "Running as ${NB_USER} (${NB_UID}:${NB_GID}) with: $*"
  exec setpriv --reuid="${NB_UID}" --regid="${NB_GID}" --init-groups \
    env HOME="/home/${NB_USER}" USER="${NB_USER}" PATH="${PATH}" "$@"
fi
echo "Executing the command: $*"
exec "$@"
