/** Parts a multipart upload (or copy) may have at most. */
export const MAX_PARTS = 10_000;

/** Keys one DeleteObjects request takes at most. */
export const DELETE_BATCH = 1000;
