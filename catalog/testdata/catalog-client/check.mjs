// Integration check: drives a running Pont catalog with the published
// @backstage/catalog-client, so the REST API is held to what Backstage's own
// client sends and expects.
//
//   node check.mjs BASE_URL EXTRA_LOCATION_TARGET
//
// BASE_URL is the server root (the catalog is at BASE_URL/api/catalog); it
// must have deploy/examples/all.yaml registered as a `file` location, fully
// ingested, and nothing else registered. EXTRA_LOCATION_TARGET is the absolute
// path of extra/catalog-info.yaml; the check registers it, watches its entity
// arrive, and unregisters it again, so the catalog ends as it started.
//
// Prints `ok <method>` per CatalogClient method, then `N passed, 0 failed`.
// Stops at the first failure with `FAIL <method>: <why>` and exit code 1.
// CHECK_TIMEOUT_MS (default 60000) bounds each wait for asynchronous
// processing; CHECK_VERBOSE=1 logs every request.

import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import path from 'node:path';
import { CATALOG_FILTER_EXISTS, CatalogClient } from '@backstage/catalog-client';
import { stringifyEntityRef } from '@backstage/catalog-model';

// ---------------------------------------------------------------------------
// What the demo catalog (deploy/examples) holds. Keep in step with it.

const DEMO = {
  // Entities per kind once ingested. Location is 2: acme-freight-catalog
  // (all.yaml) plus the generated-<sha1> entity of the registered location.
  kinds: {
    API: 8,
    Component: 16,
    Domain: 3,
    Group: 9,
    Location: 2,
    Resource: 8,
    System: 5,
    Template: 2,
    User: 15,
  },
  total: 68,
  components: [
    'acme-ui-kit',
    'api-gateway',
    'billing-service',
    'carrier-gateway',
    'customer-portal',
    'dispatch-console',
    'eta-predictor',
    'fleet-manager',
    'go-service-kit',
    'legacy-invoicer',
    'order-notifier',
    'order-service',
    'payment-adapter',
    'shipment-tracker',
    'telematics-ingest',
    'tracking-web',
  ],
  componentTypes: { library: 2, service: 11, website: 3 },
  componentLifecycles: { deprecated: 1, experimental: 2, production: 13 },
  componentTags: {
    'design-system': 1,
    edge: 1,
    fleet: 1,
    go: 8,
    grpc: 2,
    integrations: 1,
    iot: 1,
    java: 2,
    legacy: 1,
    library: 1,
    ml: 1,
    notifications: 1,
    orders: 1,
    payments: 2,
    php: 1,
    python: 1,
    react: 4,
    tracking: 1,
    typescript: 4,
  },
  componentOwners: {
    'group:default/team-customer-web': 3,
    'group:default/team-fleet': 3,
    'group:default/team-orders': 2,
    'group:default/team-payments': 3,
    'group:default/team-platform': 2,
    'group:default/team-tracking': 3,
  },
  apiTypes: { asyncapi: 2, grpc: 2, openapi: 4 },
  goComponents: [
    'api-gateway',
    'carrier-gateway',
    'go-service-kit',
    'order-notifier',
    'order-service',
    'payment-adapter',
    'shipment-tracker',
    'telematics-ingest',
  ],
  // kind=component ordered by spec.type asc, then metadata.name desc.
  componentsByTypeThenNameDesc: [
    'go-service-kit',
    'acme-ui-kit',
    'telematics-ingest',
    'shipment-tracker',
    'payment-adapter',
    'order-service',
    'order-notifier',
    'legacy-invoicer',
    'fleet-manager',
    'eta-predictor',
    'carrier-gateway',
    'billing-service',
    'api-gateway',
    'tracking-web',
    'dispatch-console',
    'customer-portal',
  ],
  groups: [
    'acme-freight',
    'engineering',
    'product',
    'team-customer-web',
    'team-fleet',
    'team-orders',
    'team-payments',
    'team-platform',
    'team-tracking',
  ],
  groupTypes: {
    'acme-freight': 'organization',
    engineering: 'department',
    product: 'department',
    'team-customer-web': 'team',
    'team-fleet': 'team',
    'team-orders': 'team',
    'team-payments': 'team',
    'team-platform': 'team',
    'team-tracking': 'team',
  },
  relations: {
    'component:default/shipment-tracker': [
      'consumesApi api:default/carrier-gateway-api',
      'dependencyOf component:default/api-gateway',
      'dependsOn component:default/go-service-kit',
      'dependsOn resource:default/proof-of-delivery-bucket',
      'dependsOn resource:default/shipment-events-topic',
      'dependsOn resource:default/tracking-db',
      'ownedBy group:default/team-tracking',
      'partOf system:default/shipment-tracking',
      'providesApi api:default/shipment-events',
      'providesApi api:default/shipment-tracking-api',
    ],
    'component:default/order-service': [
      'consumesApi api:default/invoices-api',
      'consumesApi api:default/shipment-tracking-api',
      'dependencyOf component:default/api-gateway',
      'dependsOn component:default/go-service-kit',
      'dependsOn resource:default/order-events-queue',
      'dependsOn resource:default/orders-db',
      'hasPart component:default/order-notifier',
      'ownedBy group:default/team-orders',
      'partOf system:default/order-management',
      'providesApi api:default/orders-api',
    ],
    'group:default/team-tracking': [
      'childOf group:default/engineering',
      'hasMember user:default/priya-sharma',
      'hasMember user:default/tom-becker',
      'ownerOf api:default/carrier-gateway-api',
      'ownerOf api:default/shipment-events',
      'ownerOf api:default/shipment-tracking-api',
      'ownerOf component:default/carrier-gateway',
      'ownerOf component:default/eta-predictor',
      'ownerOf component:default/shipment-tracker',
      'ownerOf resource:default/proof-of-delivery-bucket',
      'ownerOf resource:default/shipment-events-topic',
      'ownerOf resource:default/tracking-db',
      'ownerOf system:default/shipment-tracking',
    ],
    // olga-ivanova is only in team-fleet through her own memberOf.
    'group:default/team-fleet': [
      'childOf group:default/engineering',
      'hasMember user:default/ahmed-hassan',
      'hasMember user:default/julia-novak',
      'hasMember user:default/olga-ivanova',
      'ownerOf api:default/fleet-api',
      'ownerOf api:default/vehicle-telemetry',
      'ownerOf component:default/dispatch-console',
      'ownerOf component:default/fleet-manager',
      'ownerOf component:default/telematics-ingest',
      'ownerOf domain:default/fleet',
      'ownerOf resource:default/fleet-db',
      'ownerOf resource:default/telemetry-archive',
      'ownerOf system:default/fleet-operations',
    ],
    'user:default/olga-ivanova': [
      'memberOf group:default/team-fleet',
      'memberOf group:default/team-platform',
    ],
    'system:default/shipment-tracking': [
      'hasPart api:default/carrier-gateway-api',
      'hasPart api:default/shipment-events',
      'hasPart api:default/shipment-tracking-api',
      'hasPart component:default/carrier-gateway',
      'hasPart component:default/eta-predictor',
      'hasPart component:default/shipment-tracker',
      'hasPart component:default/tracking-web',
      'hasPart resource:default/proof-of-delivery-bucket',
      'hasPart resource:default/shipment-events-topic',
      'hasPart resource:default/tracking-db',
      'ownedBy group:default/team-tracking',
      'partOf domain:default/logistics',
    ],
    'api:default/shipment-tracking-api': [
      'apiConsumedBy component:default/customer-portal',
      'apiConsumedBy component:default/dispatch-console',
      'apiConsumedBy component:default/order-service',
      'apiConsumedBy component:default/tracking-web',
      'apiProvidedBy component:default/shipment-tracker',
      'ownedBy group:default/team-tracking',
      'partOf system:default/shipment-tracking',
    ],
    'domain:default/commerce': [
      'hasPart system:default/billing',
      'hasPart system:default/order-management',
      'ownedBy group:default/product',
    ],
  },
  // Files, relative to all.yaml, that hold a few entities.
  files: {
    'component:default/shipment-tracker': 'components/shipment-tracking.yaml',
    'component:default/order-notifier': 'components/order-management.yaml',
    'api:default/shipment-tracking-api': 'apis.yaml',
    'user:default/olga-ivanova': 'org.yaml',
  },
  rootLocationEntity: 'location:default/acme-freight-catalog',
  rootLocationTargets: 10,
};

