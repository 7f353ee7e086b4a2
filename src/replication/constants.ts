/** Constants both sides of replication share. */

/** Redis's replid2 when there is no previous history. */
export const NULL_REPLID = "0000000000000000000000000000000000000000";
/** Length of the diskless transfer's end mark ($EOF:<mark>). */
export const EOF_MARK_LENGTH = 40;

/** What a replica asked to leave out of its snapshot (Redis's SLAVE_REQ_RDB_EXCLUDE_*). */
export const SYNC_REQ_EXCLUDE_DATA = 1;
export const SYNC_REQ_EXCLUDE_FUNCTIONS = 2;
