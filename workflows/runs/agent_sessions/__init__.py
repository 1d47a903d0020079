"""A run's agent sessions (Linear's agent platform, or the store for local issues): its
events told as activities, its plan and PR link, and prompts from people acted on.

``activities``: what a run's events say as activities (pure); ``sync``: posting them once,
within a budget; ``inbox``: follow-ups, answers, the stop signal; ``worker``: the runner's
thread; ``followups``: the watcher's look at sessions of finished runs.
"""
