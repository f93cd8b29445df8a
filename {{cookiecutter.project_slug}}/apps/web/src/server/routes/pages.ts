import { parsePostId } from '@repo/shared';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppAction } from '../../app/actions.js';
import type { BackendClient } from '../backend.js';
import { pageStore, sendPage, type PageShell } from '../render/page.js';

interface Options {
  backend: BackendClient;
  shell: PageShell;
}

/** Page routes: load the data, feed it to a fresh store through the reducer, render. */
export default async function pageRoutes(app: FastifyInstance, { backend, shell }: Options) {
  async function load(request: FastifyRequest, fetchData: () => Promise<AppAction>): Promise<AppAction> {
    try {
      return await fetchData();
    } catch (error) {
      request.log.warn({ err: error }, 'backend failed; rendering the degraded page');
      return { type: 'loadFailed' };
    }
  }

  app.get('/', async (request, reply) => {
    const store = pageStore(request, { name: 'list' }, backend);
    store.dispatch(await load(request, async () => ({ type: 'postsLoaded', posts: await backend.listPosts() })));
    return sendPage(reply, store, shell);
  });

  app.get<{ Params: { id: string } }>('/posts/:id', async (request, reply) => {
    const id = parsePostId(request.params.id);
    const store = pageStore(request, id === null ? { name: 'notFound' } : { name: 'post', id }, backend);
    if (id !== null) {
      store.dispatch(await load(request, async () => ({ type: 'postLoaded', post: await backend.getPost(id) })));
    }
    const status = store.state.route.name === 'notFound' ? 404 : store.state.status === 'failed' ? 503 : 200;
    return sendPage(reply.code(status), store, shell);
  });
}
