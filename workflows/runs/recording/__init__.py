"""Every agent pane of a run recorded as asciicast v2; replayed in the terminal and the app."""
