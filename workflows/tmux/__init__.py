"""tmux itself: control mode, the driver, launching and mirroring panes, locks.

tmux underneath everything: start agents, send them text that lands once, read them.

- ``protocol``  pure helpers: quoting for tmux's parser, %output decoding, reply blocks
- ``control``   ``ControlConnection``: ``tmux -C`` over pipes (commands, output, notifications)
- ``driver``    ``TmuxDriver``/``PaneInfo``: one session, one window per agent pane
- ``send``      ``send_text``: the verified send protocol (FIELD-NOTES §3)
- ``sendlock``  one sender at a time per pane, across processes (``locks``: the flock)
- ``server``    which server a driver talks to; one layout change at a time across processes
- ``mirror*``   pane → screen models for the tiles (engineer U)
"""
