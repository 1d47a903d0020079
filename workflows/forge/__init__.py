"""Where code goes: git worktrees, GitHub pull requests, the offline forge."""
