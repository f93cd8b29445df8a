// The backend contract, the one the Rust API serves:
//   GET /api/posts      -> Post[]
//   GET /api/posts/:id  -> Post, or 404
// Responses are validated at the edge so a misbehaving backend cannot put
// arbitrary shapes into the application state.

export interface Post {
  id: number;
  title: string;
  body: string;
}

export class ContractError extends Error {
  override name = 'ContractError';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A Post from untrusted JSON; extra fields are dropped. */
export function parsePost(value: unknown): Post {
  if (!isRecord(value)) throw new ContractError('post must be an object');
  const { id, title, body } = value;
  if (typeof id !== 'number' || !Number.isSafeInteger(id)) throw new ContractError('post.id must be an integer');
  if (typeof title !== 'string') throw new ContractError('post.title must be a string');
  if (typeof body !== 'string') throw new ContractError('post.body must be a string');
  return { id, title, body };
}

export function parsePosts(value: unknown): Post[] {
  if (!Array.isArray(value)) throw new ContractError('posts must be an array');
  return value.map(parsePost);
}

/** Route ids are positive integers; anything else is "not found", never a backend call. */
export function parsePostId(raw: string): number | null {
  if (!/^[1-9][0-9]{0,15}$/.test(raw)) return null;
  const id = Number(raw);
  return Number.isSafeInteger(id) ? id : null;
}
{%- if cookiecutter.auth == "password" %}

export * from './accounts.js';
{%- endif %}
