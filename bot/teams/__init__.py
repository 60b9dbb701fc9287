"""The Microsoft Teams door: the bot endpoint, Adaptive Card reminders, Graph attendance and e-mail.

Kept light on purpose: importing `bot.teams` loads no Teams or Graph SDK, so the shell and
`parse` start fast. The SDKs are imported by `bot.teams.app`, `bot.teams.render` and
`bot.teams.graph`, only when the Teams door or Graph is switched on in app.yaml.
"""
