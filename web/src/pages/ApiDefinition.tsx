// An API's definition: OpenAPI (and Swagger 2.0) rendered as its
// operations by path, with parameters, request and responses, and its
// schemas; any other kind of definition as text. A chunk of its own,
// with the YAML parser.

import { useMemo, useState } from 'react';
import { anchorId, readDefinition, type ApiDoc, type Body, type Operation, type SchemaView } from '../lib/openapi';

function TypeText({ type, refName }: { type: string; refName?: string | undefined }) {
  if (!refName) return <code>{type}</code>;
  return (
    <code>
      {type.replace(refName, '')}
      <a href={`#${anchorId('schema', refName)}`}>{refName}</a>
    </code>
  );
}

function Fields({ schema, caption }: { schema: SchemaView; caption: string }) {
  if (schema.fields.length === 0) {
    return (
      <p>
        <TypeText type={schema.type} refName={schema.ref} />
        {schema.description && <span className="sub">{schema.description}</span>}
      </p>
    );
  }
  return (
    <table className="data compact">
      <caption className="visually-hidden">{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Field</th>
          <th scope="col">Type</th>
          <th scope="col">Description</th>
        </tr>
      </thead>
      <tbody>
        {schema.fields.map((f) => (
          <tr key={f.name}>
            <th scope="row">
              <code>{f.name}</code>
              {f.required && <span className="badge">required</span>}
            </th>
            <td>
              <TypeText type={f.type} refName={f.ref} />
            </td>
            <td>{f.description}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Bodies({ bodies, what }: { bodies: Body[]; what: string }) {
  return (
    <>
      {bodies.map((b) => (
        <div key={b.mediaType} className="body">
          <p className="sub">{b.mediaType}</p>
          {b.schema ? <Fields schema={b.schema} caption={`${what} (${b.mediaType})`} /> : <p className="muted">No schema.</p>}
        </div>
      ))}
    </>
  );
}

function OperationView({ op }: { op: Operation }) {
  const title = `${op.method} ${op.path}`;
  return (
    <details className="operation" id={anchorId('op', op.id)}>
      <summary>
        <span className={`method method-${op.method.toLowerCase()}`}>{op.method}</span> <code>{op.path}</code>
        {op.summary && <span className="op-summary"> {op.summary}</span>}
        {op.deprecated && <span className="badge warn">deprecated</span>}
      </summary>
      <div className="operation-body">
        {op.description && <p>{op.description}</p>}
        {op.tags.length > 0 && <p className="sub">Tags: {op.tags.join(', ')}</p>}
        <h4>Parameters</h4>
        {op.parameters.length === 0 ? (
          <p className="muted">None.</p>
        ) : (
          <table className="data compact">
            <caption className="visually-hidden">Parameters of {title}</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">In</th>
                <th scope="col">Type</th>
                <th scope="col">Description</th>
              </tr>
            </thead>
            <tbody>
              {op.parameters.map((p) => (
                <tr key={`${p.in}:${p.name}`}>
                  <th scope="row">
                    <code>{p.name}</code>
                    {p.required && <span className="badge">required</span>}
                  </th>
                  <td>{p.in}</td>
                  <td>
                    <TypeText type={p.type} refName={p.ref} />
                  </td>
                  <td>{p.description}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {op.requestBodies.length > 0 && (
          <>
            <h4>Request body{op.requestRequired ? ' (required)' : ''}</h4>
            <Bodies bodies={op.requestBodies} what={`Request body of ${title}`} />
          </>
        )}
        <h4>Responses</h4>
        {op.responses.length === 0 ? (
          <p className="muted">None documented.</p>
        ) : (
          <dl className="responses">
            {op.responses.map((r) => (
              <div key={r.status}>
                <dt>
                  <code>{r.status}</code> {r.description}
                </dt>
                <dd>{r.bodies.length > 0 && <Bodies bodies={r.bodies} what={`Response ${r.status} of ${title}`} />}</dd>
              </div>
            ))}
          </dl>
        )}
      </div>
    </details>
  );
}

function OpenAPIView({ doc }: { doc: ApiDoc }) {
  const count = doc.paths.reduce((n, p) => n + p.operations.length, 0);
  return (
    <div className="openapi">
      <p>
        <strong>{doc.title}</strong> {doc.version && <span className="badge">{doc.version}</span>} <span className="muted">{doc.format}</span>
      </p>
      {doc.description && <p>{doc.description}</p>}
      {doc.servers.length > 0 && (
        <p>
          Servers:{' '}
          {doc.servers.map((s, i) => (
            <span key={s}>
              {i > 0 && ', '}
              <code>{s}</code>
            </span>
          ))}
        </p>
      )}
      <h3>
        Operations <span className="count">{count}</span>
      </h3>
      {doc.paths.length === 0 && <p className="muted">The definition has no paths.</p>}
      {doc.paths.map((p) => (
        <section key={p.path} className="api-path" aria-label={`Path ${p.path}`}>
          {p.operations.map((op) => (
            <OperationView key={op.method} op={op} />
          ))}
        </section>
      ))}
      {doc.schemas.length > 0 && (
        <>
          <h3>
            Schemas <span className="count">{doc.schemas.length}</span>
          </h3>
          {doc.schemas.map((s) => (
            <section key={s.name} id={anchorId('schema', s.name)} className="api-schema" aria-labelledby={anchorId('schema-h', s.name)} tabIndex={-1}>
              <h4 id={anchorId('schema-h', s.name)}>{s.name}</h4>
              {s.schema.description && <p>{s.schema.description}</p>}
              <Fields schema={s.schema} caption={`Fields of ${s.name}`} />
            </section>
          ))}
        </>
      )}
    </div>
  );
}

export default function ApiDefinition({ text, type }: { text: string; type: string | null | undefined }) {
  const def = useMemo(() => readDefinition(text, type), [text, type]);
  const [raw, setRaw] = useState(false);
  return (
    <section aria-labelledby="def-h">
      <h2 id="def-h">Definition</h2>
      {def.kind === 'openapi' && (
        <p>
          <button type="button" className="button" aria-pressed={raw} onClick={() => setRaw(!raw)}>
            Show the source
          </button>
        </p>
      )}
      {def.kind === 'openapi' && !raw ? (
        <OpenAPIView doc={def.doc} />
      ) : (
        <>
          {def.kind === 'text' && <p className="muted">Shown as written: {def.reason}.</p>}
          <pre className="definition" tabIndex={0} aria-label="API definition source">
            {text}
          </pre>
        </>
      )}
    </section>
  );
}
