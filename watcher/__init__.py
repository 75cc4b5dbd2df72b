"""policy-watcher: watch privacy policies and say what changed."""

__version__ = "0.1.0"
PROJECT_URL = "https://github.com/policy-watcher/policy-watcher"
DEFAULT_USER_AGENT = f"policy-watcher/{__version__} (+{PROJECT_URL})"
