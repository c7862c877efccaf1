"""The sandbox console: a Slack-like web page that drives the real app through the Slack
stand-in, served at ``/console`` only in sandbox mode (``billing-bot demo``, ``make run``
without Slack credentials).

`mode` wires the app, the stand-in and the console into one process; `demo` seeds the two
practices; `session` acts for a person; `screen` and the templates draw what they see;
`render` and `mrkdwn` turn Block Kit into HTML; `log` feeds the Requests drawer.
"""
