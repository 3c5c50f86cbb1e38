#!/usr/bin/env python3
# hubify test fixture: docker-stacks' start-notebook.py (shortened). Under a hub (JUPYTERHUB_API_TOKEN
# set) it hands over to start-singleuser.py; otherwise it runs `jupyter ${DOCKER_STACKS_JUPYTER_CMD}`
# with NOTEBOOK_ARGS and its own arguments.
import os
import shlex
import sys

if "JUPYTERHUB_API_TOKEN" in os.environ:
    print("WARNING: using start-singleuser.py instead of start-notebook.py", flush=True)
    os.execvp("/usr/local/bin/start-singleuser.py", ["start-singleuser.py", *sys.argv[1:]])

command = []
if os.environ.get("RESTARTABLE") == "yes":
    command.append("run-one-constantly")
command += ["jupyter", os.environ.get("DOCKER_STACKS_JUPYTER_CMD", "lab")]
if "NOTEBOOK_ARGS" in os.environ:
    command += shlex.split(os.environ["NOTEBOOK_ARGS"])
command += sys.argv[1:]
print("Executing: " + " ".join(command), flush=True)
os.execvp(command[0], command)
