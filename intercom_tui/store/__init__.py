"""The local cache: SQLite file per workspace (conversations, threads, reference data,
sync state, drafts) and the durable outbox of actions waiting to be sent."""