const EXTRA = {
  ref: 'component:default/extra-service',
  owner: 'group:default/team-platform',
  relations: [
    'dependsOn component:default/go-service-kit',
    'ownedBy group:default/team-platform',
    'partOf system:default/developer-platform',
  ],
};

// ---------------------------------------------------------------------------
// Harness.

const [baseUrlArg, extraTarget] = process.argv.slice(2);
if (!baseUrlArg || !extraTarget || !path.isAbsolute(extraTarget)) {
  console.error('usage: node check.mjs BASE_URL EXTRA_LOCATION_TARGET');
  console.error('  BASE_URL               e.g. http://127.0.0.1:7007');
  console.error('  EXTRA_LOCATION_TARGET  absolute path of extra/catalog-info.yaml');
  process.exit(2);
}
const baseUrl = baseUrlArg.replace(/\/+$/, '');
const TIMEOUT_MS = Number(process.env.CHECK_TIMEOUT_MS ?? 60000);
const VERBOSE = process.env.CHECK_VERBOSE === '1';

let lastRequest = '(none)';
async function tracedFetch(input, init) {
  const url = typeof input === 'string' ? input : input.url;
  const method = init?.method ?? 'GET';
  const res = await fetch(input, init);
  lastRequest = `${method} ${url.slice(baseUrl.length)} -> ${res.status}`;
  if (VERBOSE) console.log(`  ${lastRequest}`);
  return res;
}

const client = new CatalogClient({
  discoveryApi: { getBaseUrl: async () => `${baseUrl}/api/catalog` },
  fetchApi: { fetch: tracedFetch },
});

const passed = [];

function describeError(err) {
  if (err?.name === 'ResponseError') {
    const cause = err.cause ? ` (${err.cause.name}: ${err.cause.message})` : '';
    return `${err.message}${cause}; last request ${lastRequest}`;
  }
  if (err instanceof Error) {
    return `${err.message}\n  last request: ${lastRequest}`;
  }
  return String(err);
}

async function check(method, fn) {
  try {
    await fn();
  } catch (err) {
    console.error(`FAIL ${method}: ${describeError(err)}`);
    console.log(`${passed.length} passed, 1 failed`);
    process.exit(1);
  }
  passed.push(method);
  console.log(`ok ${method}`);
}

function eq(actual, expected, what) {
  try {
    assert.deepStrictEqual(actual, expected);
  } catch {
    throw new Error(
      `${what}\n  expected: ${JSON.stringify(expected)}\n  actual:   ${JSON.stringify(actual)}`,
    );
  }
}

function ok(value, what) {
  if (!value) throw new Error(what);
}

// Resolves when the promise rejects with a ResponseError of that status and,
// when given, that error name in Backstage's error body.
async function rejectsWith(promise, status, errorName, what) {
  let err;
  try {
    await promise;
  } catch (e) {
    err = e;
  }
  ok(err, `${what}: expected HTTP ${status}, but the call succeeded`);
  ok(
    err.name === 'ResponseError',
    `${what}: expected a ResponseError for HTTP ${status}, got ${err.name}: ${err.message}`,
  );
  eq(err.statusCode, status, `${what}: HTTP status`);
  if (errorName) {
    eq(err.cause?.name, errorName, `${what}: error.name in the JSON error body`);
  }
}

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

