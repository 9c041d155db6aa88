import { describe, expect, it } from 'vitest';
import { anchorId, readDefinition, typeOf } from './openapi';

const orders = `
openapi: 3.0.3
info:
  title: Orders API
  version: 1.2.0
  description: Orders of the shop.
servers:
  - url: https://orders.example.com/v1
paths:
  /orders/{id}:
    parameters:
      - $ref: '#/components/parameters/Id'
    get:
      summary: Get an order
      operationId: getOrder
      tags: [orders]
      parameters:
        - name: expand
          in: query
          schema: { type: array, items: { type: string } }
      responses:
        '200':
          description: The order
          content:
            application/json:
              schema: { $ref: '#/components/schemas/Order' }
        '404': { description: Not found }
    delete:
      deprecated: true
      responses:
        '204': { description: Gone }
  /orders:
    post:
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [sku]
              properties:
                sku: { type: string, description: Stock unit }
                qty: { type: integer, format: int32 }
      responses:
        '201': { description: Created }
components:
  parameters:
    Id: { name: id, in: path, required: true, schema: { type: string, format: uuid } }
  schemas:
    Order:
      type: object
      required: [id]
      properties:
        id: { type: string }
        status: { type: string, enum: [open, shipped] }
        lines: { type: array, items: { $ref: '#/components/schemas/Line' } }
    Line:
      allOf:
        - { $ref: '#/components/schemas/Base' }
        - type: object
          properties:
            sku: { type: string }
    Base:
      type: object
      properties:
        created: { type: string, format: date-time }
`;

describe('readDefinition', () => {
  it('reads OpenAPI 3', () => {
    const d = readDefinition(orders, 'openapi');
    expect(d.kind).toBe('openapi');
    if (d.kind !== 'openapi') return;
    const doc = d.doc;
    expect([doc.title, doc.version, doc.format, doc.servers]).toEqual(['Orders API', '1.2.0', 'OpenAPI 3.0.3', ['https://orders.example.com/v1']]);
    expect(doc.paths.map((p) => [p.path, p.operations.map((o) => o.method)])).toEqual([
      ['/orders/{id}', ['GET', 'DELETE']],
      ['/orders', ['POST']],
    ]);
    const get = doc.paths[0]!.operations[0]!;
    expect(get.summary).toBe('Get an order');
    expect(get.parameters).toEqual([
      { name: 'id', in: 'path', required: true, type: 'string (uuid)' },
      { name: 'expand', in: 'query', required: false, type: 'array of string' },
    ]);
    expect(get.responses[0]).toEqual({ status: '200', description: 'The order', bodies: [{ mediaType: 'application/json', schema: { type: 'Order', ref: 'Order', fields: [] } }] });
    expect(doc.paths[0]!.operations[1]!.deprecated).toBe(true);
    const post = doc.paths[1]!.operations[0]!;
    expect(post.requestRequired).toBe(true);
    expect(post.requestBodies[0]!.schema!.fields).toEqual([
      { name: 'sku', type: 'string', required: true, description: 'Stock unit' },
      { name: 'qty', type: 'integer (int32)', required: false },
    ]);
    const order = doc.schemas.find((s) => s.name === 'Order')!.schema;
    expect(order.fields.map((f) => [f.name, f.type, f.required])).toEqual([
      ['id', 'string', true],
      ['status', 'one of: "open", "shipped"', false],
      ['lines', 'array of Line', false],
    ]);
    expect(doc.schemas.find((s) => s.name === 'Line')!.schema.fields.map((f) => f.name)).toEqual(['created', 'sku']);
  });
  it('reads Swagger 2 in JSON', () => {
    const d = readDefinition(
      JSON.stringify({
        swagger: '2.0',
        info: { title: 'Old', version: '1' },
        host: 'old.example.com',
        basePath: '/api',
        paths: { '/pets': { post: { parameters: [{ in: 'body', name: 'pet', required: true, schema: { $ref: '#/definitions/Pet' } }, { in: 'query', name: 'dry', type: 'boolean' }], responses: { 200: { description: 'ok', schema: { type: 'array', items: { $ref: '#/definitions/Pet' } } } } } } },
        definitions: { Pet: { type: 'object', properties: { name: { type: 'string' } } } },
      }),
      undefined,
    );
    expect(d.kind).toBe('openapi');
    if (d.kind !== 'openapi') return;
    const op = d.doc.paths[0]!.operations[0]!;
    expect(d.doc.servers).toEqual(['https://old.example.com/api']);
    expect(op.parameters.map((p) => [p.name, p.type])).toEqual([['dry', 'boolean']]);
    expect(op.requestBodies[0]!.schema!.type).toBe('Pet');
    expect(op.responses[0]!.bodies[0]!.schema!.type).toBe('array of Pet');
    expect(d.doc.schemas[0]!.name).toBe('Pet');
  });
  it('falls back to text', () => {
    expect(readDefinition('asyncapi: 2.6.0', 'asyncapi')).toMatchObject({ kind: 'text' });
    expect(readDefinition('syntax = "proto3";', 'openapi')).toMatchObject({ kind: 'text' });
    expect(readDefinition('a: [', 'openapi')).toMatchObject({ kind: 'text' });
  });
});

describe('helpers', () => {
  it('types and anchors', () => {
    expect(typeOf({ oneOf: [{ type: 'string' }, { $ref: '#/components/schemas/X' }] }).type).toBe('string or X');
    expect(typeOf({ type: 'string', nullable: true }).type).toBe('string, nullable');
    expect(anchorId('schema', 'My Thing.v1')).toBe('schema-My-Thing-v1');
  });
});
