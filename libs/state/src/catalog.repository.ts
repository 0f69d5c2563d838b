import type { Queryable } from '@tidemark/db';

/** Reads the set of repositories. */
export class CatalogRepository {
  constructor(private readonly db: Queryable) {}

  /** Returns true when `name` has ever received content. */
  async exists(name: string): Promise<boolean> {
    const { rows } = await this.db.query('SELECT 1 FROM repositories WHERE name = $1', [name]);
    return rows.length > 0;
  }

  /** Lists repository names in lexical (byte) order after `last`, at most `limit`. */
  async list(limit: number, last?: string): Promise<string[]> {
    const { rows } = await this.db.query<{ name: string }>(
      `SELECT name FROM repositories WHERE ($1::text IS NULL OR name > $1::text COLLATE "C")
       ORDER BY name LIMIT $2`,
      [last ?? null, limit],
    );
    return rows.map((row) => row.name);
  }
}