async function waitFor(what, probe, done) {
  const deadline = Date.now() + TIMEOUT_MS;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${TIMEOUT_MS} ms waiting for ${what}`);
    }
    await sleep(200);
  }
}

const refOf = e => stringifyEntityRef(e);
const namesOf = items => items.map(e => e.metadata.name);
const sorted = a => [...a].sort();
const relationsOf = e => sorted((e.relations ?? []).map(r => `${r.type} ${r.targetRef}`));
const facetMap = list => Object.fromEntries(list.map(f => [f.value, f.count]));
const sha1 = s => createHash('sha1').update(s).digest('hex');
const locationEntityRefFor = (type, target) =>
  `location:default/generated-${sha1(`${type}:${target}`)}`;

function checkLocationShape(l, what) {
  ok(l && typeof l === 'object', `${what}: not an object`);
  for (const key of ['id', 'type', 'target', 'entityRef']) {
    ok(typeof l[key] === 'string' && l[key] !== '', `${what}: ${key} is not a non-empty string`);
  }
  eq(
    l.entityRef,
    locationEntityRefFor(l.type, l.target),
    `${what}: entityRef is location:default/generated-<sha1 of "type:target">`,
  );
}

// ---------------------------------------------------------------------------
// The checks. Order matters: the read-only ones run on the pristine demo
// catalog, then the extra location is added, exercised and removed.

let demoLocation; // the registered all.yaml location
let baselineLocations; // every location before the check adds its own
let demoDir; // directory of all.yaml as the server sees it
let baselineKindFacet;

await check('getLocations', async () => {
  const { items } = await client.getLocations();
  ok(Array.isArray(items), 'items is not an array');
  items.forEach((l, i) => checkLocationShape(l, `items[${i}]`));
  const demo = items.filter(
    l => l.type === 'file' && l.target.replace(/\\/g, '/').endsWith('/deploy/examples/all.yaml'),
  );
  eq(demo.length, 1, 'number of file locations whose target ends in deploy/examples/all.yaml');
  ok(
    !items.some(l => l.target === extraTarget),
    `${extraTarget} is already registered; run the check on a freshly started server`,
  );
  eq(new Set(items.map(l => l.id)).size, items.length, 'location ids are unique');
  demoLocation = demo[0];
  baselineLocations = items;
  demoDir = path.dirname(demoLocation.target);
});

await check('getLocationById', async () => {
  eq(await client.getLocationById(demoLocation.id), demoLocation, 'the demo location by id');
  eq(await client.getLocationById(randomUUID()), undefined, 'an unknown id (404 -> undefined)');
});

await check('getLocationByRef', async () => {
  eq(
    await client.getLocationByRef(`file:${demoLocation.target}`),
    demoLocation,
    'the demo location by "file:<target>"',
  );
  eq(
    await client.getLocationByRef(`file:${demoDir}/no-such-file.yaml`),
    undefined,
    'an unregistered location ref',
  );
});

await check('getEntityByRef', async () => {
  const e = await client.getEntityByRef('component:default/shipment-tracker');
  ok(e, 'component:default/shipment-tracker not found');
  eq(e.apiVersion, 'backstage.io/v1alpha1', 'apiVersion');
  eq(e.kind, 'Component', 'kind keeps the case it was written with');
  eq(e.metadata.name, 'shipment-tracker', 'metadata.name');
  eq(e.metadata.namespace, 'default', 'metadata.namespace is filled in');
  ok(typeof e.metadata.uid === 'string' && e.metadata.uid, 'metadata.uid is set');
  ok(typeof e.metadata.etag === 'string' && e.metadata.etag, 'metadata.etag is set');
  eq(e.metadata.title, 'Shipment Tracker', 'metadata.title');
  eq(e.metadata.labels, { tier: 'critical', 'cost-center': 'cc-1200' }, 'metadata.labels');
  eq(e.metadata.tags, ['go', 'tracking'], 'metadata.tags');
  eq(e.metadata.links?.length, 2, 'metadata.links length');
  eq(
    e.metadata.links[0],
    {
      url: 'https://grafana.acme-freight.example/d/shipment-tracker',
      title: 'Dashboard',
      icon: 'dashboard',
      type: 'dashboard',
    },
    'metadata.links[0]',
  );
  const a = e.metadata.annotations ?? {};
  eq(a['backstage.io/kubernetes-id'], 'shipment-tracker', 'kubernetes-id annotation');
  eq(a['github.com/project-slug'], 'acme-freight/shipment-tracker', 'project-slug annotation');
  eq(a['backstage.io/techdocs-ref'], 'dir:.', 'techdocs-ref annotation');
  eq(
    a['backstage.io/managed-by-location'],
    `file:${path.join(demoDir, DEMO.files['component:default/shipment-tracker'])}`,
    'backstage.io/managed-by-location is the file that holds the entity',
  );
  eq(
    a['backstage.io/managed-by-origin-location'],
    `file:${demoLocation.target}`,
    'backstage.io/managed-by-origin-location is the registered location',
  );
  eq(e.spec.type, 'service', 'spec.type');
  eq(e.spec.lifecycle, 'production', 'spec.lifecycle');
  eq(e.spec.owner, 'team-tracking', 'spec.owner is kept as written');
  eq(e.spec.system, 'shipment-tracking', 'spec.system is kept as written');
  eq(
    relationsOf(e),
    DEMO.relations['component:default/shipment-tracker'],
    'relations of component:default/shipment-tracker (type targetRef, sorted)',
  );

  // The same entity through a compound ref and an upper-case kind.
  const compound = await client.getEntityByRef({
    kind: 'Component',
    namespace: 'default',
    name: 'shipment-tracker',
  });
  eq(compound?.metadata.uid, e.metadata.uid, 'compound ref finds the same entity');
  const shortRef = await client.getEntityByRef('Component:shipment-tracker');
  eq(shortRef?.metadata.uid, e.metadata.uid, '"Component:shipment-tracker" finds the same entity');

  eq(
    await client.getEntityByRef('component:default/no-such-component'),
    undefined,
    'an unknown entity (404 -> undefined)',
  );

  for (const [ref, expected] of Object.entries(DEMO.relations)) {
    const entity = await client.getEntityByRef(ref);
    ok(entity, `${ref} not found`);
    eq(relationsOf(entity), expected, `relations of ${ref} (type targetRef, sorted)`);
  }

  const olga = await client.getEntityByRef('user:default/olga-ivanova');
  eq(
    olga.spec.profile,
    { displayName: 'Olga Ivanova', email: 'olga.ivanova@acme-freight.example' },
    'user:default/olga-ivanova spec.profile',
  );
  eq(
    olga.metadata.annotations['backstage.io/managed-by-location'],
    `file:${path.join(demoDir, DEMO.files['user:default/olga-ivanova'])}`,
    'managed-by-location of user:default/olga-ivanova',
  );

  // $text placeholders are resolved relative to the file that uses them.
  const api = await client.getEntityByRef('api:default/shipment-tracking-api');
  ok(
    typeof api.spec.definition === 'string',
    'api:default/shipment-tracking-api spec.definition ($text) is not resolved to a string',
  );
  ok(
    api.spec.definition.startsWith('openapi: 3.0.3') &&
      api.spec.definition.includes('/shipments/{trackingNumber}/events:'),
    'api:default/shipment-tracking-api spec.definition is not the content of apis/shipment-tracking-api.yaml',
  );
  const fleetApi = await client.getEntityByRef('api:default/fleet-api');
  ok(
    typeof fleetApi.spec.definition === 'string' &&
      fleetApi.spec.definition.includes('operationId: listVehicles'),
    'api:default/fleet-api spec.definition is not the content of apis/fleet-api.yaml',
  );
  const grpc = await client.getEntityByRef('api:default/carrier-gateway-api');
  ok(
    grpc.spec.definition.startsWith('syntax = "proto3";'),
    'api:default/carrier-gateway-api inline definition',
  );

  const template = await client.getEntityByRef('template:default/go-service');
  eq(template?.apiVersion, 'scaffolder.backstage.io/v1beta3', 'template:default/go-service apiVersion');
  eq(relationsOf(template), ['ownedBy group:default/team-platform'], 'template relations');

  const root = await client.getEntityByRef(DEMO.rootLocationEntity);
  ok(root, `${DEMO.rootLocationEntity} not found`);
  eq(root.spec.targets?.length, DEMO.rootLocationTargets, `${DEMO.rootLocationEntity} spec.targets`);

  const generated = await client.getEntityByRef(demoLocation.entityRef);
  ok(generated, `${demoLocation.entityRef} (the registered location's entity) not found`);
  eq(generated.kind, 'Location', `${demoLocation.entityRef} kind`);
  eq(generated.spec.type, 'file', `${demoLocation.entityRef} spec.type`);
  eq(generated.spec.target, demoLocation.target, `${demoLocation.entityRef} spec.target`);
});

