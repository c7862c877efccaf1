"""The Slack front end and the HTTP surface: one module per feature, each wiring its listeners
in `register(app, deps)`.

Listeners are module-level functions, so tests import and call them; those that need the
bot's dependencies take `deps` first, and `register` binds it with `functools.partial`. They
reach data through the domain's use cases alone: `deps.uow()` for a change, `deps.read()` for
a read."""
