"""The SQLAlchemy repositories: the domain's repository ports over one session, a module per
aggregate.

Every method takes the practice id and filters on it; there is no query without it.
Rows are turned into frozen domain objects on the way out and back on the way in.
"""