await check('getEntityByName', async () => {
  const byRef = await client.getEntityByRef('component:default/order-notifier');
  const byName = await client.getEntityByName({
    kind: 'Component',
    namespace: 'default',
    name: 'order-notifier',
  });
  eq(byName?.metadata.uid, byRef?.metadata.uid, 'same entity as getEntityByRef');
  eq(byName.spec.subcomponentOf, 'order-service', 'spec.subcomponentOf');
  ok(
    relationsOf(byName).includes('partOf component:default/order-service'),
    'order-notifier has partOf component:default/order-service',
  );
  eq(
    await client.getEntityByName({ kind: 'Component', namespace: 'default', name: 'nope' }),
    undefined,
    'an unknown entity',
  );
});

await check('getEntities', async () => {
  let r = await client.getEntities();
  eq(r.items.length, DEMO.total, 'number of entities with no filter');
  eq(new Set(r.items.map(refOf)).size, DEMO.total, 'entity refs are unique');

  r = await client.getEntities({ filter: { kind: 'component' } });
  eq(sorted(namesOf(r.items)), DEMO.components, 'filter kind=component');

  r = await client.getEntities({ filter: { kind: 'Component' } });
  eq(r.items.length, DEMO.components.length, 'filter values are case-insensitive (kind=Component)');

  r = await client.getEntities({
    filter: [
      { kind: 'api', 'spec.type': 'grpc' },
      { kind: 'resource', 'spec.type': 'database' },
    ],
  });
  eq(
    sorted(r.items.map(refOf)),
    [
      'api:default/carrier-gateway-api',
      'api:default/payments-api',
      'resource:default/billing-db',
      'resource:default/fleet-db',
      'resource:default/orders-db',
      'resource:default/tracking-db',
    ],
    'two filter sets (OR) of two conditions (AND) each',
  );

  r = await client.getEntities({
    filter: { kind: 'component', 'spec.lifecycle': ['experimental', 'deprecated'] },
  });
  eq(
    sorted(namesOf(r.items)),
    ['dispatch-console', 'eta-predictor', 'legacy-invoicer'],
    'several values for one key (OR)',
  );

  r = await client.getEntities({
    filter: { kind: 'component', 'spec.subcomponentOf': CATALOG_FILTER_EXISTS },
  });
  eq(namesOf(r.items), ['order-notifier'], 'CATALOG_FILTER_EXISTS on spec.subcomponentOf');

  r = await client.getEntities({
    filter: { kind: 'user', 'relations.memberOf': 'group:default/team-fleet' },
  });
  eq(
    sorted(namesOf(r.items)),
    ['ahmed-hassan', 'julia-novak', 'olga-ivanova'],
    'relations.memberOf=group:default/team-fleet',
  );

  r = await client.getEntities({ filter: { kind: 'component', 'metadata.tags': 'go' } });
  eq(sorted(namesOf(r.items)), DEMO.goComponents, 'metadata.tags=go (array element match)');

  r = await client.getEntities({ filter: { kind: 'component', 'metadata.tags.go': 'true' } });
  eq(sorted(namesOf(r.items)), DEMO.goComponents, 'metadata.tags.go=true (array item as key)');

  r = await client.getEntities({
    filter: { kind: 'group' },
    fields: ['kind', 'metadata.name', 'spec.type'],
  });
  eq(r.items.length, DEMO.groups.length, 'number of groups');
  for (const item of r.items) {
    eq(
      item,
      {
        kind: 'Group',
        metadata: { name: item.metadata.name },
        spec: { type: DEMO.groupTypes[item.metadata.name] },
      },
      'fields=kind,metadata.name,spec.type keeps exactly those fields',
    );
  }

  r = await client.getEntities({
    filter: { kind: 'component' },
    fields: ['metadata.name'],
    order: { field: 'metadata.name', order: 'asc' },
    offset: 2,
    limit: 3,
  });
  eq(namesOf(r.items), DEMO.components.slice(2, 5), 'order metadata.name asc, offset 2, limit 3');

  r = await client.getEntities({
    filter: { kind: 'component' },
    fields: ['metadata.name'],
    order: { field: 'metadata.name', order: 'desc' },
    limit: 4,
  });
  eq(namesOf(r.items), [...DEMO.components].reverse().slice(0, 4), 'order metadata.name desc, limit 4');

  r = await client.getEntities({
    filter: { kind: 'component' },
    fields: ['metadata.name', 'spec.type'],
    order: [
      { field: 'spec.type', order: 'asc' },
      { field: 'metadata.name', order: 'desc' },
    ],
    limit: 100,
  });
  eq(
    namesOf(r.items),
    DEMO.componentsByTypeThenNameDesc,
    'order spec.type asc, then metadata.name desc',
  );

  r = await client.getEntities({ filter: { kind: 'component', 'metadata.name': 'nope' } });
  eq(r.items, [], 'a filter that matches nothing');
});

