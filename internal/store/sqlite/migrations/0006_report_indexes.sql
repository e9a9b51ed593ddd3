-- The reports add up the event log by 15-minute bucket (at / 900000000: microseconds) and by
-- queue or agent. These indexes hold every column the sums read, in the order they are grouped,
-- so that a day of a busy service is added up from an index alone and without a sort
-- (BENCHMARKS.md, "Reports"); they take the place of the plain (service, at) index. The agent
-- sums read only the entries an agent's figures count: that index holds no others.
DROP INDEX call_events_service_at;
CREATE INDEX call_events_queue_sums ON call_events
	(service, (at / 900000000), queue, kind, at, wait, talk, hold, after_call, within_sl, short);
CREATE INDEX call_events_agent_sums ON call_events
	(service, (at / 900000000), agent, kind, at, wait, talk, hold, after_call, within_sl, short)
	WHERE kind IN ('answered', 'handled', 'rejected', 'ring_timeout');

-- The figures read a service's state history over a range in time order (agent and id break
-- ties), and only the agent, the new state, its reason and the time: from the index alone.
DROP INDEX agent_states_service_at;
CREATE INDEX agent_states_service_range ON agent_states (service, at, agent, id, to_state, reason);
