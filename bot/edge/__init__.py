"""How a Slack request reaches a feature: who is asking, the request guard, form decoding,
listener wrappers, error answers, file downloads and work done after the ack."""