await check('getEntitiesByRefs', async () => {
  const refs = [
    'component:default/shipment-tracker',
    'api:default/orders-api',
    'component:default/does-not-exist',
    'group:default/team-tracking',
    'Component:default/order-service',
  ];
  let r = await client.getEntitiesByRefs({ entityRefs: refs });
  eq(r.items.length, refs.length, 'one item per requested ref');
  eq(
    r.items.map(e => (e ? refOf(e) : undefined)),
    [
      'component:default/shipment-tracker',
      'api:default/orders-api',
      undefined,
      'group:default/team-tracking',
      'component:default/order-service',
    ],
    'items in request order, undefined (null on the wire) where not found; refs match case-insensitively',
  );
  eq(
    relationsOf(r.items[0]),
    DEMO.relations['component:default/shipment-tracker'],
    'full entities carry their relations',
  );

  r = await client.getEntitiesByRefs({ entityRefs: refs, fields: ['metadata.name'] });
  eq(
    r.items,
    [
      { metadata: { name: 'shipment-tracker' } },
      { metadata: { name: 'orders-api' } },
      undefined,
      { metadata: { name: 'team-tracking' } },
      { metadata: { name: 'order-service' } },
    ],
    'fields=metadata.name',
  );

  r = await client.getEntitiesByRefs({
    entityRefs: refs,
    fields: ['kind', 'metadata.name'],
    filter: { kind: 'component' },
  });
  eq(
    r.items.map(e => e?.metadata.name),
    ['shipment-tracker', undefined, undefined, undefined, 'order-service'],
    'filter kind=component (query parameter) blanks out entities that do not match',
  );

  r = await client.getEntitiesByRefs({
    entityRefs: refs,
    fields: ['kind', 'metadata.name'],
    query: { kind: { $in: ['API', 'Group'] } },
  });
  eq(
    r.items.map(e => e?.metadata.name),
    [undefined, 'orders-api', undefined, 'team-tracking', undefined],
    'predicate query {kind: {$in: [API, Group]}} (request body)',
  );

  r = await client.getEntitiesByRefs({ entityRefs: [] });
  eq(r.items, [], 'no refs');
});

await check('getEntityFacets', async () => {
  let r = await client.getEntityFacets({ facets: ['kind'] });
  eq(Object.keys(r.facets), ['kind'], 'one key per requested facet');
  for (const f of r.facets.kind) {
    ok(typeof f.value === 'string' && typeof f.count === 'number', 'facet entries are {value, count}');
  }
  baselineKindFacet = facetMap(r.facets.kind);
  eq(baselineKindFacet, DEMO.kinds, 'kind facet (values as written, e.g. "API", "Component")');

  r = await client.getEntityFacets({
    filter: { kind: 'component' },
    facets: ['spec.type', 'spec.lifecycle', 'metadata.tags', 'relations.ownedBy'],
  });
  eq(facetMap(r.facets['spec.type']), DEMO.componentTypes, 'spec.type facet of components');
  eq(facetMap(r.facets['spec.lifecycle']), DEMO.componentLifecycles, 'spec.lifecycle facet of components');
  eq(facetMap(r.facets['metadata.tags']), DEMO.componentTags, 'metadata.tags facet of components');
  eq(
    facetMap(r.facets['relations.ownedBy']),
    DEMO.componentOwners,
    'relations.ownedBy facet of components (facet key returned as requested)',
  );

  r = await client.getEntityFacets({ query: { kind: 'api' }, facets: ['spec.type'] });
  eq(facetMap(r.facets['spec.type']), DEMO.apiTypes, 'spec.type facet of APIs (predicate query, POST)');

  r = await client.getEntityFacets({
    filter: { kind: 'component', 'metadata.name': 'nope' },
    facets: ['spec.type'],
  });
  eq(r.facets, { 'spec.type': [] }, 'a filter that matches nothing gives an empty facet');
});

