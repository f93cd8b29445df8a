// The generated app's fixture posts (written next to this file by the bench), through a server load.
import posts from '../posts.json';

export function load() {
  return { posts: posts.map((post) => ({ ...post })) };
}
