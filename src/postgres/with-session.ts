/** Something that holds a connection until closed: a PsqlSession. */
export interface Closable {
  close(): Promise<void>;
}

/** Runs `use` on the session `open` gives, and closes the session however `use` ends. */
export async function withSession<S extends Closable, T>(
  open: Promise<S>,
  use: (session: S) => Promise<T>,
): Promise<T> {
  const session = await open;
  try {
    return await use(session);
  } finally {
    await session.close();
  }
}
