-- Result batches in the order they were received, for `received_after` (the live state catching
-- up from the store) as well as `prune`: the whole sort key, so a page is one index range scan
-- from the cursor with no sort.
DROP INDEX result_batch_received;
CREATE INDEX result_batch_received ON result_batch (received_at_ms, agent_id, epoch, seq);
