import { parsePostId } from '@repo/shared';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppAction } from '../../app/actions.js';
import { BackendError, type BackendClient } from '../backend.js';
import { pageState, sendPage, type PageShell } from '../render/page.js';

interface Options {
  backend: BackendClient;
  shell: PageShell;
}

/** Page routes: load the data, reduce it into the page's state, render. */
export default async function pageRoutes(app: FastifyInstance, { backend, shell }: Options) {
  async function load(
    request: FastifyRequest,
    reply: FastifyReply,
    fetchData: () => Promise<AppAction>,
  ): Promise<AppAction> {
    try {
      return await fetchData();
    } catch (error) {
      if (error instanceof BackendError && error.isRefusal) {
        // The API said "later" on purpose (its limit, or a replay the proxy did not make): the page
        // degrades as when the API is down, and says when to come back.
        request.log.info(
          { reason: error.reason, status: error.status },
          'backend refused; rendering the degraded page',
        );
        reply.header('retry-after', String(error.retryAfterSeconds));
      } else {
        request.log.warn({ err: error }, 'backend failed; rendering the degraded page');
      }
      return { type: 'loadFailed' };
    }
  }

  app.get('/', async (request, reply) => {
    const loaded = await load(request, reply, async () => ({
      type: 'postsLoaded',
      posts: await backend.listPosts(request.clientIp),
    }));
    return sendPage(reply, pageState(request, { name: 'list' }, [loaded]), shell);
  });

  app.get<{ Params: { id: string } }>('/posts/:id', async (request, reply) => {
    const id = parsePostId(request.params.id);
    if (id === null) return sendPage(reply.code(404), pageState(request, { name: 'notFound' }), shell);
    const loaded = await load(request, reply, async () => ({
      type: 'postLoaded',
      post: await backend.getPost(id, request.clientIp),
    }));
    const state = pageState(request, { name: 'post', id }, [loaded]);
    const status = state.route.name === 'notFound' ? 404 : state.status === 'failed' ? 503 : 200;
    return sendPage(reply.code(status), state, shell);
  });
}