await check('queryEntities', async () => {
  const byName = { field: 'metadata.name', order: 'asc' };

  // Cursor paging through the 16 components, 5 at a time.
  const p1 = await client.queryEntities({
    filter: { kind: 'component' },
    orderFields: byName,
    limit: 5,
  });
  eq(namesOf(p1.items), DEMO.components.slice(0, 5), 'page 1 names');
  eq(p1.totalItems, DEMO.components.length, 'page 1 totalItems');
  ok(typeof p1.pageInfo.nextCursor === 'string', 'page 1 has pageInfo.nextCursor');
  eq(p1.pageInfo.prevCursor, undefined, 'page 1 has no pageInfo.prevCursor');

  const p2 = await client.queryEntities({ cursor: p1.pageInfo.nextCursor, limit: 5 });
  eq(namesOf(p2.items), DEMO.components.slice(5, 10), 'page 2 names');
  eq(p2.totalItems, DEMO.components.length, 'page 2 totalItems');
  ok(typeof p2.pageInfo.nextCursor === 'string', 'page 2 has pageInfo.nextCursor');
  ok(typeof p2.pageInfo.prevCursor === 'string', 'page 2 has pageInfo.prevCursor');

  const p3 = await client.queryEntities({ cursor: p2.pageInfo.nextCursor, limit: 5 });
  eq(namesOf(p3.items), DEMO.components.slice(10, 15), 'page 3 names');
  const p4 = await client.queryEntities({ cursor: p3.pageInfo.nextCursor, limit: 5 });
  eq(namesOf(p4.items), DEMO.components.slice(15), 'page 4 names');
  eq(p4.pageInfo.nextCursor, undefined, 'the last page has no nextCursor');
  ok(typeof p4.pageInfo.prevCursor === 'string', 'the last page has a prevCursor');

  const back = await client.queryEntities({ cursor: p2.pageInfo.prevCursor, limit: 5 });
  eq(namesOf(back.items), DEMO.components.slice(0, 5), 'prevCursor of page 2 gives page 1 again');
  ok(typeof back.pageInfo.nextCursor === 'string', 'page 1 reached backwards has a nextCursor');
  eq(back.pageInfo.prevCursor, undefined, 'page 1 reached backwards has no prevCursor');

  // fields carry over to cursor requests.
  const slim = await client.queryEntities({
    filter: { kind: 'component' },
    orderFields: byName,
    limit: 2,
    fields: ['metadata.name'],
  });
  eq(slim.items, [{ metadata: { name: 'acme-ui-kit' } }, { metadata: { name: 'api-gateway' } }], 'fields');
  const slim2 = await client.queryEntities({
    cursor: slim.pageInfo.nextCursor,
    limit: 2,
    fields: ['metadata.name'],
  });
  eq(
    slim2.items,
    [{ metadata: { name: 'billing-service' } }, { metadata: { name: 'carrier-gateway' } }],
    'fields on a cursor request',
  );

  // offset and descending order.
  const off = await client.queryEntities({
    filter: { kind: 'component' },
    orderFields: { field: 'metadata.name', order: 'desc' },
    offset: 3,
    limit: 4,
  });
  eq(namesOf(off.items), [...DEMO.components].reverse().slice(3, 7), 'desc order with offset 3, limit 4');
  eq(off.totalItems, DEMO.components.length, 'totalItems ignores offset and limit');

  // Full-text filter: term trimmed, matched case-insensitively as a substring.
  const ft = await client.queryEntities({
    filter: { kind: 'component' },
    orderFields: byName,
    fullTextFilter: { term: '  Order ', fields: ['metadata.name'] },
  });
  eq(namesOf(ft.items), ['order-notifier', 'order-service'], 'fullTextFilter "Order" on metadata.name');
  eq(ft.totalItems, 2, 'fullTextFilter totalItems');

  const ft2 = await client.queryEntities({
    fullTextFilter: { term: 'GATEWAY', fields: ['metadata.name', 'metadata.title'] },
    orderFields: byName,
  });
  eq(
    sorted(ft2.items.map(refOf)),
    ['api:default/carrier-gateway-api', 'component:default/api-gateway', 'component:default/carrier-gateway'],
    'fullTextFilter "GATEWAY" on metadata.name and metadata.title, all kinds',
  );

  const none = await client.queryEntities({
    filter: { kind: 'component', 'metadata.name': 'nope' },
    limit: 5,
  });
  eq(none.items, [], 'no match: items');
  eq(none.totalItems, 0, 'no match: totalItems');
  eq(none.pageInfo, {}, 'no match: pageInfo');

  const noCount = await client.queryEntities({
    filter: { kind: 'component' },
    limit: 1,
    totalItems: 'exclude',
  });
  eq(noCount.items.length, 1, 'totalItems=exclude still returns items');
  eq(noCount.totalItems, 0, 'totalItems=exclude reports totalItems 0');

  // The whole catalog with no filter, 25 at a time, ordered by name.
  const seen = [];
  let page = await client.queryEntities({
    orderFields: byName,
    limit: 25,
    fields: ['kind', 'metadata.namespace', 'metadata.name'],
  });
  eq(page.totalItems, DEMO.total, 'totalItems with no filter');
  seen.push(...page.items);
  for (let i = 0; page.pageInfo.nextCursor; i++) {
    ok(i < 10, 'more than 10 pages for the whole catalog');
    page = await client.queryEntities({
      cursor: page.pageInfo.nextCursor,
      limit: 25,
      fields: ['kind', 'metadata.namespace', 'metadata.name'],
    });
    seen.push(...page.items);
  }
  eq(seen.length, DEMO.total, 'entities seen paging through the whole catalog');
  eq(new Set(seen.map(refOf)).size, DEMO.total, 'no entity seen twice');
  const names = namesOf(seen);
  eq(names, sorted(names), 'the whole catalog comes ordered by metadata.name');

  // Predicate query (POST /entities/by-query), then its cursor.
  const q1 = await client.queryEntities({
    query: {
      $all: [
        { kind: 'component' },
        { 'spec.type': { $in: ['website', 'library'] } },
        { $not: { 'spec.lifecycle': 'experimental' } },
      ],
    },
    orderFields: byName,
    limit: 2,
  });
  eq(namesOf(q1.items), ['acme-ui-kit', 'customer-portal'], 'predicate query page 1');
  eq(q1.totalItems, 4, 'predicate query totalItems');
  ok(typeof q1.pageInfo.nextCursor === 'string', 'predicate query page 1 has a nextCursor');
  const q2 = await client.queryEntities({ cursor: q1.pageInfo.nextCursor, limit: 2 });
  eq(namesOf(q2.items), ['go-service-kit', 'tracking-web'], 'predicate query page 2');
  eq(q2.pageInfo.nextCursor, undefined, 'predicate query page 2 is the last');

  const q3 = await client.queryEntities({
    query: { 'metadata.name': { $hasPrefix: 'ORDER' } },
    filter: { kind: 'component' },
    orderFields: byName,
  });
  eq(namesOf(q3.items), ['order-notifier', 'order-service'], 'predicate $hasPrefix combined with filter');
});

await check('streamEntities', async () => {
  const pages = [];
  for await (const p of client.streamEntities({
    filter: { kind: 'component' },
    orderFields: { field: 'metadata.name', order: 'asc' },
    fields: ['kind', 'metadata.name'],
    pageSize: 5,
  })) {
    pages.push(namesOf(p));
  }
  eq(pages.map(p => p.length), [5, 5, 5, 1], 'page sizes');
  eq(pages.flat(), DEMO.components, 'every component once, in name order');

  let count = 0;
  for await (const p of client.streamEntities()) count += p.length;
  eq(count, DEMO.total, 'streaming the whole catalog with the default page size');
});

await check('getEntityAncestors', async () => {
  const r = await client.getEntityAncestors({ entityRef: 'component:default/shipment-tracker' });
  eq(r.rootEntityRef, 'component:default/shipment-tracker', 'rootEntityRef');
  eq(
    r.items.map(i => ({ ref: refOf(i.entity), parents: i.parentEntityRefs })),
    [
      { ref: 'component:default/shipment-tracker', parents: [DEMO.rootLocationEntity] },
      { ref: DEMO.rootLocationEntity, parents: [demoLocation.entityRef] },
      { ref: demoLocation.entityRef, parents: [] },
    ],
    'the entity, the Location in all.yaml, then the registered location entity',
  );
  ok(r.items[0].entity.metadata.uid, 'ancestry items are full entities');
  await rejectsWith(
    client.getEntityAncestors({ entityRef: 'component:default/nope' }),
    404,
    'NotFoundError',
    'ancestors of an unknown entity',
  );
});

await check('validateEntity', async () => {
  const location = 'url:https://github.com/acme-freight/route-planner/blob/main/catalog-info.yaml';
  const valid = {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: 'route-planner', tags: ['go'] },
    spec: { type: 'service', lifecycle: 'experimental', owner: 'team-fleet', system: 'fleet-operations' },
  };
  eq(await client.validateEntity(valid, location), { valid: true }, 'a valid component');

  const invalid = {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: 'Route Planner!' },
    spec: { lifecycle: 'experimental', owner: 'team-fleet' },
  };
  const r = await client.validateEntity(invalid, location);
  eq(r.valid, false, 'a component with a bad name and no spec.type is invalid');
  ok(Array.isArray(r.errors) && r.errors.length > 0, 'invalid entity: errors is a non-empty array');
  for (const e of r.errors) {
    ok(
      typeof e.name === 'string' && typeof e.message === 'string' && e.message,
      `invalid entity: each error is a serialized error {name, message}, got ${JSON.stringify(e)}`,
    );
  }

  const noKind = { apiVersion: 'backstage.io/v1alpha1', metadata: { name: 'x' }, spec: {} };
  const r2 = await client.validateEntity(noKind, location);
  eq(r2.valid, false, 'an entity without kind is invalid');
  ok(r2.errors.length > 0, 'an entity without kind: errors');
});

