# The same settings for Notebook 6 (Debian's), which reads NotebookApp rather than ServerApp.
c = get_config()  # noqa: F821
c.NotebookApp.ip = "0.0.0.0"
c.NotebookApp.open_browser = False
