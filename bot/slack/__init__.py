"""The Slack door: Bolt listeners around the core, Block Kit rendering, reminders as direct messages.

Nothing here is imported by the shell or `parse`; `bot.slack.plug.plug()` registers the
door's courier and service, and their factories import slack_bolt only when Slack is on.
"""
