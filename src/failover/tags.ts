/**
 * Tags failover puts on the replica before promoting it: after the promotion RDS forgets the
 * source, so a re-run (or a person) reads from these which source it was promoted from, and when.
 */
export const PROMOTED_FROM_TAG = 'dr-actions:promoted-from';
export const PROMOTED_AT_TAG = 'dr-actions:promoted-at';
