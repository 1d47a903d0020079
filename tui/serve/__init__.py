"""``agenttui serve``: the same app in a browser (textual-serve), behind a token."""
