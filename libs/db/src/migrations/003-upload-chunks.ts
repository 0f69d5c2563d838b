/**
 * Where each chunk of an upload is stored. Object stores cannot append, so a chunk may be
 * an object of its own; the session keeps the list, and storage is never listed for it.
 */
export const migration003 = {
  version: 3,
  name: 'upload chunks',
  sql: /* sql */ `
    ALTER TABLE uploads ADD COLUMN chunks jsonb NOT NULL DEFAULT '[]';
  `,
};