await check('analyzeLocation', async () => {
  const r = await client.analyzeLocation({
    location: { type: 'url', target: 'https://github.com/acme-freight/route-planner' },
  });
  eq(r.existingEntityFiles, [], 'existingEntityFiles for a repository with no descriptor');
  eq(r.generateEntities.length, 1, 'one generated entity');
  const g = r.generateEntities[0];
  eq(g.fields, [], 'generated entity fields');
  eq(g.entity.apiVersion, 'backstage.io/v1alpha1', 'generated apiVersion');
  eq(g.entity.kind, 'Component', 'generated kind');
  eq(g.entity.metadata?.name, 'route-planner', 'generated name is the repository name');
  eq(
    g.entity.metadata?.annotations?.['github.com/project-slug'],
    'acme-freight/route-planner',
    'generated github.com/project-slug annotation',
  );
  eq(g.entity.spec, { type: 'other', lifecycle: 'unknown' }, 'generated spec');
});

await check('refreshEntity', async () => {
  await client.refreshEntity('component:default/shipment-tracker');
  await client.refreshEntity(DEMO.rootLocationEntity);
  await rejectsWith(
    client.refreshEntity('component:default/nope'),
    404,
    'NotFoundError',
    'refreshing an unknown entity',
  );
  const e = await client.getEntityByRef('component:default/shipment-tracker');
  ok(e, 'shipment-tracker is still there after a refresh');
});

let extraLocation;
const extraEntityRef = locationEntityRefFor('file', extraTarget);

await check('addLocation', async () => {
  // Dry run: nothing is stored, the entities it would bring are returned.
  const dry = await client.addLocation({ type: 'file', target: extraTarget, dryRun: true });
  eq(dry.exists, false, 'dry run: exists');
  eq(dry.location.type, 'file', 'dry run: location.type');
  eq(dry.location.target, extraTarget, 'dry run: location.target');
  eq(dry.location.entityRef, extraEntityRef, 'dry run: location.entityRef');
  eq(
    sorted(dry.entities.map(refOf)),
    sorted([EXTRA.ref, extraEntityRef]),
    'dry run: entities are the location entity and extra-service',
  );
  const dryExtra = dry.entities.find(e => refOf(e) === EXTRA.ref);
  eq(dryExtra.spec.owner, 'team-platform', 'dry run: extra-service spec.owner');
  eq(
    (await client.getLocations()).items.length,
    baselineLocations.length,
    'dry run: no location was added',
  );
  eq(await client.getEntityByRef(EXTRA.ref), undefined, 'dry run: extra-service was not added');

  const dryDemo = await client.addLocation({
    type: 'file',
    target: demoLocation.target,
    dryRun: true,
  });
  eq(dryDemo.exists, true, 'dry run of the registered demo location: exists');
  eq(dryDemo.entities.length, DEMO.total, 'dry run of the demo location: every entity, nested ones too');

  // The real thing.
  const added = await client.addLocation({ type: 'file', target: extraTarget });
  checkLocationShape(added.location, 'added location');
  eq(added.location.type, 'file', 'added location type');
  eq(added.location.target, extraTarget, 'added location target');
  eq(added.location.entityRef, extraEntityRef, 'added location entityRef');
  ok(
    !baselineLocations.some(l => l.id === added.location.id),
    'the new location has a new id',
  );
  eq(added.entities, [], 'entities is empty when not a dry run');
  ok(added.exists !== true, 'exists is not true when not a dry run');
  extraLocation = added.location;

  eq(await client.getLocationById(extraLocation.id), extraLocation, 'getLocationById of the new location');
  eq(
    await client.getLocationByRef(`file:${extraTarget}`),
    extraLocation,
    'getLocationByRef of the new location',
  );
  const { items } = await client.getLocations();
  eq(items.length, baselineLocations.length + 1, 'one more location');

  await rejectsWith(
    client.addLocation({ type: 'file', target: extraTarget }),
    409,
    'ConflictError',
    'adding the same location again',
  );
  const again = await client.addLocation({
    type: 'file',
    target: extraTarget,
    onConflict: 'refresh',
  });
  eq(again.location, extraLocation, 'onConflict=refresh returns the existing location');

  // Ingestion is asynchronous.
  const extra = await waitFor(
    `${EXTRA.ref} to be ingested`,
    () => client.getEntityByRef(EXTRA.ref),
    e => e !== undefined && relationsOf(e).length >= EXTRA.relations.length,
  );
  eq(relationsOf(extra), EXTRA.relations, `relations of ${EXTRA.ref}`);
  eq(
    extra.metadata.annotations['backstage.io/managed-by-location'],
    `file:${extraTarget}`,
    'extra-service managed-by-location',
  );
  eq(
    extra.metadata.annotations['backstage.io/managed-by-origin-location'],
    `file:${extraTarget}`,
    'extra-service managed-by-origin-location',
  );
  // The reverse relation lands on the owner (Backstage re-stitches it
  // asynchronously, so wait for it).
  await waitFor(
    `${EXTRA.owner} to gain ownerOf ${EXTRA.ref}`,
    () => client.getEntityByRef(EXTRA.owner),
    owner => relationsOf(owner).includes(`ownerOf ${EXTRA.ref}`),
  );
  const anc = await client.getEntityAncestors({ entityRef: EXTRA.ref });
  eq(
    anc.items.map(i => ({ ref: refOf(i.entity), parents: i.parentEntityRefs })),
    [
      { ref: EXTRA.ref, parents: [extraEntityRef] },
      { ref: extraEntityRef, parents: [] },
    ],
    'ancestors of extra-service',
  );
  const kinds = await client.getEntityFacets({ facets: ['kind'] });
  eq(
    facetMap(kinds.facets.kind),
    { ...DEMO.kinds, Component: DEMO.kinds.Component + 1, Location: DEMO.kinds.Location + 1 },
    'kind facet with the extra location',
  );
});

await check('getLocationByEntity', async () => {
  eq(
    await client.getLocationByEntity('component:default/shipment-tracker'),
    demoLocation,
    'shipment-tracker comes from the demo location (its origin location)',
  );
  eq(
    await client.getLocationByEntity({ kind: 'User', namespace: 'default', name: 'olga-ivanova' }),
    demoLocation,
    'user olga-ivanova (compound ref) comes from the demo location',
  );
  eq(await client.getLocationByEntity(EXTRA.ref), extraLocation, 'extra-service comes from the extra location');
  eq(
    await client.getLocationByEntity('component:default/nope'),
    undefined,
    'an unknown entity (404 -> undefined)',
  );
});

