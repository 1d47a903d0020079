"""The agenttui application and its command line."""
