"""Use cases: one function per thing a person (or Stripe, or the scheduler) does.

Each takes a command, a unit of work and the clock/id ports, checks every rule, and
commits once; on any error nothing is stored.
"""
