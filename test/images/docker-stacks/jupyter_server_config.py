# As docker-stacks' /etc/jupyter/jupyter_server_config.py (the parts that matter for hubs).
c = get_config()  # noqa: F821
c.ServerApp.ip = "0.0.0.0"
c.ServerApp.open_browser = False
