"""Sentences the Slack front end says in several places."""

NOT_INSTALLED = (
    "Billing Bot isn't installed in this workspace yet. Ask a workspace admin to install it, "
    "then try again."
)
