"""Running by itself: the watcher, check-ins and their timer, wip."""
