-- 005: the first send_batch (several sends in one transaction).  It is
-- replaced whole by sql/006-send-batch-one-answer.sql, which a server
-- applies right after this file, so its body is no longer kept here: a
-- server that applied the first form has it replaced by 006 all the same.
-- See git history for the first form and docs/BENCHMARKS.md for why it
-- was replaced (a cursor materialized on disk, two result sets per item).
DO 0;
