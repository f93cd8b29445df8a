// Plain Fastify: `/` answers the generated app's page, captured once and bundled in as a string.
// No plugins, no logger, no per-request work: the ceiling an SSR server on Fastify is measured against.
import Fastify from 'fastify';
import page from './page.html';

const app = Fastify();
app.get('/', (request, reply) => reply.type('text/html; charset=utf-8').send(page));
app.listen({ port: Number(process.env.PORT), host: process.env.HOST }).catch((error) => {
  console.error(error);
  process.exit(1);
});