await check('queryLocations', async () => {
  const all = [...baselineLocations, extraLocation];
  const seen = [];
  let r = await client.queryLocations({ limit: 1 });
  eq(r.totalItems, all.length, 'totalItems');
  eq(r.items.length, 1, 'limit 1');
  seen.push(...r.items);
  for (let i = 0; r.pageInfo.nextCursor; i++) {
    ok(i < all.length, 'more pages than locations');
    r = await client.queryLocations({ cursor: r.pageInfo.nextCursor });
    eq(r.items.length, 1, 'limit 1 carries over to cursor requests');
    seen.push(...r.items);
  }
  eq(sorted(seen.map(l => l.id)), sorted(all.map(l => l.id)), 'paging sees every location once');
  eq(seen.find(l => l.id === extraLocation.id), extraLocation, 'the extra location as listed');

  r = await client.queryLocations({ query: { type: 'file', target: extraTarget } });
  eq(r.items, [extraLocation], 'query by type and target');
  eq(r.totalItems, 1, 'query by type and target: totalItems');
  eq(r.pageInfo.nextCursor, undefined, 'query by type and target: no nextCursor');

  r = await client.queryLocations({ query: { entityRef: demoLocation.entityRef } });
  eq(r.items, [demoLocation], 'query by entityRef');

  r = await client.queryLocations({
    query: { $any: [{ id: demoLocation.id }, { target: { $hasPrefix: path.dirname(extraTarget) } }] },
  });
  eq(sorted(r.items.map(l => l.id)), sorted([demoLocation.id, extraLocation.id]), 'query with $any, id and $hasPrefix');

  r = await client.queryLocations({ query: { target: 'no-such-target' } });
  eq(r.items, [], 'query that matches nothing: items');
  eq(r.totalItems, 0, 'query that matches nothing: totalItems');
});

await check('streamLocations', async () => {
  const all = [...baselineLocations, extraLocation];
  const pages = [];
  for await (const p of client.streamLocations()) pages.push(p);
  eq(sorted(pages.flat().map(l => l.id)), sorted(all.map(l => l.id)), 'every location once');

  const small = [];
  for await (const p of client.streamLocations({ limit: 1 })) small.push(p.length);
  eq(small, all.map(() => 1), 'limit 1 gives one page per location');

  const filtered = [];
  for await (const p of client.streamLocations({ query: { target: extraTarget } })) filtered.push(...p);
  eq(filtered, [extraLocation], 'streaming with a query');
});

await check('updateLocation', async () => {
  eq(
    await client.updateLocation(extraLocation.id, { type: 'file', target: extraTarget }),
    extraLocation,
    'updating to the same type and target returns the location unchanged',
  );
  await rejectsWith(
    client.updateLocation(extraLocation.id, { type: 'file', target: demoLocation.target }),
    409,
    'ConflictError',
    'updating to the target of another location',
  );
  await rejectsWith(
    client.updateLocation(randomUUID(), { type: 'file', target: `${extraTarget}.moved` }),
    404,
    'NotFoundError',
    'updating an unknown location',
  );
  eq(await client.getLocationById(extraLocation.id), extraLocation, 'the location is unchanged');
});

await check('removeEntityByUid', async () => {
  const before = await client.getEntityByRef(EXTRA.ref);
  ok(before, `${EXTRA.ref} is not there before removal`);
  await client.removeEntityByUid(before.metadata.uid);
  eq(await client.getEntityByRef(EXTRA.ref), undefined, `${EXTRA.ref} right after removeEntityByUid`);
  await waitFor(
    `${EXTRA.owner} to lose ownerOf ${EXTRA.ref}`,
    () => client.getEntityByRef(EXTRA.owner),
    owner => !relationsOf(owner).includes(`ownerOf ${EXTRA.ref}`),
  );
  // Its location still emits it: refreshing the location brings it back.
  await client.refreshEntity(extraEntityRef);
  const back = await waitFor(
    `${EXTRA.ref} to come back after refreshing ${extraEntityRef}`,
    () => client.getEntityByRef(EXTRA.ref),
    e => e !== undefined,
  );
  eq(back.spec.owner, 'team-platform', 'the entity that came back');
});

await check('removeLocationById', async () => {
  await client.removeLocationById(extraLocation.id);
  eq(await client.getLocationById(extraLocation.id), undefined, 'the removed location by id');
  eq(
    sorted((await client.getLocations()).items.map(l => l.id)),
    sorted(baselineLocations.map(l => l.id)),
    'the locations are back to what they were',
  );
  await waitFor(
    `${EXTRA.ref} and ${extraEntityRef} to go away with their location`,
    async () => [await client.getEntityByRef(EXTRA.ref), await client.getEntityByRef(extraEntityRef)],
    ([a, b]) => a === undefined && b === undefined,
  );
  await rejectsWith(
    client.removeLocationById(extraLocation.id),
    404,
    'NotFoundError',
    'removing the same location again',
  );
  const kinds = await client.getEntityFacets({ facets: ['kind'] });
  eq(facetMap(kinds.facets.kind), baselineKindFacet, 'kind facet is back to the demo catalog');
  await waitFor(
    `${EXTRA.owner} to have no relation left to ${EXTRA.ref}`,
    () => client.getEntityByRef(EXTRA.owner),
    owner => !relationsOf(owner).some(r => r.endsWith(` ${EXTRA.ref}`)),
  );
});

// Every public method of the installed client must have been exercised, so a
// client upgrade that adds one makes this check fail until it is covered.
const INTERNAL = new Set([
  'constructor',
  'requestIgnored',
  'requestRequired',
  'requestOptional',
  'getFilterValue',
  'queryEntitiesByPredicate', // reached through queryEntities({ query })
  'getEntityFacetsByPredicate', // reached through getEntityFacets({ query })
]);
const publicMethods = Object.getOwnPropertyNames(CatalogClient.prototype).filter(
  name => !INTERNAL.has(name),
);
const missing = publicMethods.filter(name => !passed.includes(name));
if (missing.length) {
  console.error(`FAIL coverage: CatalogClient methods not exercised: ${missing.join(', ')}`);
  console.log(`${passed.length} passed, 1 failed`);
  process.exit(1);
}
console.log(`${passed.length} passed, 0 failed`);
