"""The floor: errors, paths, config, the store and migrations, untrusted text."""
