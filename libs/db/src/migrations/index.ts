import { migration001 } from './001-event-store';
import { migration002 } from './002-consumers';
import { migration003 } from './003-upload-chunks';
import { migration004 } from './004-partition-progress';

/** A schema change, applied once, in version order. Never edit one that has shipped. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  migration001,
  migration002,
  migration003,
  migration004,
];
