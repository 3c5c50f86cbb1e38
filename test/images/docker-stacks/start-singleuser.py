#!/usr/bin/env python3
# hubify test fixture: docker-stacks' start-singleuser.py: exec jupyterhub-singleuser with
# NOTEBOOK_ARGS and its own arguments.
import os
import shlex
import sys

command = ["jupyterhub-singleuser"]
if "NOTEBOOK_ARGS" in os.environ:
    command += shlex.split(os.environ["NOTEBOOK_ARGS"])
command += sys.argv[1:]
os.execvp(command[0], command)
