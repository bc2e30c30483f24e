import type { AppContext } from '../../platform/context.js';
import { principalOf, requireRole } from '../../platform/http/auth.js';
import { bearer, idParams, noContent, problemResponses } from '../../platform/http/schemas.js';
import type { Api } from '../../platform/http/server.js';
import { sendTestEvent } from './deliver.js';
import { changeEndpoint, deliveriesOf, endpointsFor, registerEndpoint, removeEndpoint, rotateSecret, visibleEndpoint } from './endpoints.js';
import {
  createEndpointBody,
  deliveryListQuery,
  deliveryPageSchema,
  endpointListQuery,
  endpointPageSchema,
  endpointSchema,
  endpointWithSecretSchema,
  testEventSchema,
  updateEndpointBody,
} from './schemas.js';
import { deliveryView, endpointView } from './views.js';

export function webhookRoutes(api: Api, context: AppContext): void {
  const tags = ['webhooks'];
  const anyone = requireRole();
  // Auditors read; customers and admins change.
  const managers = requireRole('customer', 'admin', 'super_admin');

  api.post(
    '/webhooks',
    {
      schema: {
        tags,
        summary: 'Register a webhook endpoint (the secret is shown only in this response)',
        security: bearer,
        body: createEndpointBody,
        response: { 201: endpointWithSecretSchema, ...problemResponses(403, 409) },
      },
      preHandler: managers,
    },
    async (request, reply) => {
      const { endpoint, secret } = await registerEndpoint(context, principalOf(request), {
        url: request.body.url,
        eventTypes: request.body.event_types,
        description: request.body.description,
      });
      return reply.code(201).send({ ...endpointView(endpoint), secret });
    },
  );

  api.get(
    '/webhooks',
    {
      schema: { tags, summary: 'List webhook endpoints (own; staff: all)', security: bearer, querystring: endpointListQuery, response: { 200: endpointPageSchema, ...problemResponses() } },
      preHandler: anyone,
    },
    async (request) => {
      const page = await endpointsFor(context, principalOf(request), request.query);
      return { items: page.items.map(endpointView), next_cursor: page.nextCursor };
    },
  );

  api.get(
    '/webhooks/:id',
    {
      schema: { tags, summary: 'A webhook endpoint', security: bearer, params: idParams, response: { 200: endpointSchema, ...problemResponses(404) } },
      preHandler: anyone,
    },
    async (request) => endpointView(await visibleEndpoint(context, principalOf(request), request.params.id)),
  );

  api.patch(
    '/webhooks/:id',
    {
      schema: {
        tags,
        summary: 'Change event types or description, or disable / re-enable an endpoint',
        security: bearer,
        params: idParams,
        body: updateEndpointBody,
        response: { 200: endpointSchema, ...problemResponses(403, 404) },
      },
      preHandler: managers,
    },
    async (request) => {
      const endpoint = await changeEndpoint(context, principalOf(request), request.params.id, {
        eventTypes: request.body.event_types,
        description: request.body.description,
        enabled: request.body.enabled,
      });
      return endpointView(endpoint);
    },
  );

  api.delete(
    '/webhooks/:id',
    {
      schema: { tags, summary: 'Delete a webhook endpoint and its delivery log', security: bearer, params: idParams, response: { 204: noContent, ...problemResponses(403, 404) } },
      preHandler: managers,
    },
    async (request, reply) => {
      await removeEndpoint(context, principalOf(request), request.params.id);
      return reply.code(204).send(null);
    },
  );

  api.post(
    '/webhooks/:id/rotate-secret',
    {
      schema: {
        tags,
        summary: 'Replace the signing secret (the new one is shown only in this response; the old one signs too for 24 hours)',
        security: bearer,
        params: idParams,
        response: { 200: endpointWithSecretSchema, ...problemResponses(403, 404) },
      },
      preHandler: managers,
    },
    async (request) => {
      const { endpoint, secret } = await rotateSecret(context, principalOf(request), request.params.id);
      return { ...endpointView(endpoint), secret };
    },
  );

  api.get(
    '/webhooks/:id/deliveries',
    {
      schema: {
        tags,
        summary: 'The delivery log of an endpoint: one row per attempt, newest first',
        security: bearer,
        params: idParams,
        querystring: deliveryListQuery,
        response: { 200: deliveryPageSchema, ...problemResponses(404) },
      },
      preHandler: anyone,
    },
    async (request) => {
      const page = await deliveriesOf(context, principalOf(request), request.params.id, request.query);
      return { items: page.items.map(deliveryView), next_cursor: page.nextCursor };
    },
  );

  api.post(
    '/webhooks/:id/test',
    {
      schema: {
        tags,
        summary: 'Send a webhook.test event to the endpoint',
        security: bearer,
        params: idParams,
        response: { 202: testEventSchema, ...problemResponses(403, 404, 409) },
      },
      preHandler: managers,
    },
    async (request, reply) => {
      const { eventId } = await sendTestEvent(context, principalOf(request), request.params.id);
      return reply.code(202).send({ event_id: eventId });
    },
  );
}
